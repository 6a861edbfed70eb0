// A query result in Honeycomb's shape: {"series":[{"time","data"}], "results":[{"data"}]},
// each data object holding the breakdown values and one key per calculation
// ("COUNT", "P99(duration_ms)"). HEATMAP values are {"min","max","counts":[...]}: weights
// per equal slice of [min, max], the same slices for every row and time, so a UI draws
// them directly.
#pragma once

#include <string>

#include "query/query_executor.h"

namespace waggle::query {

// {"series": [...], "results": [...]}, written with the JsonWriter (no DOM: a result of
// 1,000 groups by 300 time buckets is 300,000 objects).
std::string QueryResultData(const QueryResult& result);
// Seconds since the epoch as RFC 3339 UTC ("2026-11-27T20:00:00Z").
std::string FormatRfc3339(int64_t unix_seconds);

}  // namespace waggle::query
