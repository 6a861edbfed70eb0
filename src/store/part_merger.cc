#include "store/part_merger.h"

#include "common/status_macros.h"

namespace waggle::store {
namespace {

// Walks one input part block by block, holding the current block decoded as columns.
class PartCursor {
 public:
  PartCursor(std::shared_ptr<PartReader> part, PartWriter& out) : part_(std::move(part)) {
    block_.descriptors = &part_->footer().columns;
    block_.columns = &columns_;
    out.Bind(block_);
  }

  // Loads the next block when the current one is used up. False at the end of the part.
  absl::StatusOr<bool> Valid() {
    while (row_ >= rows_) {
      if (next_block_ >= part_->footer().blocks.size()) return false;
      ASSIGN_OR_RETURN(columns_, part_->ReadBlock(next_block_));
      rows_ = part_->footer().blocks[next_block_].rows;
      ++next_block_;
      row_ = 0;
      key_row_ = SIZE_MAX;
    }
    return true;
  }
  // Valid() first: the key of the current row.
  const PartRowKey& key() {
    if (key_row_ != row_) {
      key_ = PartRowKey::Of(
          std::string_view(columns_[static_cast<size_t>(FixedColumn::kTraceId)].fixed).substr(row_ * 16, 16),
          columns_[static_cast<size_t>(FixedColumn::kTime)].ints[row_]);
      key_row_ = row_;
    }
    return key_;
  }
  absl::Status CopyRowTo(PartWriter& out) { return out.AddRow(block_, static_cast<uint32_t>(row_++)); }

 private:
  std::shared_ptr<PartReader> part_;
  std::vector<ColumnValues> columns_;  // the current block's
  PartWriter::SourceBlock block_;
  size_t next_block_ = 0;
  size_t rows_ = 0;
  size_t row_ = 0;
  PartRowKey key_;
  size_t key_row_ = SIZE_MAX;  // the row key_ is of; reset with each block
};

}  // namespace

PartRowKey PartRowKey::Of(std::string_view trace_id_bytes, int64_t time) {
  auto word = [&](size_t offset) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(trace_id_bytes[offset + i]);
    return v;
  };
  return {word(0), word(8), time};
}

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
      if (valid && (best == nullptr || c->key() < best->key())) best = c.get();
    }
    if (best == nullptr) return absl::OkStatus();
    RETURN_IF_NOT_OK(best->CopyRowTo(out));
  }
}

}  // namespace waggle::store
