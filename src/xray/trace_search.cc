#include "xray/trace_search.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/status_macros.h"
#include "query/query_executor.h"
#include "query/row_selector.h"
#include "query/scheduler.h"
#include "query/value_column.h"

namespace waggle::xray {

constexpr std::string_view kTraceIdField = "trace.trace_id";

namespace {

// The trace ids of the root rows (trace.parent_id absent) that `roots` selects in one unit.
absl::Status RootTraceIds(const store::ScanUnit& unit, const query::RowSelector& roots,
                          std::vector<model::TraceId>& out) {
  query::BlockColumns block(unit);
  ASSIGN_OR_RETURN(const std::optional<std::vector<uint32_t>> selected, roots.Select(block, false));
  if (!selected || selected->empty()) return absl::OkStatus();
  const query::ColumnSources& sources = block.Sources(std::string(kTraceIdField));
  if (sources.attributes.empty()) {
    // The stored id bytes (no hex text), on the rows the field applies to.
    ASSIGN_OR_RETURN(const store::ColumnValues* ids, block.Physical(static_cast<size_t>(store::FixedColumn::kTraceId)));
    ASSIGN_OR_RETURN(const store::ColumnValues* types,
                     block.Physical(static_cast<size_t>(store::FixedColumn::kAnnotationType)));
    if (ids->fixed.size() < size_t{unit.rows()} * model::TraceId::kSize || types->ints.size() < unit.rows()) {
      return absl::DataLossError("trace id column shorter than its block");
    }
    for (uint32_t row : *selected) {
      if (!model::Applies(model::AppliesTo::kTraceRows, static_cast<model::AnnotationType>(types->ints[row]))) continue;
      model::TraceId id;
      std::memcpy(id.bytes.data(), ids->fixed.data() + size_t{row} * model::TraceId::kSize, model::TraceId::kSize);
      out.push_back(id);
    }
    return absl::OkStatus();
  }
  // An attribute of the name (Honeycomb events of a beeline): its text, when it is an id.
  ASSIGN_OR_RETURN(const query::ValueColumn* ids, block.Column(std::string(kTraceIdField)));
  for (uint32_t row : *selected) {
    if (ids->types[row] != query::ValueType::kString) continue;
    if (auto id = model::TraceId::FromHex(ids->strings[row])) out.push_back(*id);
  }
  return absl::OkStatus();
}

// Keeps the `limit` largest distinct ids of `ids`, largest first.
void KeepLargest(std::vector<model::TraceId>& ids, size_t limit) {
  std::sort(ids.begin(), ids.end(), [](const model::TraceId& a, const model::TraceId& b) { return b < a; });
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (ids.size() > limit) ids.resize(limit);
}

}  // namespace

absl::StatusOr<std::vector<model::TraceId>> CandidateTraces(store::Store& store, double start, double end,
                                                            size_t limit, const store::TraceHint& hint) {
  // A scan keeping the largest ids, not a GROUP BY trace id: grouping 10^6 traces to keep 2 x
  // 10^4 of them took 9-17 s over 10^7 spans (perf: hashing, a heap string a group, sorting
  // every group), this a fraction of a second.
  query::QuerySpec spec;
  spec.filters = {query::Filter{"trace.parent_id", query::FilterOp::kDoesNotExist, {}}};
  spec.start_time = static_cast<int64_t>(std::floor(start));
  spec.end_time = std::max<int64_t>(spec.start_time + 1, static_cast<int64_t>(std::ceil(end)));
  const query::RowSelector roots(spec);
  store::ScanRange range;
  range.min_time = roots.start_ns();
  range.max_time = roots.end_ns() - 1;
  range.fields = std::vector<std::string>{std::string(kTraceIdField), "trace.parent_id"};
  range.filter = spec.RowFilter();
  range.traces = hint;
  ASSIGN_OR_RETURN(const store::ScanUnits units, store.Scan(range));
  const int runners = std::max(1, std::min<int>(query::QueryOptions().threads, static_cast<int>(units.size())));
  std::vector<std::vector<model::TraceId>> found(static_cast<size_t>(runners));
  RETURN_IF_NOT_OK(query::QueryScheduler::Shared().ForEach(
      units.size(), runners, nullptr, std::chrono::steady_clock::time_point::max(), "the trace search",
      [&](size_t unit, size_t runner) -> absl::Status {
        std::vector<model::TraceId>& ids = found[runner];
        RETURN_IF_NOT_OK(RootTraceIds(*units[unit], roots, ids));
        if (ids.size() > 4 * limit + 8192) KeepLargest(ids, limit);  // memory bounded by the limit
        return absl::OkStatus();
      }));
  std::vector<model::TraceId> ids;
  for (auto& part : found) ids.insert(ids.end(), part.begin(), part.end());
  // X-Ray ids begin with their epoch second: the newest first, and a stable order for paging.
  KeepLargest(ids, limit);
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
