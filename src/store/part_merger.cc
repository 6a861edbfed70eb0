#include "store/part_merger.h"

#include "common/status_macros.h"

namespace waggle::store {
namespace {

class PartCursor {
 public:
  explicit PartCursor(std::shared_ptr<PartReader> part) : part_(std::move(part)) {}

  // Loads the next block when the current one is used up. False at the end of the part.
  absl::StatusOr<bool> Valid() {
    while (position_ >= rows_.size()) {
      if (next_block_ >= part_->footer().blocks.size()) return false;
      const uint32_t n = part_->footer().blocks[next_block_].rows;
      ASSIGN_OR_RETURN(rows_, part_->ReadEvents(next_block_, 0, n));
      ++next_block_;
      position_ = 0;
    }
    return true;
  }
  const model::Event& row() const { return rows_[position_]; }
  void Next() { ++position_; }

 private:
  std::shared_ptr<PartReader> part_;
  size_t next_block_ = 0;
  std::vector<model::Event> rows_;
  size_t position_ = 0;
};

}  // namespace

bool PartRowLess(const model::Event& a, const model::Event& b) {
  if (a.trace_id != b.trace_id) return a.trace_id < b.trace_id;
  return a.time_unix_nano < b.time_unix_nano;
}

absl::Status MergeParts(const std::vector<std::shared_ptr<PartReader>>& inputs, PartWriter& out) {
  std::vector<PartCursor> cursors;
  for (const auto& part : inputs) cursors.emplace_back(part);
  // A handful of inputs: a linear scan for the smallest beats a heap's bookkeeping.
  while (true) {
    PartCursor* best = nullptr;
    for (PartCursor& c : cursors) {
      ASSIGN_OR_RETURN(bool valid, c.Valid());
      if (valid && (best == nullptr || PartRowLess(c.row(), best->row()))) best = &c;
    }
    if (best == nullptr) return absl::OkStatus();
    RETURN_IF_NOT_OK(out.Add(best->row()));
    best->Next();
  }
}

}  // namespace waggle::store
