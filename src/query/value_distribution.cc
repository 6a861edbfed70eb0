#include "query/value_distribution.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace waggle::query {
namespace {

double BucketMiddle(int32_t index) {
  constexpr int kSub = 1 << ValueDistribution::kSubBucketBits;
  const int exponent = index >> ValueDistribution::kSubBucketBits;
  const int sub = index & (kSub - 1);
  return std::ldexp(1.0 + (sub + 0.5) / kSub, exponent - 1023);
}

}  // namespace

void ValueDistribution::Buckets::Add(int32_t index, double weight) {
  if (weights.empty()) {
    first = index;
    weights.push_back(weight);
    return;
  }
  if (index < first) {
    weights.insert(weights.begin(), static_cast<size_t>(first - index), 0.0);
    first = index;
  } else if (static_cast<size_t>(index - first) >= weights.size()) {
    weights.resize(static_cast<size_t>(index - first) + 1, 0.0);
  }
  weights[static_cast<size_t>(index - first)] += weight;
}

void ValueDistribution::AddToSketch(double value, double weight) {
  if (std::fabs(value) < kMinMagnitude) {
    zero_weight_ += weight;
  } else if (value > 0) {
    positive_.Add(BucketIndex(value), weight);
  } else {
    negative_.Add(BucketIndex(-value), weight);
  }
}

void ValueDistribution::Sketch() {
  sketched_ = true;
  for (const auto& [v, w] : values_) AddToSketch(v, w);
  values_.clear();
  values_.shrink_to_fit();
}

void ValueDistribution::Merge(const ValueDistribution& other) {
  if (other.empty()) return;
  if (empty()) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  total_weight_ += other.total_weight_;
  if (!sketched_ && !other.sketched_ && values_.size() + other.values_.size() <= kExactLimit) {
    values_.insert(values_.end(), other.values_.begin(), other.values_.end());
    return;
  }
  if (!sketched_) Sketch();
  for (const auto& [v, w] : other.values_) AddToSketch(v, w);
  for (size_t i = 0; i < other.positive_.weights.size(); ++i) {
    if (other.positive_.weights[i] > 0) positive_.Add(other.positive_.first + static_cast<int32_t>(i), other.positive_.weights[i]);
  }
  for (size_t i = 0; i < other.negative_.weights.size(); ++i) {
    if (other.negative_.weights[i] > 0) negative_.Add(other.negative_.first + static_cast<int32_t>(i), other.negative_.weights[i]);
  }
  zero_weight_ += other.zero_weight_;
}

std::vector<std::pair<double, double>> ValueDistribution::SortedPoints() const {
  std::vector<std::pair<double, double>> points;
  if (!sketched_) {
    points = values_;
    std::sort(points.begin(), points.end());
    return points;
  }
  // Largest magnitudes of the negative side first, then zero, then the positive side.
  for (size_t i = negative_.weights.size(); i-- > 0;) {
    if (negative_.weights[i] > 0) points.emplace_back(-BucketMiddle(negative_.first + static_cast<int32_t>(i)), negative_.weights[i]);
  }
  if (zero_weight_ > 0) points.emplace_back(0.0, zero_weight_);
  for (size_t i = 0; i < positive_.weights.size(); ++i) {
    if (positive_.weights[i] > 0) points.emplace_back(BucketMiddle(positive_.first + static_cast<int32_t>(i)), positive_.weights[i]);
  }
  return points;
}

double ValueDistribution::Quantile(double q) const {
  if (empty()) return 0;
  const auto points = SortedPoints();
  const double target = q * total_weight_;
  double cumulative = 0;
  for (const auto& [v, w] : points) {
    cumulative += w;
    if (cumulative >= target - 1e-9 * total_weight_) return std::clamp(v, min_, max_);
  }
  return max_;
}

void ValueDistribution::AddToHistogram(double lo, double hi, std::vector<double>& counts) const {
  if (counts.empty()) return;
  const double width = hi > lo ? (hi - lo) / static_cast<double>(counts.size()) : 1;
  auto add = [&](double v, double w) {
    const double clamped = std::clamp(v, lo, hi);
    const auto bucket = static_cast<size_t>((clamped - lo) / width);
    counts[std::min(bucket, counts.size() - 1)] += w;
  };
  if (!sketched_) {
    for (const auto& [v, w] : values_) add(v, w);
  } else {
    for (const auto& [v, w] : SortedPoints()) add(std::clamp(v, min_, max_), w);
  }
}

void ValueDistribution::AddToBins(const std::vector<double>& edges, std::vector<double>& counts) const {
  if (edges.size() < 2 || counts.size() + 1 != edges.size()) return;
  auto add = [&](double v, double w) {
    const auto it = std::upper_bound(edges.begin() + 1, edges.end() - 1, v);
    counts[static_cast<size_t>(it - (edges.begin() + 1))] += w;
  };
  if (!sketched_) {
    for (const auto& [v, w] : values_) add(v, w);
  } else {
    for (const auto& [v, w] : SortedPoints()) add(std::clamp(v, min_, max_), w);
  }
}

size_t ValueDistribution::bytes() const {
  return sizeof(*this) + values_.capacity() * sizeof(values_[0]) +
         (positive_.weights.capacity() + negative_.weights.capacity()) * sizeof(double);
}

}  // namespace waggle::query
