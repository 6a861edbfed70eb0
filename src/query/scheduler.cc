#include "query/scheduler.h"

#include <algorithm>
#include <atomic>
#include <memory>

#include <pthread.h>

#include "common/strings.h"

namespace waggle::query {

QueryScheduler::QueryScheduler(size_t threads) {
  for (size_t i = 0; i < std::max<size_t>(1, threads); ++i) {
    workers_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "waggle-query");
      Run();
    });
  }
}

QueryScheduler::~QueryScheduler() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

QueryScheduler& QueryScheduler::Shared() {
  // Never destroyed: queries may still run on it while static destructors run at exit.
  static QueryScheduler* shared = new QueryScheduler(std::max(1u, std::thread::hardware_concurrency()));
  return *shared;
}

void QueryScheduler::Submit(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void QueryScheduler::Run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

namespace {

// What the runners of one ForEach share. Helpers hold it by shared_ptr: one that starts after
// the caller has returned finds no unit left and leaves without touching the caller's frame.
struct Job {
  size_t units = 0;
  std::atomic<size_t> next{0};
  std::atomic<size_t> next_slot{1};  // slot 0 is the caller's
  std::atomic<int> inside{0};        // runners that may still call work
  std::mutex mutex;
  std::condition_variable done;
  absl::Status error;
};

}  // namespace

absl::Status QueryScheduler::ForEach(size_t units, int parallelism, const std::atomic<bool>* cancelled,
                                     std::chrono::steady_clock::time_point deadline, std::string_view what,
                                     const std::function<absl::Status(size_t unit, size_t slot)>& work) {
  auto job = std::make_shared<Job>();
  job->units = units;
  const std::string what_text(what);
  // Runs units until none is left. `work` and `what_text` are only touched while a unit was
  // claimed, which the caller waits for.
  auto loop = [job, cancelled, deadline, &what_text, &work](size_t slot) {
    for (size_t i = job->next++; i < job->units; i = job->next++) {
      absl::Status status;
      if (cancelled != nullptr && cancelled->load()) {
        status = absl::CancelledError(StrCat(what_text, " was cancelled"));
      } else if (std::chrono::steady_clock::now() > deadline) {
        status = absl::DeadlineExceededError(
            StrCat(what_text, " ran past its time limit; narrow the time range or add filters"));
      } else {
        status = work(i, slot);
      }
      if (!status.ok()) {
        std::lock_guard lock(job->mutex);
        if (job->error.ok()) job->error = status;
        job->next = job->units;
        return;
      }
    }
  };
  const size_t helpers = std::min<size_t>({static_cast<size_t>(std::max(1, parallelism)) - 1, threads(),
                                           units > 0 ? units - 1 : 0});
  for (size_t h = 0; h < helpers; ++h) {
    Submit([job, loop] {
      job->inside++;
      // Claimed after `inside` counts this runner, so the caller cannot miss it.
      if (job->next.load() < job->units) loop(job->next_slot++);
      if (--job->inside == 0) {
        std::lock_guard lock(job->mutex);
        job->done.notify_all();
      }
    });
  }
  loop(0);
  std::unique_lock lock(job->mutex);
  job->done.wait(lock, [&] { return job->inside.load() == 0; });
  return job->error;
}

}  // namespace waggle::query
