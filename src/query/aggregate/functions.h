// The aggregate functions, one family per file (count.cc, numeric_stats.cc, distribution.cc,
// count_distinct.cc, concurrency.cc). The finish stage reaches past AggregateFunction::Value
// for the three declared here: store-made counts, heatmaps and concurrency.
#pragma once

#include <utility>
#include <vector>

#include "query/aggregate/aggregate_function.h"
#include "query/value_distribution.h"

namespace waggle::query {

struct CountState {
  double count = 0;  // sample rates summed
};

class CountFunction final : public PlainAggregateFunction<CountState> {
 public:
  CountFunction() : PlainAggregateFunction(Family::kCount, "") {}
  absl::Status AddBatch(BlockColumns& block, const AggregateBatch& batch, uint64_t& bytes) const override;
  void Merge(char* into, char* from, bool steal) const override;
  std::optional<double> Value(const char* place, CalculationOp op) const override;
  // Rows a store counted by itself (query/counting_store.h).
  void AddCount(char* place, double count) const { state(place).count += count; }
};

struct DistributionState {
  std::unique_ptr<ValueDistribution> values;  // made by the first value
};

class DistributionFunction final : public PlainAggregateFunction<DistributionState> {
 public:
  explicit DistributionFunction(std::string column) : PlainAggregateFunction(Family::kDistribution, std::move(column)) {}
  absl::Status AddBatch(BlockColumns& block, const AggregateBatch& batch, uint64_t& bytes) const override;
  void Merge(char* into, char* from, bool steal) const override;
  std::optional<double> Value(const char* place, CalculationOp op) const override;
  // The values of a cell (null when it has none), for HEATMAP.
  const ValueDistribution* Of(const char* place) const { return state(place).values.get(); }
};

struct ConcurrencyState {
  std::vector<std::pair<int64_t, int64_t>> intervals;  // start, end (ns)
};

class ConcurrencyFunction final : public PlainAggregateFunction<ConcurrencyState> {
 public:
  ConcurrencyFunction() : PlainAggregateFunction(Family::kConcurrency, "") {}
  absl::Status AddBatch(BlockColumns& block, const AggregateBatch& batch, uint64_t& bytes) const override;
  void Merge(char* into, char* from, bool steal) const override;
  std::optional<double> Value(const char* place, CalculationOp op) const override;
  // The highest number of spans in progress at once over a cell's spans; with `per_bucket`,
  // also per time bucket b = [origin + b * bucket, ...), counting spans still in progress
  // when a bucket begins.
  double Peak(const char* place, int64_t origin_ns, int64_t bucket_ns, size_t buckets,
              std::vector<double>* per_bucket) const;
};

std::unique_ptr<AggregateFunction> MakeStatsFunction(std::string column);
std::unique_ptr<AggregateFunction> MakeCountDistinctFunction(std::string column);

}  // namespace waggle::query
