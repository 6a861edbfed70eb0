#include "store/part_merger.h"

#include <algorithm>

#include "common/status_macros.h"

namespace waggle::store {
namespace {

// Rows gathered before they are copied: one output block, so a chunk spans at most about
// two blocks of each input.
constexpr size_t kChunkRows = 8192;

// A block of an input, decoded, bound to the writer as a source of rows.
struct LoadedBlock {
  std::vector<ColumnValues> columns;
  PartWriter::SourceBlock source;
};

// Walks one input part block by block. Blocks stay loaded until the rows taken from them are
// copied (Release).
class PartCursor {
 public:
  PartCursor(std::shared_ptr<PartReader> part, PartWriter& out, std::vector<std::unique_ptr<LoadedBlock>>& blocks)
      : part_(std::move(part)), out_(out), blocks_(blocks) {}

  // Loads the next block when the current one is used up. False at the end of the part.
  absl::StatusOr<bool> Valid() {
    while (row_ >= rows_) {
      if (next_block_ >= part_->footer().blocks.size()) return false;
      auto block = std::make_unique<LoadedBlock>();
      ASSIGN_OR_RETURN(block->columns, part_->ReadBlock(next_block_));
      block->source.descriptors = &part_->footer().columns;
      block->source.columns = &block->columns;
      out_.Bind(block->source);
      rows_ = part_->footer().blocks[next_block_].rows;
      ++next_block_;
      row_ = 0;
      key_row_ = SIZE_MAX;
      current_ = &block->columns;
      // A released slot is reused, so the sources a chunk is copied from stay few.
      auto free = std::find(blocks_.begin(), blocks_.end(), nullptr);
      slot_ = static_cast<uint32_t>(free - blocks_.begin());
      if (free == blocks_.end()) blocks_.push_back(std::move(block));
      else *free = std::move(block);
    }
    return true;
  }
  // Valid() first: the key of the current row.
  const PartRowKey& key() {
    if (key_row_ != row_) {
      const std::vector<ColumnValues>& c = *current_;
      key_ = PartRowKey::Of(std::string_view(c[static_cast<size_t>(FixedColumn::kTraceId)].fixed).substr(row_ * 16, 16),
                            c[static_cast<size_t>(FixedColumn::kTime)].ints[row_]);
      key_row_ = row_;
    }
    return key_;
  }
  // Valid() first: takes the current row.
  PartWriter::SourceRow Take() { return {slot_, static_cast<uint32_t>(row_++)}; }
  uint32_t slot() const { return slot_; }

 private:
  std::shared_ptr<PartReader> part_;
  PartWriter& out_;
  std::vector<std::unique_ptr<LoadedBlock>>& blocks_;
  const std::vector<ColumnValues>* current_ = nullptr;
  uint32_t slot_ = UINT32_MAX;  // the current block's index in blocks_
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
  std::vector<std::unique_ptr<LoadedBlock>> blocks;  // by slot; null once released
  std::vector<std::unique_ptr<PartCursor>> cursors;
  for (const auto& part : inputs) cursors.push_back(std::make_unique<PartCursor>(part, out, blocks));
  std::vector<PartWriter::SourceRow> chunk;
  std::vector<const PartWriter::SourceBlock*> sources;
  // Rows are chosen in key order and copied a chunk at a time, column by column
  // (PartWriter::AddRows), never built into events.
  auto copy_chunk = [&]() -> absl::Status {
    sources.assign(blocks.size(), nullptr);
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (blocks[i]) sources[i] = &blocks[i]->source;
    }
    RETURN_IF_NOT_OK(out.AddRows(sources, chunk));
    chunk.clear();
    // Blocks no cursor is on are done with.
    std::vector<bool> current(blocks.size(), false);
    for (auto& c : cursors) {
      if (c->slot() != UINT32_MAX) current[c->slot()] = true;
    }
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (!current[i]) blocks[i].reset();
    }
    return absl::OkStatus();
  };
  // A handful of inputs: a linear scan for the smallest beats a heap's bookkeeping.
  while (true) {
    PartCursor* best = nullptr;
    for (auto& c : cursors) {
      ASSIGN_OR_RETURN(bool valid, c->Valid());
      if (valid && (best == nullptr || c->key() < best->key())) best = c.get();
    }
    if (best == nullptr) break;
    chunk.push_back(best->Take());
    if (chunk.size() >= kChunkRows) RETURN_IF_NOT_OK(copy_chunk());
  }
  return chunk.empty() ? absl::OkStatus() : copy_chunk();
}

}  // namespace waggle::store
