// Events as columns, from the request to the part. Ingest builds a batch of columns per
// dataset (EventBatchBuilder); the write-ahead log's record is that batch's encoding; the head
// keeps the record decoded as EventBatches, which queries read as scan units without
// conversion and a flush copies into parts column to column, the way a merge does.
//
//   record  := u8(0) u8(2) varint(nbatches) batch*
//   batch   := string(dataset) varint(rows) varint(ncolumns) column*
//   column  := u8(fixed column id, or 255) [u8(origin) u8(type) string(key)]
//              u8(0: every row has a value | 1: bitmap of ceil(rows/8) bytes follows) values
//   values  := ints: fixed64{rows} | doubles: f64{rows}
//            | strings: varint(dictionary size) string* u8(code bytes: 1, 2 or 4) code{rows}
//            | fixed bytes: bytes(rows * width)
//
//   compressed record := u8(0) u8(3) varint(size of the record above) zstd frame of it
//
// Every fixed column comes first, in id order; attribute columns follow, one per (origin,
// type, key). Absent rows hold zero (code 0: no string). The first two bytes tell a batch from
// version 1's encoded events (store/event_codec.h), whose records start with their event
// count (a record of no events is the one byte 0), so logs written before this format
// replay as they are.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "model/event.h"
#include "model/event_schema.h"
#include "store/column_encoding.h"
#include "store/part_format.h"

namespace waggle::store {

// Rows of one dataset as columns (the ColumnValues a part block decodes to). Strings are
// views into the record the batch was decoded from, which the values' `storage` keeps alive.
struct EventBatch {
  std::string dataset;
  uint32_t rows = 0;
  int64_t min_time = 0;  // span start times of the rows, inclusive
  int64_t max_time = 0;
  std::vector<ColumnDescriptor> columns;  // the fixed columns by id, then attributes
  std::vector<ColumnValues> values;       // parallel to columns
  // Smallest and largest value of each int column's present rows (nullopt: none, or not ints).
  std::vector<std::optional<std::pair<int64_t, int64_t>>> int_ranges;
  uint64_t memory_bytes = 0;  // what the columns hold (strings counted once per batch set)

  const ColumnValues& fixed(model::FixedField f) const { return values[static_cast<size_t>(f)]; }
  model::TraceId TraceIdAt(uint32_t row) const;
  int64_t TimeAt(uint32_t row) const { return fixed(model::FixedField::kTime).ints[row]; }
};

// Builds the batches of one request, a batch per dataset (and per `max_batch_rows` rows).
// A row is started with StartRow and then given its values; fixed fields not set are zero
// (the sample rate 1, strings empty); an attribute repeated at one origin keeps the later
// value, as in Honeycomb's flat view. Strings are copied once per distinct value and column
// into an arena the finished batches share.
class EventBatchBuilder {
 public:
  static constexpr uint32_t kMaxBatchRows = 8192;

  explicit EventBatchBuilder(uint32_t max_batch_rows = kMaxBatchRows);
  ~EventBatchBuilder();
  EventBatchBuilder(EventBatchBuilder&&) noexcept;
  EventBatchBuilder& operator=(EventBatchBuilder&&) noexcept;

  // How many rows the batches started from now on will likely get (a request's span count):
  // their columns are sized once instead of growing.
  void ReserveRows(uint32_t rows) { reserve_rows_ = std::min(rows, max_batch_rows_); }

  void StartRow(std::string_view dataset);
  void SetInt(model::FixedField field, int64_t value);
  void SetString(model::FixedField field, std::string_view value);
  void SetBytes(model::FixedField field, std::string_view bytes);  // ids: exactly their width
  void AddString(model::FieldOrigin origin, std::string_view key, std::string_view value);
  void AddInt(model::FieldOrigin origin, std::string_view key, int64_t value);
  void AddDouble(model::FieldOrigin origin, std::string_view key, double value);
  void AddBool(model::FieldOrigin origin, std::string_view key, bool value);
  void AddValue(model::FieldOrigin origin, std::string_view key, const model::AttributeValue& value);

  // An event as a row (every fixed field and attribute).
  void Add(const model::Event& event);
  void Add(std::span<const model::Event> events) {
    for (const model::Event& e : events) Add(e);
  }

  uint64_t rows() const { return total_rows_; }
  bool empty() const { return total_rows_ == 0; }

  // The batches, in order of their first row; the builder is left empty.
  std::vector<EventBatch> Finish();

 private:
  struct Column;
  struct Batch;
  class Arena;
  uint32_t Intern(Column& column, std::string_view value);
  Column& Attribute(model::FieldOrigin origin, model::AttributeType type, std::string_view key);

  uint32_t max_batch_rows_;
  uint32_t reserve_rows_ = 0;
  std::shared_ptr<Arena> arena_;
  std::vector<std::unique_ptr<Batch>> batches_;
  absl::flat_hash_map<std::string, Batch*> open_batches_;  // dataset -> its batch being filled
  Batch* current_ = nullptr;
  uint32_t row_ = 0;        // the current row within *current_
  uint32_t attribute_ = 0;  // attributes of the current row so far (for the column cache)
  uint64_t total_rows_ = 0;
};

// The record of `batches` (format above).
void EncodeEventBatches(std::span<const EventBatch> batches, std::string* record);

bool IsEventBatchRecord(std::string_view record);  // false: version 1's encoded events

// The write-ahead log's record of `batches`: their record, zstd-compressed. The level is
// measured by bench/store_bench's BM_EncodeLogRecord (see docs/performance.md).
inline constexpr int kLogRecordZstdLevel = 1;
void EncodeLogRecord(std::span<const EventBatch> batches, std::string* record, int level = kLogRecordZstdLevel);

// The batches of a record. Their strings point into *record, which they keep alive.
absl::StatusOr<std::vector<EventBatch>> DecodeEventBatches(std::shared_ptr<const std::string> record);

// A record of any format as batches (compressed or not); version 1's events are rebuilt as a batch (replay of
// a log written before this format).
absl::StatusOr<std::vector<EventBatch>> DecodeLogRecord(std::shared_ptr<const std::string> record);

// One row of columns (a part block or a batch) as an Event. Attributes come in column order,
// levels in order (resource, scope, span, derived).
void RowToEvent(const std::string& dataset, const std::vector<ColumnDescriptor>& columns,
                const std::vector<ColumnValues>& values, uint32_t row, model::Event* event);

// Every row of the batches as Events (stores that keep events, such as ClickHouse's).
std::vector<model::Event> BatchEvents(std::span<const EventBatch> batches);

// A batch as a scan unit (it shares the batch's ownership).
std::shared_ptr<const class ScanUnit> MakeBatchUnit(std::shared_ptr<const EventBatch> batch);

}  // namespace waggle::store
