// One pool of query threads for the whole process, shared by Honeycomb queries, BubbleUp and
// the X-Ray trace search: a query borrows helpers from it instead of starting threads of its
// own. The caller always works too, so a query makes progress even when every pool thread is
// busy with other queries (or when it runs on a pool thread itself).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace waggle::query {

class QueryScheduler {
 public:
  explicit QueryScheduler(size_t threads);
  ~QueryScheduler();
  QueryScheduler(const QueryScheduler&) = delete;
  QueryScheduler& operator=(const QueryScheduler&) = delete;

  // The process's pool: one thread per core (at least 1), started on first use.
  static QueryScheduler& Shared();

  size_t threads() const { return workers_.size(); }

  // Runs `work(unit, slot)` for units 0..units-1 on the caller and up to `parallelism - 1`
  // pool threads, `slot` telling apart up to `parallelism` concurrent runners (for per-runner
  // partial state). Checks cancellation and the deadline between units and stops at the first
  // error, which it returns; `what` names the work in those errors ("the query"). Returns once
  // no runner is inside `work`.
  absl::Status ForEach(size_t units, int parallelism, const std::atomic<bool>* cancelled,
                       std::chrono::steady_clock::time_point deadline, std::string_view what,
                       const std::function<absl::Status(size_t unit, size_t slot)>& work);

 private:
  void Submit(std::function<void()> task);
  void Run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace waggle::query
