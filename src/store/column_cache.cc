#include "store/column_cache.h"

namespace waggle::store {

ColumnCache& ColumnCache::Shared() {
  static ColumnCache* cache = new ColumnCache(0);  // never destroyed: readers may outlive main
  return *cache;
}

uint64_t ColumnCache::BytesOf(const ColumnValues& v) {
  uint64_t bytes = sizeof(ColumnValues) + v.present.size() + v.ints.size() * 8 + v.doubles.size() * 8 +
                   v.codes.size() * 4 + v.fixed.size() + v.int_codes.size() + v.int_dictionary.size() * 8 +
                   v.code_starts.size() * 4 + v.code_rows.size() * 2 + v.dictionary.size() * sizeof(std::string_view);
  for (std::string_view s : v.dictionary) bytes += s.size();
  return bytes;
}

void ColumnCache::SetCapacity(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  capacity_.store(bytes, std::memory_order_relaxed);
  EvictLocked();
}

std::shared_ptr<const ColumnValues> ColumnCache::Lookup(uint64_t part, uint32_t block, uint32_t column) {
  if (capacity() == 0) return nullptr;
  std::lock_guard lock(mutex_);
  auto it = index_.find(Key{part, block, column});
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->values;
}

void ColumnCache::Insert(uint64_t part, uint32_t block, uint32_t column, std::shared_ptr<const ColumnValues> values) {
  const uint64_t bytes = BytesOf(*values);
  std::lock_guard lock(mutex_);
  const uint64_t capacity = capacity_.load(std::memory_order_relaxed);
  if (bytes > capacity / 8) return;  // one entry never pushes out most of the others
  const Key key{part, block, column};
  if (index_.contains(key)) return;  // another thread decoded it too
  lru_.push_front(Entry{key, std::move(values), bytes});
  index_.emplace(key, lru_.begin());
  ++entries_of_part_[part];
  bytes_ += bytes;
  EvictLocked();
}

void ColumnCache::EvictLocked() {
  const uint64_t capacity = capacity_.load(std::memory_order_relaxed);
  while (bytes_ > capacity && !lru_.empty()) {
    const Entry& last = lru_.back();
    bytes_ -= last.bytes;
    index_.erase(last.key);
    if (auto it = entries_of_part_.find(last.key.part); it != entries_of_part_.end() && --it->second == 0) {
      entries_of_part_.erase(it);
    }
    lru_.pop_back();
  }
}

void ColumnCache::ErasePart(uint64_t part) {
  std::lock_guard lock(mutex_);
  auto count = entries_of_part_.find(part);
  if (count == entries_of_part_.end()) return;
  entries_of_part_.erase(count);
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (it->key.part != part) {
      ++it;
      continue;
    }
    bytes_ -= it->bytes;
    index_.erase(it->key);
    it = lru_.erase(it);
  }
}

ColumnCache::Stats ColumnCache::stats() const {
  std::lock_guard lock(mutex_);
  return Stats{bytes_, index_.size(), hits_, misses_};
}

}  // namespace waggle::store
