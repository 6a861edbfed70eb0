#include "common/sync_point.h"

#include <map>
#include <mutex>

namespace waggle {
namespace {

std::mutex& Mutex() {
  static std::mutex mutex;
  return mutex;
}

std::map<std::string, std::function<void()>, std::less<>>& Callbacks() {
  static std::map<std::string, std::function<void()>, std::less<>> callbacks;
  return callbacks;
}

}  // namespace

std::atomic<bool> SyncPoints::armed{false};

void SyncPoints::Set(std::string name, std::function<void()> callback) {
  std::lock_guard lock(Mutex());
  Callbacks()[std::move(name)] = std::move(callback);
  armed.store(true);
}

void SyncPoints::Clear() {
  std::lock_guard lock(Mutex());
  Callbacks().clear();
  armed.store(false);
}

void SyncPoints::Reach(std::string_view name) {
  std::function<void()> callback;
  {
    std::lock_guard lock(Mutex());
    auto it = Callbacks().find(name);
    if (it == Callbacks().end()) return;
    callback = it->second;
  }
  callback();  // outside the lock: it may block, or set other points
}

}  // namespace waggle
