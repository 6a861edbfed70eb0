// Decoded columns of part blocks, kept for the next query that reads them (ClickHouse's
// uncompressed cache and DuckDB's buffer pool play this part). Reading a block's column costs
// zstd, bit unpacking and string decoding: 55-70% of a filtered COUNT over 10M spans (perf,
// 2026-12-03); a query that runs again, or another over the same columns, skips all of it.
// One cache for the process, shared by every team's store, bounded in bytes, least recently
// used out first. Parts never change, so an entry is never stale; a part's entries go when
// its reader does (after a merge or a retention drop).
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "absl/container/flat_hash_map.h"
#include "store/column_encoding.h"

namespace waggle::store {

class ColumnCache {
 public:
  explicit ColumnCache(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

  // The process's cache (initially empty, 0 bytes: everything is decoded each time).
  static ColumnCache& Shared();

  void SetCapacity(uint64_t bytes);
  uint64_t capacity() const { return capacity_.load(std::memory_order_relaxed); }

  // `part` is a reader's unique id (PartReader::cache_id()).
  std::shared_ptr<const ColumnValues> Lookup(uint64_t part, uint32_t block, uint32_t column);
  void Insert(uint64_t part, uint32_t block, uint32_t column, std::shared_ptr<const ColumnValues> values);
  void ErasePart(uint64_t part);

  struct Stats {
    uint64_t bytes = 0;
    uint64_t entries = 0;
    uint64_t hits = 0;
    uint64_t misses = 0;
  };
  Stats stats() const;

  // What an entry holds, roughly (its vectors and decoded strings).
  static uint64_t BytesOf(const ColumnValues& values);

 private:
  struct Key {
    uint64_t part;
    uint32_t block;
    uint32_t column;
    bool operator==(const Key&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.part, k.block, k.column);
    }
  };
  struct Entry {
    Key key;
    std::shared_ptr<const ColumnValues> values;
    uint64_t bytes;
  };
  void EvictLocked();

  std::atomic<uint64_t> capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first
  // A flat table: a lookup is one probe, not a walk of a node chain (the lookup was ~12% of a
  // selective filter's time over cached columns).
  absl::flat_hash_map<Key, std::list<Entry>::iterator> index_;
  std::unordered_map<uint64_t, uint64_t> entries_of_part_;
  uint64_t bytes_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace waggle::store
