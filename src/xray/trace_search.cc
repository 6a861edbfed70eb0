#include "xray/trace_search.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "common/status_macros.h"
#include "query/query_executor.h"
#include "query/row_selector.h"
#include "query/scheduler.h"
#include "query/value_column.h"

namespace waggle::xray {

constexpr std::string_view kTraceIdField = "trace.trace_id";

namespace {

// A trace id as two big-endian words: compared as integers in the ids' byte order (a memcmp
// call per comparison was half the search's time).
struct IdKey {
  uint64_t high = 0;
  uint64_t low = 0;
  friend auto operator<=>(const IdKey&, const IdKey&) = default;

  static IdKey Of(const uint8_t* bytes) {
    IdKey key;
    std::memcpy(&key.high, bytes, 8);
    std::memcpy(&key.low, bytes + 8, 8);
    key.high = __builtin_bswap64(key.high);
    key.low = __builtin_bswap64(key.low);
    return key;
  }
  model::TraceId Id() const {
    model::TraceId id;
    const uint64_t words[2] = {__builtin_bswap64(high), __builtin_bswap64(low)};
    std::memcpy(id.bytes.data(), words, 16);
    return id;
  }
};

// The largest distinct ids seen, at most `limit` once trimmed: ids at or below the smallest
// kept one are turned away at once, so most of a big scan's ids cost one comparison.
class LargestIds {
 public:
  explicit LargestIds(size_t limit) : limit_(limit) {}

  void Add(const IdKey& key) {
    if (full_ && key <= floor_) return;
    keys_.push_back(key);
    if (keys_.size() >= 2 * limit_ + 4096) Trim();
  }
  void Merge(const LargestIds& other) {
    for (const IdKey& key : other.keys_) Add(key);
  }
  // Largest first.
  std::vector<model::TraceId> Ids() {
    Trim();
    std::vector<model::TraceId> ids;
    ids.reserve(keys_.size());
    for (const IdKey& key : keys_) ids.push_back(key.Id());
    return ids;
  }

 private:
  void Trim() {
    std::sort(keys_.begin(), keys_.end(), std::greater<>());
    keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
    if (keys_.size() >= limit_) {
      keys_.resize(limit_);
      full_ = limit_ > 0;
      if (full_) floor_ = keys_.back();
    }
  }

  size_t limit_;
  std::vector<IdKey> keys_;
  bool full_ = false;
  IdKey floor_;
};

// The trace ids of the root rows (trace.parent_id absent) that `roots` selects in one unit.
absl::Status RootTraceIds(const store::ScanUnit& unit, const query::RowSelector& roots, LargestIds& out) {
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
    const auto* bytes = reinterpret_cast<const uint8_t*>(ids->fixed.data());
    // Last row first: a part's rows are in trace id order, so the largest come first and the
    // rest are mostly turned away by LargestIds' floor.
    for (auto row = selected->rbegin(); row != selected->rend(); ++row) {
      if (!model::Applies(model::AppliesTo::kTraceRows, static_cast<model::AnnotationType>(types->ints[*row]))) continue;
      out.Add(IdKey::Of(bytes + size_t{*row} * model::TraceId::kSize));
    }
    return absl::OkStatus();
  }
  // An attribute of the name (Honeycomb events of a beeline): its text, when it is an id.
  ASSIGN_OR_RETURN(const query::ValueColumn* ids, block.Column(std::string(kTraceIdField)));
  for (uint32_t row : *selected) {
    if (ids->types[row] != query::ValueType::kString) continue;
    if (auto id = model::TraceId::FromHex(ids->strings[row])) out.Add(IdKey::Of(id->bytes.data()));
  }
  return absl::OkStatus();
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
  ASSIGN_OR_RETURN(store::ScanUnits units, store.Scan(range));
  std::reverse(units.begin(), units.end());  // each part's largest trace ids first (see RootTraceIds)
  const int runners = std::max(1, std::min<int>(query::QueryOptions().threads, static_cast<int>(units.size())));
  std::vector<LargestIds> found(static_cast<size_t>(runners), LargestIds(limit));
  RETURN_IF_NOT_OK(query::QueryScheduler::Shared().ForEach(
      units.size(), runners, nullptr, std::chrono::steady_clock::time_point::max(), "the trace search",
      [&](size_t unit, size_t runner) { return RootTraceIds(*units[unit], roots, found[runner]); }));
  for (size_t r = 1; r < found.size(); ++r) found[0].Merge(found[r]);
  // X-Ray ids begin with their epoch second: the newest first, and a stable order for paging.
  std::vector<model::TraceId> ids = found[0].Ids();
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
