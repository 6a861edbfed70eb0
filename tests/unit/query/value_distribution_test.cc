#include "query/value_distribution.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

namespace waggle::query {
namespace {

double ExactQuantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double target = q * static_cast<double>(values.size());
  size_t rank = static_cast<size_t>(std::ceil(target - 1e-9));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

TEST(ValueDistributionTest, ExactWhileSmall) {
  ValueDistribution d;
  for (int i = 1; i <= 100; ++i) d.Add(i, 1);
  EXPECT_TRUE(d.exact());
  EXPECT_EQ(d.Quantile(0.5), 50);
  EXPECT_EQ(d.Quantile(0.99), 99);
  EXPECT_EQ(d.Quantile(1.0), 100);
  EXPECT_EQ(d.Quantile(0.001), 1);
}

TEST(ValueDistributionTest, SketchWithinOnePercentOnLongTails) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(3.0, 1.5);
  std::vector<double> values;
  ValueDistribution a, b;
  for (int i = 0; i < 200000; ++i) {
    const double v = latency(rng);
    values.push_back(v);
    (i % 2 ? a : b).Add(v, 1);
  }
  a.Merge(b);  // mergeable: two halves give the whole
  EXPECT_FALSE(a.exact());
  for (double q : {0.001, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999}) {
    const double exact = ExactQuantile(values, q);
    EXPECT_NEAR(a.Quantile(q), exact, exact * 0.01) << "q=" << q;
  }
  EXPECT_LT(a.bytes(), 200000u);  // bounded: buckets, not values
}

TEST(ValueDistributionTest, NegativeZeroAndWeights) {
  ValueDistribution d;
  for (int i = 0; i < 20000; ++i) d.Add(i % 3 == 0 ? -50.0 : (i % 3 == 1 ? 0.0 : 50.0), i % 3 == 2 ? 2 : 1);
  // Weights: -50 and 0 a quarter each, 50 half.
  EXPECT_NEAR(d.Quantile(0.2), -50, 0.5);
  EXPECT_NEAR(d.Quantile(0.4), 0, 1e-9);
  EXPECT_NEAR(d.Quantile(0.9), 50, 0.5);
  EXPECT_EQ(d.min(), -50);
  EXPECT_EQ(d.max(), 50);
}

}  // namespace
}  // namespace waggle::query
