#include "store/merge_picker.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace waggle::store {
namespace {

class MergePickerTest : public ::testing::Test {
 protected:
  uint64_t Add(uint64_t rows, std::string dataset = "checkout", int64_t partition = 7) {
    parts.push_back({next_id, std::move(dataset), partition, rows});
    return next_id++;
  }
  // Replaces a choice's inputs with its output, as EmbeddedStore does.
  void Apply(const MergeChoice& choice) {
    std::erase_if(parts, [&](const PartDescriptor& p) {
      return std::find(choice.ids.begin(), choice.ids.end(), p.id) != choice.ids.end();
    });
    Add(choice.rows, choice.dataset, choice.partition);
  }

  MergePolicy policy;
  std::vector<PartDescriptor> parts;
  uint64_t next_id = 1;
};

TEST_F(MergePickerTest, WaitsForATierOfMinInputs) {
  for (int i = 0; i < 5; ++i) Add(100);
  EXPECT_FALSE(PickMerge(parts, policy));
  Add(120);
  auto choice = PickMerge(parts, policy);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->ids.size(), 6u);
  EXPECT_EQ(choice->rows, 620u);
  EXPECT_EQ(choice->dataset, "checkout");
  EXPECT_EQ(choice->partition, 7);
}

TEST_F(MergePickerTest, NeverFoldsSmallPartsIntoABigOne) {
  const uint64_t big = Add(10000);
  for (int i = 0; i < 5; ++i) Add(100);
  EXPECT_FALSE(PickMerge(parts, policy));  // the old policy merged all six, rewriting the big one
  Add(100);
  auto choice = PickMerge(parts, policy);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->ids.size(), 6u);
  EXPECT_EQ(std::count(choice->ids.begin(), choice->ids.end(), big), 0);
}

TEST_F(MergePickerTest, TakesAtMostMaxInputsSmallestFirst) {
  for (int i = 0; i < 20; ++i) Add(100 + i);
  auto choice = PickMerge(parts, policy);
  ASSERT_TRUE(choice);
  ASSERT_EQ(choice->ids.size(), policy.max_inputs);
  EXPECT_EQ(choice->ids.front(), 1u);
  EXPECT_EQ(choice->ids.back(), policy.max_inputs);
}

TEST_F(MergePickerTest, PartsOfHalfTheLimitAreFinal) {
  policy.max_part_rows = 1000;
  for (int i = 0; i < 30; ++i) Add(500);
  EXPECT_FALSE(PickMerge(parts, policy));
  EXPECT_EQ(MostWaitingParts(parts, policy), 0u);
  for (int i = 0; i < 6; ++i) Add(300);
  auto choice = PickMerge(parts, policy);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->ids.size(), 3u);  // 300 * 3 fits in 1000, a fourth would not
  EXPECT_EQ(MostWaitingParts(parts, policy), 6u);
}

TEST_F(MergePickerTest, ForcesAMergeWhenSizesSpreadTooFar) {
  policy.force_after = 8;
  uint64_t rows = 1;
  for (size_t i = 0; i < policy.force_after - 1; ++i, rows *= 5) Add(rows);  // no two within 4x
  EXPECT_FALSE(PickMerge(parts, policy));
  Add(rows);
  auto choice = PickMerge(parts, policy);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->ids.size(), 8u);
  EXPECT_EQ(choice->ids.front(), 1u);
}

TEST_F(MergePickerTest, KeepsDatasetsAndHoursApartAndServesTheBusiestFirst) {
  for (int i = 0; i < 4; ++i) Add(100, "checkout", 7), Add(100, "checkout", 8), Add(100, "search", 7);
  EXPECT_FALSE(PickMerge(parts, policy));
  for (int i = 0; i < 3; ++i) Add(100, "search", 7);
  for (int i = 0; i < 2; ++i) Add(100, "checkout", 8);
  auto choice = PickMerge(parts, policy);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->dataset, "search");  // 7 waiting, against checkout/8's 6
  EXPECT_EQ(choice->ids.size(), 7u);
  EXPECT_EQ(MostWaitingParts(parts, policy), 7u);
}

// Sustained ingest: a flush of the same size again and again, every merge applied at once.
// Tiers rewrite a row about log_6(max/flush) times: 1.99 here. The policy before them (the 6-12
// smallest parts below 4 Mi rows, whatever their sizes) rewrote a row 18.9 times on the same
// sequence: each flush was folded into a growing part, and parts near the limit merged in pairs.
TEST_F(MergePickerTest, WriteAmplificationStaysLogarithmic) {
  const uint64_t flush_rows = 108000;  // a 32 MiB head of loadgen spans
  uint64_t ingested = 0, rewritten = 0;
  size_t most_waiting = 0;
  for (int flush = 0; flush < 2000; ++flush) {
    Add(flush_rows);
    ingested += flush_rows;
    while (auto choice = PickMerge(parts, policy)) {
      rewritten += choice->rows;
      Apply(*choice);
    }
    most_waiting = std::max(most_waiting, MostWaitingParts(parts, policy));
  }
  RecordProperty("write_amplification", std::to_string(static_cast<double>(rewritten) / static_cast<double>(ingested)));
  EXPECT_LE(static_cast<double>(rewritten) / static_cast<double>(ingested), 2.5);
  EXPECT_LT(most_waiting, 12u);
}

}  // namespace
}  // namespace waggle::store
