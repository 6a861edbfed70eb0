// A query, in Honeycomb's query-spec shape (shared/reference/protocols.md A5): what to
// calculate, over which events, grouped and ordered how. Parsed from JSON with every field
// checked; an error names the field at fault ("calculations[1].op: unknown ...").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "store/predicate.h"

namespace waggle::query {

enum class CalculationOp : uint8_t {
  kCount, kConcurrency, kSum, kAvg, kCountDistinct, kMax, kMin,
  kP001, kP01, kP05, kP10, kP20, kP25, kP50, kP75, kP80, kP90, kP95, kP99, kP999,
  kHeatmap, kRateAvg, kRateSum, kRateMax,
};

// A filter is a predicate in the stores' vocabulary (store/predicate.h): stores narrow by
// the spec's filters as they are.
using FilterOp = store::PredicateOp;
using Literal = store::Literal;
using Filter = store::ColumnPredicate;

struct Calculation {
  CalculationOp op = CalculationOp::kCount;
  std::string column;  // empty for COUNT and CONCURRENCY
  friend bool operator==(const Calculation&, const Calculation&) = default;
};

struct Order {
  std::optional<CalculationOp> op;  // ordering by a calculation...
  std::string column;               // ...of this column, or by this breakdown column
  bool descending = false;
};

struct Having {
  CalculationOp calculate_op = CalculationOp::kCount;
  std::string column;
  FilterOp op = FilterOp::kGreater;  // = != > >= < <=
  double value = 0;
};

struct QuerySpec {
  std::vector<Calculation> calculations;  // never empty after parsing (COUNT by default)
  std::vector<Filter> filters;
  bool filter_or = false;  // filter_combination OR
  store::RowFilter RowFilter() const { return store::RowFilter{filters, filter_or}; }
  std::vector<std::string> breakdowns;
  std::vector<Order> orders;
  std::vector<Having> havings;
  int limit = 1000;
  // The time range in seconds: [start_time, end_time). Parsing resolves time_range /
  // start_time / end_time against `now` into both ends.
  int64_t start_time = 0;
  int64_t end_time = 0;
  int64_t time_range = 7200;
  int64_t granularity = 0;  // seconds per series bucket
  // Only time_range was given: the range ends now, whenever the query runs (ResolveTimes).
  bool relative = false;
};

const char* CalculationOpName(CalculationOp op);
std::optional<CalculationOp> ParseCalculationOp(std::string_view name);
const char* FilterOpName(FilterOp op);
std::optional<FilterOp> ParseFilterOp(std::string_view name);
bool NeedsColumn(CalculationOp op);
bool IsPercentile(CalculationOp op);
double PercentileOf(CalculationOp op);  // 0.99 for P99
// "P99(duration_ms)", or "COUNT": the key of a calculation in results.
std::string ResultKey(const Calculation& c);

// Parses and validates a JSON query spec; `now` (unix seconds) resolves relative ranges.
absl::StatusOr<QuerySpec> ParseQuerySpec(std::string_view json, int64_t now);
// Checks a spec built some other way (the text form) and fills in defaults.
absl::Status ValidateQuerySpec(QuerySpec& spec, bool time_range_given, bool start_given, bool end_given,
                               int64_t now);
// A relative spec's start and end for a run at `now` (unix seconds); others stay as they are.
void ResolveTimes(QuerySpec& spec, int64_t now);
// The spec as JSON, in the shape ParseQuerySpec reads, defaults filled in: a relative spec
// keeps its time_range, others give start_time and end_time. With an `id`, it comes first
// (the answer of POST /1/queries).
std::string QuerySpecToJson(const QuerySpec& spec, std::string_view id = {});

// A granularity for a time range: a round number of seconds giving 60..300 buckets.
int64_t DefaultGranularity(int64_t time_range);

}  // namespace waggle::query
