// What a query reads: the store hands the query engine a snapshot of scan units, each a
// block of rows of one dataset with the columns of store/part_format.h. A unit is a block of
// a part on disk, or a batch of the in-memory head turned into the same columns, so the
// engine has one code path for both. Units only read; they stay valid after merges,
// retention drops and flushes (they hold what they read from).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "model/event.h"
#include "store/column_encoding.h"
#include "store/part_format.h"
#include "store/predicate.h"

namespace waggle::store {

class ScanUnit {
 public:
  virtual ~ScanUnit() = default;

  virtual const std::string& dataset() const = 0;
  virtual uint32_t rows() const = 0;
  virtual int64_t min_time() const = 0;  // span start times, inclusive
  virtual int64_t max_time() const = 0;
  virtual const std::vector<ColumnDescriptor>& columns() const = 0;
  // The smallest and largest value of an int column in this unit, when known (for skipping).
  virtual std::optional<std::pair<int64_t, int64_t>> IntRange(size_t column) const = 0;
  // False when no row's value of a string column is `value` (known without reading the
  // column); true when some may be.
  virtual bool MayContainString(size_t /*column*/, std::string_view /*value*/) const { return true; }
  // A column's values; each call may read and decode it, so callers keep the result.
  virtual absl::StatusOr<std::shared_ptr<const ColumnValues>> Read(size_t column) const = 0;
  // Units that fetch their rows when first needed (the ClickHouse store's) do it here and
  // report a failure. Callers that look at rows(), columns() or IntRange() call it first;
  // dataset(), min_time() and max_time() are known without it.
  virtual absl::Status Load() const { return absl::OkStatus(); }
};

using ScanUnits = std::vector<std::shared_ptr<const ScanUnit>>;

// Which rows a query wants: start times in [min_time, max_time], the datasets named
// (lowercase; empty = every dataset).
// What every trace a caller wants has (a hint stores may use to narrow, as the ClickHouse
// store does; callers that give one check the traces themselves): for each key, an event with
// an attribute of that key; for each text, an event whose service, name or a string
// attribute contains it.
struct TraceHint {
  std::vector<std::string> keys;
  std::vector<std::string> texts;
  bool empty() const { return keys.empty() && texts.empty(); }
};

struct ScanRange {
  int64_t min_time = INT64_MIN;
  int64_t max_time = INT64_MAX;
  std::vector<std::string> datasets;
  // For stores that can fetch less than whole events (the ClickHouse store): the field names
  // the reader looks at (nullopt: every field).
  std::optional<std::vector<std::string>> fields;
  // What every row the reader needs passes (store/predicate.h). Stores narrow by it as they
  // can; units may still hold other rows: the engine filters again.
  RowFilter filter;
  TraceHint traces;

  bool Wants(const std::string& dataset) const;
};

// A block of a part.
std::shared_ptr<const ScanUnit> MakePartBlockUnit(std::shared_ptr<const class PartReader> part, size_t block);

// Events as units (event batches, store/event_batch.h) of at most `block_rows` rows per dataset. The
// units copy what they need: `events` may go once they are made.
ScanUnits MakeEventUnits(const std::vector<model::Event>& events, uint32_t block_rows = 8192);

}  // namespace waggle::store
