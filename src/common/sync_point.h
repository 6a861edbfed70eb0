// Named points in the store's background work (flush, merge) where a test can run code at an
// exact step: stop there, look at the files, copy the data directory as a crash would leave it
// (RocksDB's TEST_SYNC_POINT is the model). Unarmed, a point costs one relaxed atomic load.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

namespace waggle {

class SyncPoints {
 public:
  // Runs `callback` on the thread that reaches `name`, each time it does, until Clear().
  static void Set(std::string name, std::function<void()> callback);
  static void Clear();
  static void Reach(std::string_view name);

  static std::atomic<bool> armed;
};

inline void SyncPoint(std::string_view name) {
  if (SyncPoints::armed.load(std::memory_order_relaxed)) SyncPoints::Reach(name);
}

}  // namespace waggle
