// A crash at each named step of a flush and a merge (common/sync_point.h): the data directory
// is copied at that step, as kill -9 would leave it, and the copy opens with every span
// acknowledged before that moment, each exactly once.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/sync_point.h"
#include "store/embedded_store.h"
#include "testing/temp_dir.h"

namespace waggle::store {
namespace {

namespace fs = std::filesystem;

model::Event Span(int trace, int64_t time) {
  char hex[33];
  std::snprintf(hex, sizeof(hex), "%032x", trace + 1);
  model::Event e;
  e.dataset = "ds";
  e.trace_id = *model::TraceId::FromHex(hex);
  e.span_id = *model::SpanId::FromHex("00000000000000a1");
  e.time_unix_nano = time;
  e.name = "op";
  e.fields.push_back({"round", int64_t{trace / 10}, model::FieldOrigin::kSpan});
  return e;
}

struct Snapshot {
  std::string dir;
  int acknowledged;  // spans 0..acknowledged-1 were acknowledged when it was taken
};

class CrashPointsTest : public ::testing::TestWithParam<const char*> {
 protected:
  void TearDown() override { SyncPoints::Clear(); }
  testing::TempDir dir;
};

TEST_P(CrashPointsTest, EveryAcknowledgedSpanSurvivesExactlyOnce) {
  EmbeddedStoreOptions options;
  options.data_dir = dir.path() + "/data";
  options.background = false;  // every file change on this thread, so a copy is a consistent crash
  options.merge.min_inputs = 3;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<Snapshot> snapshots;
  int acknowledged = 0;
  SyncPoints::Set(GetParam(), [&] {
    Snapshot s{dir.path() + "/crash-" + std::to_string(snapshots.size()), acknowledged};
    fs::copy(options.data_dir, s.dir, fs::copy_options::recursive);
    snapshots.push_back(s);
  });
  {
    auto store = EmbeddedStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int round = 0; round < 7; ++round) {
      std::vector<model::Event> batch;
      for (int i = 0; i < 10; ++i) batch.push_back(Span(acknowledged + i, now + i));
      ASSERT_TRUE(AppendAndWait(**store, std::move(batch)).ok());
      acknowledged += 10;
      ASSERT_TRUE((*store)->FlushAndCompact().ok());
    }
    EXPECT_GT((*store)->Stats().merges, 0u);
  }
  SyncPoints::Clear();
  ASSERT_FALSE(snapshots.empty()) << GetParam() << " was never reached";
  for (const Snapshot& s : snapshots) {
    EmbeddedStoreOptions reopen;
    reopen.data_dir = s.dir;
    auto store = EmbeddedStore::Open(reopen);
    ASSERT_TRUE(store.ok()) << s.dir << ": " << store.status();
    const EmbeddedStoreStats stats = (*store)->Stats();
    EXPECT_EQ(stats.part_rows + stats.head_events, static_cast<uint64_t>(s.acknowledged)) << s.dir;
    for (int t = 0; t < s.acknowledged; ++t) {
      auto found = (*store)->FindTrace(Span(t, 0).trace_id);
      ASSERT_TRUE(found.ok());
      ASSERT_EQ(found->size(), 1u) << s.dir << " trace " << t;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Steps, CrashPointsTest,
                         ::testing::Values("EmbeddedStore::Flush:PartsWritten",
                                           "PartSet::Apply:ManifestSaved",
                                           "PartSet::Apply:Done",
                                           "EmbeddedStore::Flush:Published",
                                           "EmbeddedStore::Flush:LogDeleted",
                                           "EmbeddedStore::Merge:PartWritten"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::erase_if(name, [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); });
                           return name;
                         });

}  // namespace
}  // namespace waggle::store
