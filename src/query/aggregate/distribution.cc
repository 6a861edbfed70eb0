// Percentiles and HEATMAP: the weighted values of a numeric column per cell
// (query/value_distribution.h: exact up to its limit, then a log-linear sketch whose buckets
// are array indexes computed from the double's bits).
#include "common/status_macros.h"
#include "query/aggregate/functions.h"

namespace waggle::query {

absl::Status DistributionFunction::AddBatch(BlockColumns& block, const AggregateBatch& batch, uint64_t& bytes) const {
  auto add = [&](size_t i, double v) {
    std::unique_ptr<ValueDistribution>& values = state(batch.places[i]).values;
    if (!values) values = std::make_unique<ValueDistribution>(), bytes += sizeof(ValueDistribution);
    const bool was_exact = values->exact();
    values->Add(v, batch.WeightOf(i));
    if (was_exact && values->exact()) bytes += 16;
  };
  return ForEachNumber(block, column(), batch, add);
}

void DistributionFunction::Merge(char* into, char* from, bool steal) const {
  std::unique_ptr<ValueDistribution>& a = state(into).values;
  std::unique_ptr<ValueDistribution>& b = state(from).values;
  if (!b) return;
  if (!a) {
    a = steal ? std::move(b) : std::make_unique<ValueDistribution>(*b);
  } else {
    a->Merge(*b);
  }
}

std::optional<double> DistributionFunction::Value(const char* place, CalculationOp op) const {
  const ValueDistribution* values = Of(place);
  if (!IsPercentile(op) || values == nullptr || values->empty()) return std::nullopt;
  return values->Quantile(PercentileOf(op));
}

}  // namespace waggle::query
