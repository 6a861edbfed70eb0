// Writes one part (store/part_format.h) from events given in (trace id, start time) order.
// Rows are gathered a block at a time and each full block is encoded, compressed and
// written at once, so a writer holds one block in memory whatever the part's size: flushes
// and merges of any size stay within a small, fixed budget.
//
// The file is written under a temporary name and fsynced by Finish; the caller publishes it
// (rename + manifest), so a crash never leaves a half-written part that looks finished.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "model/event.h"
#include "store/bloom_filter.h"
#include "store/column_encoding.h"
#include "store/part_format.h"

namespace waggle::store {

struct PartWriterOptions {
  uint32_t block_rows = 8192;
  int zstd_level = 3;
};

class PartWriter {
 public:
  static absl::StatusOr<std::unique_ptr<PartWriter>> Create(const std::string& path,
                                                            std::string dataset, int64_t partition,
                                                            const PartWriterOptions& options);
  ~PartWriter();  // removes the file unless Finish succeeded

  // Events must come in (trace id, start time) order; all of this part's dataset.
  absl::Status Add(const model::Event& event);

  // Rows held as columns (a block of another part, decoded, or a head's event batch) as a
  // source for writing without building events: Bind maps its columns onto this writer's
  // once. The columns must outlive the AddRows that copies their rows.
  struct SourceBlock {
    const std::vector<ColumnDescriptor>* descriptors = nullptr;
    const std::vector<ColumnValues>* columns = nullptr;  // parallel to *descriptors
    std::vector<size_t> writer_columns;  // source column -> this writer's column (Bind)
  };
  void Bind(SourceBlock& source);
  // Rows of bound sources (null entries are skipped), in key order, copied a column at a time:
  // a head flush gathers rows of hundreds of batches, and row by row each row would touch every
  // column's memory of its batch (a cache miss per column); column by column the reads of one
  // column stay in cache. Merges copy the same way, a chunk of rows at a time.
  struct SourceRow {
    uint32_t source;  // index into `sources`
    uint32_t row;
  };
  absl::Status AddRows(std::span<const SourceBlock* const> sources, std::span<const SourceRow> rows);
  // Writes the footer, fsyncs and closes. Returns the footer written.
  absl::StatusOr<PartFooter> Finish();

  uint64_t rows() const { return footer_.rows + block_rows_; }
  uint64_t bytes_written() const { return offset_; }

 private:
  struct ColumnBuilder {
    // Values of the rows that have one, in row order; `rows_present` says which rows.
    // Strings live end to end in one buffer: no allocation per value.
    std::vector<int64_t> ints;
    std::vector<double> doubles;
    std::string string_bytes;
    std::vector<uint32_t> string_ends;
    std::string fixed;
    std::vector<uint32_t> rows_present;
    void Clear();
    // Starts `row`'s value; false when the row already has one (a repeated key: the
    // caller overwrites, so the later value wins).
    bool BeginRow(uint32_t row);
    void SetString(bool fresh, std::string_view v);
    void SetInt(bool fresh, int64_t v);
    void SetDouble(bool fresh, double v);
  };

  PartWriter(std::string path, int fd, std::string dataset, int64_t partition,
             const PartWriterOptions& options);
  size_t AttributeColumn(model::FieldOrigin origin, model::AttributeType type, std::string_view key);
  absl::Status EndRow(const model::TraceId& trace_id, int64_t time);
  void NoteRow(const model::TraceId& trace_id, int64_t time);  // EndRow without the block check
  absl::Status FlushBlock();
  absl::Status Write(std::string_view data);

  const std::string path_;
  int fd_;
  const PartWriterOptions options_;
  PartFooter footer_;
  std::vector<ColumnBuilder> builders_;  // parallel to footer_.columns
  std::unordered_map<std::string, size_t> attribute_columns_;  // origin, type, key -> index
  std::string lookup_key_;  // reused buffer for attribute_columns_ lookups
  // The column the i-th field of recent events went to: events of one service carry their
  // fields in the same order, so a comparison usually replaces a hash lookup.
  std::vector<std::array<uint32_t, 4>> field_column_cache_;
  uint32_t block_rows_ = 0;
  BlockMeta block_;
  BloomFilterBuilder bloom_;
  model::TraceId last_trace_;
  bool any_row_ = false;
  uint64_t offset_ = 0;
  bool finished_ = false;
};

}  // namespace waggle::store
