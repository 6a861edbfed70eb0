#include "query/bubble_up.h"

#include <gtest/gtest.h>

#include "query/query_text.h"
#include "store/embedded_store.h"
#include "testing/filled_store.h"
#include "testing/temp_dir.h"

namespace waggle::query {
namespace {

constexpr int64_t kStart = 1767225600;  // 2026-01-01

// 20,000 spans over ten minutes. In minutes 5-6, requests of customer "acme" on /checkout
// take 800-1000 ms; every other request takes 1-99 ms over several routes and customers.
class BubbleUpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<model::Event> events;
    for (int i = 0; i < 20000; ++i) {
      const int64_t second = i % 600;
      const bool slow = second >= 300 && second < 360 && i % 4 == 0;
      model::Event e;
      e.annotation_type = model::AnnotationType::kEvent;
      e.dataset = "api";
      e.time_unix_nano = (kStart + second) * 1000000000ll;
      const char* routes[] = {"/home", "/search", "/cart"};
      e.fields.push_back({"http.route", std::string(slow ? "/checkout" : routes[i % 3]), model::FieldOrigin::kSpan});
      e.fields.push_back({"customer", std::string(slow ? "acme" : (i % 2 ? "globex" : "initech")), model::FieldOrigin::kSpan});
      e.fields.push_back({"http.status_code", int64_t{slow ? 500 : 200}, model::FieldOrigin::kSpan});
      e.fields.push_back({"latency", slow ? 800.0 + (i % 200) : 1.0 + (i % 99), model::FieldOrigin::kSpan});
      e.fields.push_back({"request.id", "r" + std::to_string(i), model::FieldOrigin::kSpan});
      if (i % 7 == 3) e.fields.push_back({"rare", true, model::FieldOrigin::kSpan});
      events.push_back(std::move(e));
    }
    auto store = testing::OpenFilledStore(dir_.path(), std::move(events));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  absl::StatusOr<BubbleUpResult> Run(BubbleUpOptions options = {}) {
    auto spec = ParseQueryText("HEATMAP(latency) START 2026-01-01T00:00:00Z END 2026-01-01T01:00:00Z", kStart);
    if (!spec.ok()) return spec.status();
    BubbleUpSelection selection;
    selection.column = "latency";
    selection.start_time = kStart + 290;
    selection.end_time = kStart + 370;
    selection.min_value = 500;
    selection.max_value = 2000;
    return ExecuteBubbleUp(*store_, *spec, selection, options);
  }

  const BubbleUpDimension* Find(const BubbleUpResult& r, const std::string& column) {
    for (const auto& d : r.dimensions) {
      if (d.column == column) return &d;
    }
    return nullptr;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::EmbeddedStore> store_;
};

TEST_F(BubbleUpTest, RanksTheColumnsThatSetTheSelectionApart) {
  auto result = Run();
  ASSERT_TRUE(result.ok()) << result.status();
  // 33 cycles of 600 s, 15 slow seconds each (i % 4 == 0); the last 200 s have none.
  EXPECT_EQ(result->selection_count, 495);
  EXPECT_EQ(result->baseline_count, 19505);
  ASSERT_GE(result->dimensions.size(), 4u);
  // Every selected event differs in route, customer, status and latency: all score 1.
  for (size_t i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(result->dimensions[i].score, 1.0) << result->dimensions[i].column;
  const BubbleUpDimension* customer = Find(*result, "customer");
  ASSERT_NE(customer, nullptr);
  EXPECT_FALSE(customer->binned);
  ASSERT_FALSE(customer->bars.empty());
  EXPECT_EQ(customer->bars[0].label, "acme");
  EXPECT_DOUBLE_EQ(customer->bars[0].selection, 1.0);
  EXPECT_DOUBLE_EQ(customer->bars[0].baseline, 0.0);
  const BubbleUpDimension* status = Find(*result, "http.status_code");
  ASSERT_NE(status, nullptr);
  EXPECT_FALSE(status->binned);  // few distinct numbers are values
  EXPECT_EQ(status->bars[0].label, "500");
  const BubbleUpDimension* latency = Find(*result, "latency");
  ASSERT_NE(latency, nullptr);
  EXPECT_TRUE(latency->binned);
  double selection_share = 0, baseline_share = 0;
  for (const auto& bar : latency->bars) selection_share += bar.selection, baseline_share += bar.baseline;
  EXPECT_NEAR(selection_share, 1.0, 1e-9);
  EXPECT_NEAR(baseline_share, 1.0, 1e-9);
  // A field present on a seventh of both sides is no difference; request ids (all distinct) neither.
  const BubbleUpDimension* rare = Find(*result, "rare");
  ASSERT_NE(rare, nullptr);
  EXPECT_LT(rare->score, 0.05);
  const BubbleUpDimension* ids = Find(*result, "request.id");
  ASSERT_NE(ids, nullptr);
  EXPECT_LT(ids->score, 0.01);
  EXPECT_LT(ids->bars.size(), 10u);
}

TEST_F(BubbleUpTest, LargeSidesAreSampledByUnitWithTheSameRanking) {
  BubbleUpOptions options;
  options.max_rows_per_side = 3000;  // the baseline's 19,505 rows: every 7th unit
  auto result = Run(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->baseline_count, 19505);  // counts stay exact
  EXPECT_LT(result->baseline_examined, 5000u);
  EXPECT_GT(result->baseline_examined, 1000u);
  EXPECT_EQ(result->selection_examined, 495u);
  const BubbleUpDimension* customer = Find(*result, "customer");
  ASSERT_NE(customer, nullptr);
  EXPECT_DOUBLE_EQ(customer->score, 1.0);
}

TEST_F(BubbleUpTest, FiltersNarrowBothSidesAndBadSelectionsAreRefused) {
  auto spec = ParseQueryText("HEATMAP(latency) WHERE customer = globex START 2026-01-01T00:00:00Z END 2026-01-01T01:00:00Z", kStart);
  ASSERT_TRUE(spec.ok());
  BubbleUpSelection selection{"latency", kStart, kStart + 600, 50, 99};
  auto result = ExecuteBubbleUp(*store_, *spec, selection, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NEAR(result->selection_count + result->baseline_count, 10000, 1);
  const BubbleUpDimension* customer = Find(*result, "customer");
  ASSERT_NE(customer, nullptr);
  EXPECT_DOUBLE_EQ(customer->score, 0);
  selection.max_value = 10;
  EXPECT_EQ(ExecuteBubbleUp(*store_, *spec, selection, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace waggle::query
