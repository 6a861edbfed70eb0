// Counting pushed down to the store. For a query whose calculations are all COUNT, a store
// that can count rows itself (the ClickHouse store) counts the rows whose filters and
// breakdown values it can decide exactly, by group and time bucket, and hands the engine the
// other rows as scan units; the engine counts those, merges both, and finishes as usual
// (orders, havings, limit). Counts are sums of integer sample rates, so both ways agree to
// the last digit.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "query/query_executor.h"
#include "store/scan_unit.h"

namespace waggle::query {

struct CountRequest {
  const QuerySpec* spec = nullptr;  // its filters and breakdowns
  bool series = false;              // count by time bucket too
  int64_t origin_ns = 0;            // bucket b starts at origin_ns + b * bucket_ns
  int64_t bucket_ns = 1;
};

struct CountedGroup {
  std::vector<GroupValue> group;  // one per breakdown
  int64_t bucket = 0;             // with a series
  double count = 0;               // sample rates summed
  uint64_t rows = 0;
};

struct CountedScan {
  std::vector<CountedGroup> counted;
  store::ScanUnits rest;  // rows the store could not decide, for the engine to filter and count
};

class CountingStore {
 public:
  virtual ~CountingStore() = default;
  // nullopt when the store cannot count this query (the engine scans it all).
  virtual absl::StatusOr<std::optional<CountedScan>> ScanCounting(const store::ScanRange& range,
                                                                  const CountRequest& request) = 0;
};

}  // namespace waggle::query
