// The Finish stages of a query: each group's values (totals are their buckets merged), the
// RATE_* differences, havings, order and limit, one heatmap range shared by the groups
// shown, and the time series.
#include <algorithm>

#include "query/aggregation_state.h"
#include "query/comparison.h"

namespace waggle::query {
namespace {

constexpr int64_t kNanosPerSecond = 1000000000;

bool IsRate(CalculationOp op) {
  return op == CalculationOp::kRateAvg || op == CalculationOp::kRateSum || op == CalculationOp::kRateMax;
}

int CompareGroupValues(const GroupValue& a, const GroupValue& b) {
  // Absent values last; numbers before strings.
  auto rank = [](const GroupValue& v) {
    switch (v.type) {
      case ValueType::kInt: case ValueType::kDouble: return 0;
      case ValueType::kBool: return 1;
      case ValueType::kString: return 2;
      case ValueType::kAbsent: return 3;
    }
    return 3;
  };
  if (rank(a) != rank(b)) return rank(a) < rank(b) ? -1 : 1;
  switch (a.type) {
    case ValueType::kInt: case ValueType::kDouble: {
      double x = a.type == ValueType::kInt ? static_cast<double>(a.int_value) : a.double_value;
      double y = b.type == ValueType::kInt ? static_cast<double>(b.int_value) : b.double_value;
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    case ValueType::kBool: return a.int_value < b.int_value ? -1 : (a.int_value > b.int_value ? 1 : 0);
    case ValueType::kString: return a.string_value < b.string_value ? -1 : (a.string_value > b.string_value ? 1 : 0);
    case ValueType::kAbsent: return 0;
  }
  return 0;
}

int FindCalculation(const QuerySpec& spec, CalculationOp op, const std::string& column) {
  for (size_t i = 0; i < spec.calculations.size(); ++i) {
    const Calculation& c = spec.calculations[i];
    if (c.op == op && (!NeedsColumn(op) || c.column == column)) return static_cast<int>(i);
  }
  return -1;
}

struct Finished {
  uint32_t group;
  ResultRow row;
  std::vector<std::pair<size_t, ResultRow>> buckets;  // bucket index, values
};

// A group's values: its totals and its time buckets (HEATMAP waits for the range).
Finished FinishGroup(const Plan& plan, Group& group, uint32_t index, const char* empty) {
  const QuerySpec& spec = *plan.spec;
  const size_t ncalc = spec.calculations.size();
  if (plan.series) {
    for (char* cell : group.bucket_cells) {
      if (cell == nullptr) continue;
      for (const auto& f : plan.functions) f->Merge(group.total, cell, /*steal=*/false);
    }
  }
  Finished f;
  f.group = index;
  f.row.group = group.values;
  f.row.values.resize(ncalc);
  std::vector<double> concurrency_buckets;
  double concurrency = 0;
  for (size_t i = 0; i < ncalc; ++i) {
    if (spec.calculations[i].op != CalculationOp::kConcurrency) continue;
    const auto& function = static_cast<const ConcurrencyFunction&>(plan.FunctionOf(i));
    concurrency = function.Peak(group.total, plan.origin_ns, plan.bucket_ns, plan.buckets,
                                plan.series ? &concurrency_buckets : nullptr);
    break;
  }
  for (size_t b = 0; b < group.bucket_cells.size(); ++b) {
    // A bucket where no span started may still have spans in progress.
    const bool in_progress = !concurrency_buckets.empty() && concurrency_buckets[b] > 0;
    if (group.bucket_cells[b] == nullptr && !in_progress) continue;
    ResultRow row;
    row.group = group.values;
    row.values.resize(ncalc);
    f.buckets.emplace_back(b, std::move(row));
  }
  for (size_t i = 0; i < ncalc; ++i) {
    const Calculation& c = spec.calculations[i];
    if (c.op == CalculationOp::kHeatmap) continue;  // once the range is known
    if (c.op == CalculationOp::kConcurrency) {
      f.row.values[i].number = concurrency;
      for (auto& [b, row] : f.buckets) row.values[i].number = concurrency_buckets.empty() ? 0 : concurrency_buckets[b];
      continue;
    }
    const AggregateFunction& function = plan.FunctionOf(i);
    for (auto& [b, row] : f.buckets) {
      const char* cell = group.bucket_cells[b];
      row.values[i].number = function.Value(cell == nullptr ? empty : cell, c.op);
    }
    if (IsRate(c.op)) {
      // The change of the bucket's MAX / AVG / SUM since the bucket before; overall, the
      // mean change.
      std::vector<std::optional<double>> rates(f.buckets.size());
      double total = 0;
      int n = 0;
      for (size_t k = 1; k < f.buckets.size(); ++k) {
        const auto& here = f.buckets[k];
        const auto& before = f.buckets[k - 1];
        if (before.first + 1 == here.first && here.second.values[i].number && before.second.values[i].number) {
          rates[k] = *here.second.values[i].number - *before.second.values[i].number;
          total += *rates[k];
          ++n;
        }
      }
      for (size_t k = 0; k < f.buckets.size(); ++k) f.buckets[k].second.values[i].number = rates[k];
      f.row.values[i].number = n > 0 ? std::optional<double>(total / n) : std::nullopt;
      continue;
    }
    f.row.values[i].number = function.Value(group.total, c.op);
  }
  return f;
}

// Order: the spec's orders, else the first calculation descending; ties by group.
void OrderAndLimit(const QuerySpec& spec, std::vector<Finished>& finished) {
  std::vector<query::Order> orders = spec.orders;
  if (orders.empty()) {
    for (const Calculation& c : spec.calculations) {
      if (c.op != CalculationOp::kHeatmap) {
        orders.push_back({c.op, c.column, true});
        break;
      }
    }
  }
  std::vector<std::pair<int, int>> order_keys;  // calculation index or -(breakdown index + 1), descending?
  for (const query::Order& o : orders) {
    if (o.op) {
      order_keys.emplace_back(FindCalculation(spec, *o.op, o.column), o.descending);
    } else {
      const auto it = std::find(spec.breakdowns.begin(), spec.breakdowns.end(), o.column);
      order_keys.emplace_back(-static_cast<int>(it - spec.breakdowns.begin()) - 1, o.descending);
    }
  }
  auto less = [&](const Finished& a, const Finished& b) {
    for (const auto& [key, descending] : order_keys) {
      int c = 0;
      if (key >= 0) {
        const auto& x = a.row.values[static_cast<size_t>(key)].number;
        const auto& y = b.row.values[static_cast<size_t>(key)].number;
        if (x.has_value() != y.has_value()) return x.has_value();  // nulls last
        if (x && *x != *y) c = *x < *y ? -1 : 1;
      } else {
        c = CompareGroupValues(a.row.group[static_cast<size_t>(-key - 1)], b.row.group[static_cast<size_t>(-key - 1)]);
      }
      if (c != 0) return descending ? c > 0 : c < 0;
    }
    for (size_t i = 0; i < a.row.group.size(); ++i) {
      const int c = CompareGroupValues(a.row.group[i], b.row.group[i]);
      if (c != 0) return c < 0;
    }
    return false;
  };
  std::sort(finished.begin(), finished.end(), less);
  if (finished.size() > static_cast<size_t>(spec.limit)) finished.resize(static_cast<size_t>(spec.limit));
}

// Heatmaps: one value range over the groups shown, shared by their totals and buckets.
void FillHeatmaps(const Plan& plan, const Partial& partial, const char* empty, int buckets,
                  std::vector<Finished>& finished, QueryResult& result) {
  const QuerySpec& spec = *plan.spec;
  for (size_t i = 0; i < spec.calculations.size(); ++i) {
    if (spec.calculations[i].op != CalculationOp::kHeatmap) continue;
    const auto& function = static_cast<const DistributionFunction&>(plan.FunctionOf(i));
    HeatmapRange& range = result.heatmaps[i];
    range.buckets = buckets;
    bool any = false;
    for (const Finished& f : finished) {
      const ValueDistribution* d = function.Of(partial.groups[f.group].total);
      if (d == nullptr || d->empty()) continue;
      range.min = any ? std::min(range.min, d->min()) : d->min();
      range.max = any ? std::max(range.max, d->max()) : d->max();
      any = true;
    }
    for (Finished& f : finished) {
      const Group& group = partial.groups[f.group];
      auto fill = [&](const char* cell, CalculationValue& out) {
        out.heatmap.assign(static_cast<size_t>(range.buckets), 0);
        if (const ValueDistribution* d = function.Of(cell)) {
          d->AddToHistogram(range.min, range.max, out.heatmap);
          if (!d->exact()) result.stats.exact_percentiles = false;
        }
      };
      fill(group.total, f.row.values[i]);
      for (auto& [b, row] : f.buckets) {
        const char* cell = group.bucket_cells[b];
        fill(cell == nullptr ? empty : cell, row.values[i]);
      }
    }
  }
}

}  // namespace

absl::StatusOr<QueryResult> Finish(const Plan& plan, Partial& partial, const QueryOptions& options) {
  const QuerySpec& spec = *plan.spec;
  QueryResult result;
  result.spec = spec;
  result.stats = partial.stats;
  result.heatmaps.resize(spec.calculations.size());
  const char* empty = partial.cells.New();

  std::vector<Finished> finished;
  finished.reserve(partial.groups.size());
  for (uint32_t g = 0; g < partial.groups.size(); ++g) finished.push_back(FinishGroup(plan, partial.groups[g], g, empty));

  std::erase_if(finished, [&](const Finished& f) {
    for (const Having& h : spec.havings) {
      const int i = FindCalculation(spec, h.calculate_op, h.column);
      if (i < 0) continue;
      const auto& v = f.row.values[static_cast<size_t>(i)].number;
      if (!v || !NumberComparisonHolds(h.op, *v, h.value)) return true;
    }
    return false;
  });
  OrderAndLimit(spec, finished);
  FillHeatmaps(plan, partial, empty, options.heatmap_buckets, finished, result);
  for (const Finished& f : finished) {
    for (const auto& function : plan.functions) {
      if (function->family() != AggregateFunction::Family::kDistribution) continue;
      const ValueDistribution* d = static_cast<const DistributionFunction&>(*function).Of(partial.groups[f.group].total);
      if (d != nullptr && !d->exact()) result.stats.exact_percentiles = false;
    }
  }

  for (Finished& f : finished) {
    for (auto& [b, row] : f.buckets) {
      const int64_t time = (plan.origin_ns + static_cast<int64_t>(b) * plan.bucket_ns) / kNanosPerSecond;
      result.series.push_back({time, std::move(row)});
    }
    result.results.push_back(std::move(f.row));
  }
  std::stable_sort(result.series.begin(), result.series.end(),
                   [](const SeriesRow& a, const SeriesRow& b) { return a.time < b.time; });
  return result;
}

}  // namespace waggle::query
