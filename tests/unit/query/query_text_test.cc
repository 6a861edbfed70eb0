#include "query/query_text.h"

#include <gtest/gtest.h>

namespace waggle::query {
namespace {

constexpr int64_t kNow = 1767225600;

TEST(QueryTextTest, TheIssuesExample) {
  auto spec = ParseQueryText(
      "HEATMAP(duration_ms) P99(duration_ms) WHERE http.status_code >= 500 GROUP BY name "
      "ORDER BY P99(duration_ms) DESC LIMIT 10 LAST 1h",
      kNow);
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->calculations.size(), 2u);
  EXPECT_EQ(spec->calculations[0], (Calculation{CalculationOp::kHeatmap, "duration_ms"}));
  EXPECT_EQ(spec->calculations[1], (Calculation{CalculationOp::kP99, "duration_ms"}));
  ASSERT_EQ(spec->filters.size(), 1u);
  EXPECT_EQ(spec->filters[0].column, "http.status_code");
  EXPECT_EQ(spec->filters[0].op, FilterOp::kGreaterOrEqual);
  EXPECT_EQ(std::get<int64_t>(spec->filters[0].values[0]), 500);
  EXPECT_EQ(spec->breakdowns, std::vector<std::string>{"name"});
  ASSERT_EQ(spec->orders.size(), 1u);
  EXPECT_EQ(spec->orders[0].op, CalculationOp::kP99);
  EXPECT_TRUE(spec->orders[0].descending);
  EXPECT_EQ(spec->limit, 10);
  EXPECT_EQ(spec->end_time, kNow + 1);  // the second under way included
  EXPECT_EQ(spec->start_time, kNow + 1 - 3600);
  EXPECT_EQ(spec->granularity, 15);  // 240 buckets
}

TEST(QueryTextTest, OperatorsWithoutSpacesQuotedValuesAndLists) {
  auto spec = ParseQueryText("COUNT WHERE a>=5 AND name = 'GET /users' AND b in (1, x, \"y z\") AND c does-not-exist", kNow);
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->filters.size(), 4u);
  EXPECT_EQ(spec->filters[0].op, FilterOp::kGreaterOrEqual);
  EXPECT_EQ(std::get<std::string>(spec->filters[1].values[0]), "GET /users");
  ASSERT_EQ(spec->filters[2].values.size(), 3u);
  EXPECT_EQ(std::get<std::string>(spec->filters[2].values[2]), "y z");
  EXPECT_EQ(spec->filters[3].op, FilterOp::kDoesNotExist);
}

TEST(QueryTextTest, ErrorsPointAtThePosition) {
  auto spec = ParseQueryText("COUNT WHERE a ~ 5", kNow);
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(std::string(spec.status().message()).find("at character 15"), std::string::npos) << spec.status();
  spec = ParseQueryText("COUNT GROUP name", kNow);
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(std::string(spec.status().message()).find("at character 13: expected by"), std::string::npos) << spec.status();
}

TEST(QueryTextTest, Durations) {
  EXPECT_EQ(*ParseDurationSeconds("90"), 90);
  EXPECT_EQ(*ParseDurationSeconds("10m"), 600);
  EXPECT_EQ(*ParseDurationSeconds("7d"), 7 * 86400);
  EXPECT_FALSE(ParseDurationSeconds("-1h").ok());
  EXPECT_FALSE(ParseDurationSeconds("h").ok());
}

}  // namespace
}  // namespace waggle::query
