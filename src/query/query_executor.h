// Runs a query spec over a store snapshot: picks the scan units in the time range, skips
// those whose time range or column min/max cannot match, reads only the columns the query
// names, filters (on dictionary codes where a column is one string dictionary), groups by
// the breakdowns and aggregates into totals and time buckets. Units are shared between
// worker threads, each with its own partial state, merged at the end; memory is counted
// and a query over its budget fails with a message saying how to narrow it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "query/query_spec.h"
#include "query/row_selector.h"
#include "query/value_column.h"
#include "store/store.h"

namespace waggle::query {

// A breakdown value of a result row (kAbsent: the event had no such field).
struct GroupValue {
  ValueType type = ValueType::kAbsent;
  int64_t int_value = 0;  // kInt, kBool
  double double_value = 0;
  std::string string_value;
  friend bool operator==(const GroupValue&, const GroupValue&) = default;
};

// One calculation's value: a number (absent when nothing was aggregated, e.g. AVG of no
// values), or for HEATMAP weights per value bucket.
struct CalculationValue {
  std::optional<double> number;
  std::vector<double> heatmap;
};

struct ResultRow {
  std::vector<GroupValue> group;             // one per breakdown
  std::vector<CalculationValue> values;      // one per calculation
};

struct SeriesRow {
  int64_t time = 0;  // unix seconds, the bucket's start
  ResultRow row;
};

// The value buckets of a HEATMAP calculation, shared by all its rows: `buckets` equal
// slices of [min, max].
struct HeatmapRange {
  double min = 0;
  double max = 0;
  int buckets = 0;
};

struct QueryStats {
  uint64_t units_total = 0;
  uint64_t units_skipped = 0;  // by time range or column min/max
  uint64_t rows_scanned = 0;
  uint64_t rows_matched = 0;
  double seconds = 0;
  bool exact_percentiles = true;
};

struct QueryResult {
  QuerySpec spec;
  std::vector<ResultRow> results;  // ordered, limited
  std::vector<SeriesRow> series;   // by time, then result order
  std::vector<HeatmapRange> heatmaps;  // per calculation (only HEATMAP ones filled)
  QueryStats stats;
};

struct QueryOptions {
  std::vector<std::string> datasets;  // lowercase; empty = every dataset
  store::TraceHint traces;            // a narrowing the store may apply (the caller rechecks)
  uint64_t memory_budget_bytes = 1ull << 30;
  int threads = 2;
  bool series = true;
  int heatmap_buckets = 50;
  const std::atomic<bool>* cancelled = nullptr;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

absl::StatusOr<QueryResult> ExecuteQuery(store::Store& store, const QuerySpec& spec, const QueryOptions& options);

}  // namespace waggle::query
