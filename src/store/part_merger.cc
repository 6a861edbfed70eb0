#include "store/part_merger.h"

#include "common/status_macros.h"

namespace waggle::store {
namespace {

// Walks one input part block by block, holding the current block decoded as columns.
class PartCursor {
 public:
  PartCursor(std::shared_ptr<PartReader> part, PartWriter& out) : part_(std::move(part)) {
    block_.footer = &part_->footer();
    out.Bind(block_);
  }

  // Loads the next block when the current one is used up. False at the end of the part.
  absl::StatusOr<bool> Valid() {
    while (row_ >= rows_) {
      if (next_block_ >= part_->footer().blocks.size()) return false;
      ASSIGN_OR_RETURN(block_.columns, part_->ReadBlock(next_block_));
      rows_ = part_->footer().blocks[next_block_].rows;
      ++next_block_;
      row_ = 0;
    }
    return true;
  }
  std::string_view trace_id() const {
    return std::string_view(block_.columns[static_cast<size_t>(FixedColumn::kTraceId)].fixed).substr(row_ * 16, 16);
  }
  int64_t time() const { return block_.columns[static_cast<size_t>(FixedColumn::kTime)].ints[row_]; }
  bool Before(const PartCursor& other) const {
    int c = trace_id().compare(other.trace_id());
    return c != 0 ? c < 0 : time() < other.time();
  }
  absl::Status CopyRowTo(PartWriter& out) { return out.AddRow(block_, static_cast<uint32_t>(row_++)); }

 private:
  std::shared_ptr<PartReader> part_;
  PartWriter::SourceBlock block_;
  size_t next_block_ = 0;
  size_t rows_ = 0;
  size_t row_ = 0;
};

}  // namespace

bool PartRowLess(const model::Event& a, const model::Event& b) {
  if (a.trace_id != b.trace_id) return a.trace_id < b.trace_id;
  return a.time_unix_nano < b.time_unix_nano;
}

absl::Status MergeParts(const std::vector<std::shared_ptr<PartReader>>& inputs, PartWriter& out) {
  std::vector<std::unique_ptr<PartCursor>> cursors;
  for (const auto& part : inputs) cursors.push_back(std::make_unique<PartCursor>(part, out));
  // A handful of inputs: a linear scan for the smallest beats a heap's bookkeeping.
  // Rows are copied column by column, never built into events (5x faster; store_bench).
  while (true) {
    PartCursor* best = nullptr;
    for (auto& c : cursors) {
      ASSIGN_OR_RETURN(bool valid, c->Valid());
      if (valid && (best == nullptr || c->Before(*best))) best = c.get();
    }
    if (best == nullptr) return absl::OkStatus();
    RETURN_IF_NOT_OK(best->CopyRowTo(out));
  }
}

}  // namespace waggle::store
