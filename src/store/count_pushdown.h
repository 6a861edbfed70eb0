// Counting pushed down to a store, which may decline. For a query whose calculations are all
// COUNT, a store that can count rows itself (the ClickHouse store) counts the rows whose
// predicates and group values it can decide exactly, by group and time bucket, and hands the
// engine the other rows as scan units; the engine counts those, merges both, and finishes as
// usual (orders, havings, limit). Counts are sums of integer sample rates, so both ways agree
// to the last digit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/event.h"
#include "store/predicate.h"
#include "store/scan_unit.h"

namespace waggle::store {

struct CountRequest {
  RowFilter filter;
  std::vector<std::string> group_by;  // columns of the flat event view, as in predicates
  bool series = false;                // count by time bucket too
  int64_t origin_ns = 0;              // bucket b starts at origin_ns + b * bucket_ns
  int64_t bucket_ns = 1;
};

// A group's value of one column, as the engine would compute it for the row.
struct GroupColumnValue {
  bool present = false;
  model::AttributeType type = model::AttributeType::kString;
  std::string text;     // kString
  int64_t integer = 0;  // kInt, kBool (0 or 1)
  double real = 0;      // kDouble
};

struct CountedGroup {
  std::vector<GroupColumnValue> group;  // one per group_by column
  int64_t bucket = 0;                   // with a series
  double count = 0;                     // sample rates summed
  uint64_t rows = 0;
};

struct CountedScan {
  std::vector<CountedGroup> counted;
  ScanUnits rest;  // rows the store could not decide, for the engine to filter and count
};

}  // namespace waggle::store
