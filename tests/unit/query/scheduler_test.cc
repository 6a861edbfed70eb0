#include "query/scheduler.h"

#include <dirent.h>

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace waggle::query {
namespace {

size_t ThreadsOfThisProcess() {
  size_t n = 0;
  DIR* dir = opendir("/proc/self/task");
  while (dirent* e = readdir(dir)) n += e->d_name[0] != '.';
  closedir(dir);
  return n;
}

constexpr auto kNoDeadline = std::chrono::steady_clock::time_point::max();

TEST(QuerySchedulerTest, RunsEveryUnitOnceWithSlotsBelowParallelism) {
  QueryScheduler scheduler(3);
  std::vector<std::atomic<int>> runs(1000);
  std::atomic<size_t> max_slot{0};
  ASSERT_TRUE(scheduler.ForEach(runs.size(), 4, nullptr, kNoDeadline, "the test", [&](size_t unit, size_t slot) {
    runs[unit]++;
    size_t seen = max_slot.load();
    while (slot > seen && !max_slot.compare_exchange_weak(seen, slot)) {}
    return absl::OkStatus();
  }).ok());
  for (const auto& r : runs) EXPECT_EQ(r.load(), 1);
  EXPECT_LT(max_slot.load(), 4u);
}

TEST(QuerySchedulerTest, StopsAtTheFirstErrorAndReturnsIt) {
  QueryScheduler scheduler(2);
  std::atomic<int> ran{0};
  absl::Status status = scheduler.ForEach(10000, 3, nullptr, kNoDeadline, "the test", [&](size_t unit, size_t) {
    ran++;
    return unit == 5 ? absl::InternalError("unit 5 failed") : absl::OkStatus();
  });
  EXPECT_EQ(status.message(), "unit 5 failed");
  EXPECT_LT(ran.load(), 10000);
}

TEST(QuerySchedulerTest, CancellationAndDeadlineNameTheWork) {
  QueryScheduler scheduler(1);
  std::atomic<bool> cancelled{true};
  auto work = [](size_t, size_t) { return absl::OkStatus(); };
  absl::Status status = scheduler.ForEach(10, 2, &cancelled, kNoDeadline, "BubbleUp", work);
  EXPECT_TRUE(absl::IsCancelled(status));
  EXPECT_EQ(status.message(), "BubbleUp was cancelled");
  status = scheduler.ForEach(10, 2, nullptr, std::chrono::steady_clock::now() - std::chrono::seconds(1), "the query", work);
  EXPECT_TRUE(absl::IsDeadlineExceeded(status));
  EXPECT_NE(status.message().find("narrow the time range"), absl::string_view::npos);
}

// Many queries at once share the pool's threads: none is started per query, and a query
// finishes even when every pool thread is busy with others (the caller works too).
TEST(QuerySchedulerTest, ConcurrentQueriesShareThePoolWithoutStartingThreads) {
  QueryScheduler scheduler(2);
  const size_t before = ThreadsOfThisProcess();
  std::atomic<size_t> total{0};
  std::atomic<size_t> most_threads{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 8; ++c) {
    callers.emplace_back([&] {
      for (int q = 0; q < 50; ++q) {
        ASSERT_TRUE(scheduler.ForEach(20, 2, nullptr, kNoDeadline, "the query", [&](size_t, size_t) {
          if (total++ % 97 == 0) {
            const size_t now = ThreadsOfThisProcess();
            size_t seen = most_threads.load();
            while (now > seen && !most_threads.compare_exchange_weak(seen, now)) {}
          }
          return absl::OkStatus();
        }).ok());
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_LE(most_threads.load(), before + callers.size());
  EXPECT_EQ(total.load(), 8u * 50 * 20);
  EXPECT_EQ(ThreadsOfThisProcess(), before);
}

// Work that itself runs on the pool and asks it for helpers still finishes.
TEST(QuerySchedulerTest, NestedUseFromAPoolThreadFinishes) {
  QueryScheduler scheduler(1);
  std::atomic<int> inner{0};
  ASSERT_TRUE(scheduler.ForEach(4, 2, nullptr, kNoDeadline, "outer", [&](size_t, size_t) {
    return scheduler.ForEach(4, 2, nullptr, kNoDeadline, "inner", [&](size_t, size_t) {
      inner++;
      return absl::OkStatus();
    });
  }).ok());
  EXPECT_EQ(inner.load(), 16);
}

}  // namespace
}  // namespace waggle::query
