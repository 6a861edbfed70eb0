#include "store/write_ahead_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "testing/temp_dir.h"

namespace waggle::store {
namespace {

absl::Status AppendSync(WriteAheadLog& wal, std::string record) {
  std::promise<absl::Status> done;
  wal.Append(std::move(record), [&done](absl::Status s, std::string) { done.set_value(s); });
  return done.get_future().get();
}

std::vector<std::string> Replay(const std::string& dir, WalReplayStats* stats = nullptr,
                                WalOptions options = {}) {
  std::vector<std::string> records;
  auto wal = WriteAheadLog::Open(
      dir, options,
      [&](std::string_view r) {
        records.emplace_back(r);
        return absl::OkStatus();
      },
      stats);
  EXPECT_TRUE(wal.ok()) << wal.status();
  return records;
}

// A log opened for appends, its replayed records not needed.
std::unique_ptr<WriteAheadLog> OpenIgnoringReplay(const std::string& dir, WalOptions options = {}) {
  auto wal = WriteAheadLog::Open(dir, options, [](std::string_view) { return absl::OkStatus(); });
  EXPECT_TRUE(wal.ok()) << wal.status();
  return wal.ok() ? std::move(*wal) : nullptr;
}

std::string OnlySegment(const std::string& dir) {
  std::string found;
  for (auto& e : std::filesystem::directory_iterator(dir)) found = e.path().string();
  return found;
}

TEST(WriteAheadLogTest, AppendedRecordsReplayInOrder) {
  testing::TempDir dir;
  {
    auto wal = OpenIgnoringReplay(dir.path());
    ASSERT_TRUE(wal);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(AppendSync(*wal, "record-" + std::to_string(i)).ok());
  }
  auto records = Replay(dir.path());
  ASSERT_EQ(records.size(), 100u);
  EXPECT_EQ(records[0], "record-0");
  EXPECT_EQ(records[99], "record-99");
}

TEST(WriteAheadLogTest, ConcurrentAppendsAreGroupCommittedAndAllDurable) {
  testing::TempDir dir;
  {
    auto wal = OpenIgnoringReplay(dir.path());
    ASSERT_TRUE(wal);
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) ok += AppendSync(*wal, std::to_string(t * 1000 + i)).ok();
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok, 400);
  }
  EXPECT_EQ(Replay(dir.path()).size(), 400u);
}

TEST(WriteAheadLogTest, TornTailIsCutAndAppendsContinue) {
  testing::TempDir dir;
  {
    auto wal = OpenIgnoringReplay(dir.path());
    ASSERT_TRUE(AppendSync(*wal, "first").ok());
    ASSERT_TRUE(AppendSync(*wal, "second").ok());
  }
  std::string segment = OnlySegment(dir.path());
  auto full = std::filesystem::file_size(segment);
  std::filesystem::resize_file(segment, full - 3);  // a crash mid-write of "second"
  WalReplayStats stats;
  {
    auto records = Replay(dir.path(), &stats);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0], "first");
    EXPECT_GT(stats.torn_tail_bytes_dropped, 0u);
  }
  {
    auto wal = OpenIgnoringReplay(dir.path());
    ASSERT_TRUE(AppendSync(*wal, "third").ok());
  }
  auto records = Replay(dir.path());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1], "third");
}

TEST(WriteAheadLogTest, ChecksumCatchesCorruption) {
  testing::TempDir dir;
  {
    auto wal = OpenIgnoringReplay(dir.path());
    ASSERT_TRUE(AppendSync(*wal, "good").ok());
    ASSERT_TRUE(AppendSync(*wal, "will-be-flipped").ok());
  }
  std::string segment = OnlySegment(dir.path());
  std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(-2, std::ios::end);
  f.put('X');
  f.close();
  auto records = Replay(dir.path());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0], "good");
}

TEST(WriteAheadLogTest, RollsToNewSegments) {
  testing::TempDir dir;
  WalOptions small;
  small.segment_bytes = 200;
  {
    auto wal = OpenIgnoringReplay(dir.path(), small);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(AppendSync(*wal, std::string(50, 'a' + i)).ok());
  }
  size_t files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_GT(files, 3u);
  auto records = Replay(dir.path(), nullptr, small);
  ASSERT_EQ(records.size(), 20u);
  EXPECT_EQ(records[19], std::string(50, 'a' + 19));
}

}  // namespace
}  // namespace waggle::store
