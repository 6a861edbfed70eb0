#include "query/query_executor.h"

#include <gtest/gtest.h>

#include "query/query_text.h"
#include "store/embedded_store.h"
#include "testing/filled_store.h"
#include "testing/temp_dir.h"

namespace waggle::query {
namespace {

constexpr int64_t kStart = 1767225600;  // 2026-01-01

// 20,000 plain events over ten minutes: user ids all distinct, latency 0..999.
class QueryExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<model::Event> events;
    for (int i = 0; i < 20000; ++i) {
      model::Event e;
      e.annotation_type = model::AnnotationType::kEvent;
      e.dataset = "api";
      e.time_unix_nano = (kStart + i % 600) * 1000000000ll;
      e.fields.push_back({"user", "u" + std::to_string(i), model::FieldOrigin::kSpan});
      e.fields.push_back({"latency", int64_t{i % 1000}, model::FieldOrigin::kSpan});
      events.push_back(std::move(e));
    }
    auto store = testing::OpenFilledStore(dir_.path(), std::move(events));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  absl::StatusOr<QueryResult> Run(std::string_view text, QueryOptions options = {}) {
    auto spec = ParseQueryText(text, kStart + 3600);
    if (!spec.ok()) return spec.status();
    return ExecuteQuery(*store_, *spec, options);
  }

  testing::TempDir dir_;
  std::unique_ptr<store::EmbeddedStore> store_;
};

TEST_F(QueryExecutorTest, OverItsMemoryBudgetFailsWithAMessage) {
  QueryOptions options;
  options.memory_budget_bytes = 1 << 20;  // 20,000 groups of a user each need more
  auto result = Run("COUNT GROUP BY user START 2026-01-01T00:00:00Z END 2026-01-01T01:00:00Z", options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(std::string(result.status().message()).find("memory budget of 1 MiB"), std::string::npos) << result.status();
  options.memory_budget_bytes = 1ull << 30;
  result = Run("COUNT GROUP BY user LIMIT 5 START 2026-01-01T00:00:00Z END 2026-01-01T01:00:00Z", options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->results.size(), 5u);
}

TEST_F(QueryExecutorTest, Cancelled) {
  std::atomic<bool> cancelled{true};
  QueryOptions options;
  options.cancelled = &cancelled;
  auto result = Run("COUNT START 2026-01-01T00:00:00Z END 2026-01-01T01:00:00Z", options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
}

TEST_F(QueryExecutorTest, SkipsUnitsByTimeAndByColumnRange) {
  auto all = Run("COUNT START 2026-01-01T00:00:00Z END 2026-01-01T01:00:00Z");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all->results.at(0).values[0].number, 20000);
  // Units are sorted by trace (all zero here), so time does not split them; a missing
  // column and an impossible range do.
  auto none = Run("COUNT WHERE latency > 5000 START 2026-01-01T00:00:00Z END 2026-01-01T01:00:00Z");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->results.empty());
  EXPECT_EQ(none->stats.units_skipped, none->stats.units_total);
  EXPECT_EQ(none->stats.rows_scanned, 0u);
  // A string no block's dictionary holds but one: the others are skipped after that column.
  auto one_user = Run("COUNT WHERE user = u12345 START 2026-01-01T00:00:00Z END 2026-01-01T01:00:00Z");
  ASSERT_TRUE(one_user.ok());
  EXPECT_EQ(*one_user->results.at(0).values[0].number, 1);
  EXPECT_EQ(one_user->stats.units_skipped, one_user->stats.units_total - 1);
  auto missing = Run("COUNT WHERE nosuchcolumn = 1 START 2026-01-01T00:00:00Z END 2026-01-01T01:00:00Z");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->stats.rows_scanned, 0u);
}

TEST_F(QueryExecutorTest, LargeGroupsUseTheSketchWithinOnePercent) {
  auto result = Run("P50(latency) P99(latency) COUNT_DISTINCT(user) START 2026-01-01T00:00:00Z END 2026-01-01T01:00:00Z");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->stats.exact_percentiles);
  EXPECT_NEAR(*result->results[0].values[0].number, 499, 5);
  EXPECT_NEAR(*result->results[0].values[1].number, 989, 10);
  EXPECT_EQ(*result->results[0].values[2].number, 20000);
}

}  // namespace
}  // namespace waggle::query
