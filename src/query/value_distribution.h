// The weighted values of a numeric column in one group (and time bucket), for percentiles
// and heatmaps. Exact (every value and its weight) up to kExactLimit values; past that a
// DDSketch-style log-bucketed sketch with 0.5% relative accuracy takes over, so a
// percentile is within 1% of the exact one whatever the data size, in bounded memory.
// Distributions of the same column merge (threads, buckets into totals).
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

namespace waggle::query {

class ValueDistribution {
 public:
  static constexpr size_t kExactLimit = 8192;
  static constexpr double kRelativeAccuracy = 0.005;

  void Add(double value, double weight);
  void Merge(const ValueDistribution& other);

  bool exact() const { return !sketched_; }
  double total_weight() const { return total_weight_; }
  double min() const { return min_; }
  double max() const { return max_; }
  bool empty() const { return total_weight_ == 0; }
  // The smallest value v with at least q of the weight at or below it (nearest rank).
  double Quantile(double q) const;
  // Weights per linear bucket of [lo, hi] (the last bucket closed).
  void AddToHistogram(double lo, double hi, std::vector<double>& counts) const;
  size_t bytes() const;

 private:
  void Sketch();
  void AddToSketch(double value, double weight);
  // Representative value of a sketch bucket (index < 0: the negative side; kZero: zero).
  double BucketValue(int32_t index) const;
  std::vector<std::pair<double, double>> SortedPoints() const;

  std::vector<std::pair<double, double>> values_;  // exact: value, weight
  std::unordered_map<int32_t, double> positive_;   // sketch buckets by log index
  std::unordered_map<int32_t, double> negative_;
  double zero_weight_ = 0;
  bool sketched_ = false;
  double total_weight_ = 0;
  double min_ = 0;
  double max_ = 0;
};

}  // namespace waggle::query
