#include "xray/trace_search.h"

#include <algorithm>
#include <cmath>

#include "query/query_executor.h"

namespace waggle::xray {

absl::StatusOr<std::vector<model::TraceId>> CandidateTraces(store::Store& store, double start, double end,
                                                            size_t limit, const store::TraceHint& hint) {
  query::QuerySpec spec;
  spec.calculations = {query::Calculation{query::CalculationOp::kCount, ""}};
  spec.filters = {query::Filter{"trace.parent_id", query::FilterOp::kDoesNotExist, {}}};
  spec.breakdowns = {"trace.trace_id"};
  spec.start_time = static_cast<int64_t>(std::floor(start));
  spec.end_time = std::max<int64_t>(spec.start_time + 1, static_cast<int64_t>(std::ceil(end)));
  spec.time_range = spec.end_time - spec.start_time;
  spec.granularity = spec.time_range;
  spec.limit = static_cast<int>(limit);
  query::QueryOptions options;
  options.series = false;
  options.traces = hint;
  auto result = query::ExecuteQuery(store, spec, options);
  if (!result.ok()) return result.status();
  std::vector<model::TraceId> ids;
  for (const query::ResultRow& row : result->results) {
    if (row.group.empty()) continue;
    if (auto id = model::TraceId::FromHex(row.group[0].string_value)) ids.push_back(*id);
  }
  // X-Ray ids begin with their epoch second: newest first, and a stable order for paging.
  std::sort(ids.begin(), ids.end(), [](const model::TraceId& a, const model::TraceId& b) { return b < a; });
  return ids;
}

absl::StatusOr<XrayTrace> LoadTrace(store::Store& store, const model::TraceId& id) {
  auto events = store.FindTrace(id);
  if (!events.ok()) return events.status();
  return BuildXrayTrace(id, *events);
}

absl::StatusOr<std::vector<XrayTrace>> LoadTraces(store::Store& store, const std::vector<model::TraceId>& ids) {
  auto events = store.FindTraces(ids);
  if (!events.ok()) return events.status();
  std::vector<XrayTrace> traces;
  traces.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) traces.push_back(BuildXrayTrace(ids[i], (*events)[i]));
  return traces;
}

absl::StatusOr<std::vector<XrayTrace>> MatchingTraces(store::Store& store, double start, double end,
                                                      const FilterExpression& filter,
                                                      const FilterExpression::GroupLookup& groups,
                                                      size_t max_candidates) {
  auto ids = CandidateTraces(store, start, end, max_candidates, filter.Hint());
  if (!ids.ok()) return ids.status();
  auto loaded = LoadTraces(store, *ids);
  if (!loaded.ok()) return loaded.status();
  std::vector<XrayTrace> traces;
  for (XrayTrace& trace : *loaded) {
    if (!trace.nodes.empty() && filter.Matches(trace, groups)) traces.push_back(std::move(trace));
  }
  return traces;
}

}  // namespace waggle::xray
