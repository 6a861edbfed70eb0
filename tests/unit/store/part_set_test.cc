// The part set on its own, without a store: edits are applied whole, survive a reopen, and
// what a crash left behind (unlisted files) is cleaned up on open.
#include "store/part_set.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "store/part_writer.h"
#include "testing/temp_dir.h"

namespace waggle::store {
namespace {

namespace fs = std::filesystem;

class PartSetTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(dir.path() + "/parts"); }

  // Writes a part of `rows` spans under its final name, as a flush does before Apply.
  uint64_t WritePart(PartSet& set, int rows) {
    const uint64_t id = set.AllocatePartId();
    auto writer = PartWriter::Create(set.PartPath(id), "ds", 0, PartWriterOptions{});
    EXPECT_TRUE(writer.ok());
    for (int i = 0; i < rows; ++i) {
      model::Event e;
      e.dataset = "ds";
      e.trace_id.bytes[15] = static_cast<uint8_t>(i + 1);
      e.time_unix_nano = i;
      EXPECT_TRUE((*writer)->Add(e).ok());
    }
    EXPECT_TRUE((*writer)->Finish().ok());
    return id;
  }

  testing::TempDir dir;
  MergePolicy policy;
};

TEST_F(PartSetTest, EditsApplyWholeAndSurviveAReopen) {
  auto set = PartSet::Open(dir.path(), policy);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE((*set)->Current().parts.empty());
  const uint64_t a = WritePart(**set, 3), b = WritePart(**set, 4);
  PartSetEdit flush;
  flush.added = {a, b};
  flush.wal_replay_from = 7;
  ASSERT_TRUE((*set)->Apply(flush).ok());
  EXPECT_EQ((*set)->Current().ids, (std::vector<uint64_t>{a, b}));
  EXPECT_EQ((*set)->wal_replay_from(), 7u);

  const uint64_t merged = WritePart(**set, 7);
  PartSetEdit merge;
  merge.added = {merged};
  merge.removed = {a, b};
  ASSERT_TRUE((*set)->Apply(merge).ok());
  EXPECT_EQ((*set)->Current().ids, (std::vector<uint64_t>{merged}));
  EXPECT_FALSE(fs::exists((*set)->PartPath(a)));  // removed files are deleted
  EXPECT_EQ((*set)->Current().Describe().at(0).rows, 7u);

  set->reset();
  auto reopened = PartSet::Open(dir.path(), policy);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->Current().ids, (std::vector<uint64_t>{merged}));
  EXPECT_EQ((*reopened)->wal_replay_from(), 7u);
  EXPECT_GT((*reopened)->AllocatePartId(), merged);  // ids are never reused
}

TEST_F(PartSetTest, AFrozenHeadLeavesWhenItsPartsArePublished) {
  auto set = PartSet::Open(dir.path(), policy);
  ASSERT_TRUE(set.ok());
  auto head = std::make_shared<Head>();
  EventBatchBuilder batch;
  batch.StartRow("ds");
  head->Add(batch.Finish());
  (*set)->AddFrozenHead({head, 3});
  EXPECT_EQ((*set)->frozen_count(), 1u);
  EXPECT_EQ((*set)->frozen_bytes(), head->bytes());
  EXPECT_EQ((*set)->OldestFrozenHead()->wal_replay_from, 3u);
  EXPECT_EQ((*set)->Current().frozen.size(), 1u);

  PartSetEdit publish;
  publish.added = {WritePart(**set, 2)};
  publish.wal_replay_from = 3;
  publish.publishes_frozen_head = true;
  ASSERT_TRUE((*set)->Apply(publish).ok());
  const PartSet::Snapshot after = (*set)->Current();
  EXPECT_TRUE(after.frozen.empty());  // in the same step as its part appears
  EXPECT_EQ(after.parts.size(), 1u);
  EXPECT_EQ((*set)->frozen_bytes(), 0u);
}

TEST_F(PartSetTest, AFailedEditChangesNothing) {
  auto set = PartSet::Open(dir.path(), policy);
  ASSERT_TRUE(set.ok());
  PartSetEdit missing;
  missing.added = {(*set)->AllocatePartId()};  // never written
  EXPECT_FALSE((*set)->Apply(missing).ok());
  EXPECT_TRUE((*set)->Current().parts.empty());
}

TEST_F(PartSetTest, OpenRemovesWhatTheManifestDoesNotList) {
  {
    auto set = PartSet::Open(dir.path(), policy);
    ASSERT_TRUE(set.ok());
    PartSetEdit edit;
    edit.added = {WritePart(**set, 1)};
    ASSERT_TRUE((*set)->Apply(edit).ok());
    WritePart(**set, 1);  // written, never published: a crash before the manifest
  }
  std::ofstream(dir.path() + "/parts/00000000000000000099.part.tmp") << "half";
  auto set = PartSet::Open(dir.path(), policy);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ((*set)->Current().parts.size(), 1u);
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path() + "/parts")) ++files;
  EXPECT_EQ(files, 1u);
}

}  // namespace
}  // namespace waggle::store
