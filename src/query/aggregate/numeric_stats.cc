// SUM, AVG, MIN, MAX and the RATE_* family's per-bucket values: one running weighted sum,
// weight, min and max per cell over the rows whose value is a number.
#include "common/status_macros.h"
#include "query/aggregate/functions.h"

namespace waggle::query {
namespace {

struct StatsState {
  double weight = 0;  // of the rows with a numeric value
  double sum = 0;
  double min = 0;
  double max = 0;
};

class StatsFunction final : public PlainAggregateFunction<StatsState> {
 public:
  explicit StatsFunction(std::string column) : PlainAggregateFunction(Family::kStats, std::move(column)) {}

  absl::Status AddBatch(BlockColumns& block, const AggregateBatch& batch, uint64_t&) const override {
    return ForEachNumber(block, column(), batch, [&](size_t i, double v) {
      StatsState& s = state(batch.places[i]);
      const double w = batch.WeightOf(i);
      if (s.weight == 0) {
        s.min = s.max = v;
      } else {
        s.min = std::min(s.min, v);
        s.max = std::max(s.max, v);
      }
      s.weight += w;
      s.sum += v * w;
    });
  }

  void Merge(char* into, char* from, bool) const override {
    StatsState& a = state(into);
    const StatsState& b = state(from);
    if (b.weight == 0) return;
    if (a.weight == 0) {
      a.min = b.min, a.max = b.max;
    } else {
      a.min = std::min(a.min, b.min), a.max = std::max(a.max, b.max);
    }
    a.weight += b.weight;
    a.sum += b.sum;
  }

  std::optional<double> Value(const char* place, CalculationOp op) const override {
    const StatsState& s = state(place);
    if (op == CalculationOp::kSum) return s.sum;
    if (s.weight == 0) return std::nullopt;
    switch (op) {
      case CalculationOp::kAvg:
      case CalculationOp::kRateAvg: return s.sum / s.weight;
      case CalculationOp::kMin: return s.min;
      case CalculationOp::kMax:
      case CalculationOp::kRateMax: return s.max;
      case CalculationOp::kRateSum: return s.sum;
      default: return std::nullopt;
    }
  }
};

}  // namespace

std::unique_ptr<AggregateFunction> MakeStatsFunction(std::string column) {
  return std::make_unique<StatsFunction>(std::move(column));
}

}  // namespace waggle::query
