// The weighted values of a numeric column in one group (and time bucket), for percentiles
// and heatmaps. Exact (every value and its weight) up to kExactLimit values; past that a
// log-linear sketch takes over: each power of two is cut into 128 equal buckets, found
// from the double's exponent and top mantissa bits (no log() per value), so a bucket's
// middle is within 0.4% of any value in it and a percentile is within 1% of the exact one
// whatever the data size, in bounded memory (HdrHistogram's and DDSketch's idea).
// Distributions of the same column merge (threads, time buckets into totals).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace waggle::query {

class ValueDistribution {
 public:
  static constexpr size_t kExactLimit = 8192;
  static constexpr int kSubBucketBits = 7;  // 128 buckets per power of two

  // Inline: it runs once per row of a percentile or heatmap query.
  void Add(double value, double weight) {
    if (!std::isfinite(value) || weight <= 0) return;
    if (total_weight_ == 0) {
      min_ = max_ = value;
    } else {
      min_ = std::min(min_, value);
      max_ = std::max(max_, value);
    }
    total_weight_ += weight;
    if (!sketched_) {
      values_.emplace_back(value, weight);
      if (values_.size() > kExactLimit) Sketch();
      return;
    }
    // A positive value in a bucket already held: the common case once sketched.
    if (value >= kMinMagnitude && positive_.TryAdd(BucketIndex(value), weight)) return;
    AddToSketch(value, weight);
  }
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
  // Weights per bin of ascending `edges` (bin i is [edges[i], edges[i+1]), the last closed;
  // values outside go to the nearest end bin). counts has edges.size() - 1 entries.
  void AddToBins(const std::vector<double>& edges, std::vector<double>& counts) const;
  size_t bytes() const;

 private:
  // Weights by bucket index, stored densely from `first`.
  struct Buckets {
    int32_t first = 0;
    std::vector<double> weights;
    void Add(int32_t index, double weight);
    bool TryAdd(int32_t index, double weight) {
      const auto offset = static_cast<size_t>(static_cast<uint32_t>(index - first));
      if (offset >= weights.size()) return false;
      weights[offset] += weight;
      return true;
    }
  };
  // Values closer to zero than this count as zero (far below any duration or size users
  // query, and above the subnormals, whose exponent bits do not give their magnitude).
  static constexpr double kMinMagnitude = 1e-300;
  static int32_t BucketIndex(double magnitude) {  // exponent and top mantissa bits
    return static_cast<int32_t>(std::bit_cast<uint64_t>(magnitude) >> (52 - kSubBucketBits));
  }

  void Sketch();
  void AddToSketch(double value, double weight);
  std::vector<std::pair<double, double>> SortedPoints() const;

  std::vector<std::pair<double, double>> values_;  // exact: value, weight
  Buckets positive_;
  Buckets negative_;  // by the magnitude's index
  double zero_weight_ = 0;
  bool sketched_ = false;
  double total_weight_ = 0;
  double min_ = 0;
  double max_ = 0;
};

}  // namespace waggle::query
