// X-Ray's trace search (GetTraceSummaries, GetServiceGraph, GetTimeSeriesServiceStatistics,
// groups): root spans in a time range found by a query on the shared engine, the traces read
// in one pass over the store, then the filter expression applied to each whole trace.
#pragma once

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "store/store.h"
#include "xray/filter_expression.h"
#include "xray/trace_view.h"

namespace waggle::xray {

// The traces whose root span started in [start, end] (seconds), newest X-Ray ids first, at
// most `limit`; `hint` (from the filter the caller then applies) lets the store skip traces
// that cannot match.
absl::StatusOr<std::vector<model::TraceId>> CandidateTraces(store::Store& store, double start, double end,
                                                            size_t limit, const store::TraceHint& hint);

absl::StatusOr<XrayTrace> LoadTrace(store::Store& store, const model::TraceId& id);
absl::StatusOr<std::vector<XrayTrace>> LoadTraces(store::Store& store, const std::vector<model::TraceId>& ids);

// The traces of [start, end) matching `filter`, of at most `max_candidates` candidates.
absl::StatusOr<std::vector<XrayTrace>> MatchingTraces(store::Store& store, double start, double end,
                                                      const FilterExpression& filter,
                                                      const FilterExpression::GroupLookup& groups,
                                                      size_t max_candidates);

}  // namespace waggle::xray
