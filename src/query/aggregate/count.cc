// COUNT: sample rates summed (a row sampled at 1 in 10 stands for ten).
#include "query/aggregate/functions.h"

#include "common/status_macros.h"

namespace waggle::query {

AggregateFunction::Family AggregateFunction::FamilyOf(CalculationOp op) {
  switch (op) {
    case CalculationOp::kCount: return Family::kCount;
    case CalculationOp::kConcurrency: return Family::kConcurrency;
    case CalculationOp::kCountDistinct: return Family::kDistinct;
    case CalculationOp::kHeatmap: return Family::kDistribution;
    default: return IsPercentile(op) ? Family::kDistribution : Family::kStats;
  }
}

std::unique_ptr<AggregateFunction> AggregateFunction::Make(Family family, const std::string& column) {
  switch (family) {
    case Family::kCount: return std::make_unique<CountFunction>();
    case Family::kStats: return MakeStatsFunction(column);
    case Family::kDistribution: return std::make_unique<DistributionFunction>(column);
    case Family::kDistinct: return MakeCountDistinctFunction(column);
    case Family::kConcurrency: return std::make_unique<ConcurrencyFunction>();
  }
  return nullptr;
}

absl::Status CountFunction::AddBatch(BlockColumns&, const AggregateBatch& batch, uint64_t&) const {
  if (batch.weights == nullptr) {
    for (size_t i = 0; i < batch.size; ++i) state(batch.places[i]).count += batch.weight;
  } else {
    for (size_t i = 0; i < batch.size; ++i) state(batch.places[i]).count += batch.weights[i];
  }
  return absl::OkStatus();
}

void CountFunction::Merge(char* into, char* from, bool) const { state(into).count += state(from).count; }

std::optional<double> CountFunction::Value(const char* place, CalculationOp) const { return state(place).count; }

}  // namespace waggle::query
