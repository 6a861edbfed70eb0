#include "query/value_distribution.h"

#include <algorithm>
#include <cmath>

namespace waggle::query {
namespace {

const double kGamma = (1 + ValueDistribution::kRelativeAccuracy) / (1 - ValueDistribution::kRelativeAccuracy);
const double kLogGamma = std::log(kGamma);
// Values closer to zero than this count as zero (far below any duration or size users query).
constexpr double kMinMagnitude = 1e-9;

int32_t LogIndex(double magnitude) { return static_cast<int32_t>(std::ceil(std::log(magnitude) / kLogGamma)); }

}  // namespace

void ValueDistribution::Add(double value, double weight) {
  if (!std::isfinite(value) || weight <= 0) return;
  if (total_weight_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  total_weight_ += weight;
  if (sketched_) return AddToSketch(value, weight);
  values_.emplace_back(value, weight);
  if (values_.size() > kExactLimit) Sketch();
}

void ValueDistribution::AddToSketch(double value, double weight) {
  if (std::fabs(value) < kMinMagnitude) {
    zero_weight_ += weight;
  } else if (value > 0) {
    positive_[LogIndex(value)] += weight;
  } else {
    negative_[LogIndex(-value)] += weight;
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
  for (const auto& [i, w] : other.positive_) positive_[i] += w;
  for (const auto& [i, w] : other.negative_) negative_[i] += w;
  zero_weight_ += other.zero_weight_;
}

double ValueDistribution::BucketValue(int32_t index) const {
  // The middle of (gamma^(i-1), gamma^i] in relative terms: within the accuracy of both ends.
  return 2 * std::pow(kGamma, index) / (kGamma + 1);
}

std::vector<std::pair<double, double>> ValueDistribution::SortedPoints() const {
  std::vector<std::pair<double, double>> points;
  if (!sketched_) {
    points = values_;
  } else {
    points.reserve(positive_.size() + negative_.size() + 1);
    for (const auto& [i, w] : negative_) points.emplace_back(-BucketValue(i), w);
    if (zero_weight_ > 0) points.emplace_back(0.0, zero_weight_);
    for (const auto& [i, w] : positive_) points.emplace_back(BucketValue(i), w);
  }
  std::sort(points.begin(), points.end());
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
    double clamped = std::clamp(v, lo, hi);
    auto bucket = static_cast<size_t>((clamped - lo) / width);
    counts[std::min(bucket, counts.size() - 1)] += w;
  };
  if (!sketched_) {
    for (const auto& [v, w] : values_) add(v, w);
  } else {
    for (const auto& [v, w] : SortedPoints()) add(std::clamp(v, min_, max_), w);
  }
}

size_t ValueDistribution::bytes() const {
  return sizeof(*this) + values_.capacity() * sizeof(values_[0]) + (positive_.size() + negative_.size()) * 32;
}

}  // namespace waggle::query
