// An event as a row of `waggle_events`: each field of model::Event in a column of its own,
// and the attributes as parallel arrays (key, origin, type, and the value in the array of its
// type). So ClickHouse can select and filter on any field, a query fetches only the columns
// it reads, and an event read back whole is the event that was sent.
//
//   attr_keys Array(String)  attr_origins Array(UInt8)  attr_types Array(UInt8)
//   attr_strings Array(String)   string values ('' for the other types)
//   attr_ints Array(Int64)       int values, bools as 0/1 (0 for the other types)
//   attr_floats Array(Float64)   double values, and ints as doubles, for comparing in SQL
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/event.h"
#include "store/part_format.h"

namespace waggle::clickhouse {

// The columns of waggle_events after `team String, dataset String, hour DateTime`, as in
// CREATE TABLE ("  start_ns Int64,\n  ...").
std::string EventColumnDefinitions();
// The INSERT column list, in the order AppendEventRow writes.
std::string EventInsertColumns();
// One row of `INSERT ... FORMAT RowBinary`; `hour` is the partition's DateTime.
void AppendEventRow(std::string_view team, uint32_t hour, const model::Event& event, std::string* out);

// Which columns to read of each row. Whole events by default; a query's projection names the
// fixed columns it reads and the attribute keys, and the events it gets hold only those (the
// other fields keep their defaults).
struct RowProjection {
  std::bitset<static_cast<size_t>(store::FixedColumn::kCount)> fixed;  // unused when whole
  std::optional<std::vector<std::string>> attribute_keys;             // nullopt: every attribute
  bool whole = true;

  // Start time, duration, sample rate and annotation type, which every query reads.
  static RowProjection Minimal();
  void Add(store::FixedColumn column) { fixed.set(static_cast<size_t>(column)); }
};

// The SELECT list that reads `projection` (dataset first), for DecodeEventRows.
std::string SelectList(const RowProjection& projection);
// ClickHouse's RowBinary answer to `SELECT <SelectList(projection)>` as events; kDataLoss
// (never a crash) for a truncated or malformed row.
// `expected_rows` sizes the result up front (a unit's rows are known from the listing).
absl::StatusOr<std::vector<model::Event>> DecodeEventRows(std::string_view rows,
                                                          const RowProjection& projection = {},
                                                          size_t expected_rows = 0);

}  // namespace waggle::clickhouse
