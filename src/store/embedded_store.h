// The embedded store, first engine: the write-ahead log is the durable copy and an
// in-memory index by trace id answers lookups; on start the log is replayed into it.
// Memory grows with the data kept: the columnar engine (immutable compressed parts with a
// trace-id index, retention) replaces the in-memory index and truncates the log.
#pragma once

#include <fcntl.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/store.h"
#include "store/write_ahead_log.h"

namespace waggle::store {

struct EmbeddedStoreOptions {
  std::string data_dir = "./waggle-data";
  // Appends are refused with kUnavailable while this many bytes wait for fsync; the API
  // answers 503 + Retry-After and clients retry.
  uint64_t max_pending_bytes = 256ull << 20;
  WalOptions wal;
};

class EmbeddedStore final : public Store {
 public:
  static absl::StatusOr<std::unique_ptr<EmbeddedStore>> Open(const EmbeddedStoreOptions& options);
  ~EmbeddedStore() override;

  void Append(std::vector<model::Event> events, AppendCallback done) override;
  absl::StatusOr<std::vector<model::Event>> FindTrace(const model::TraceId& trace_id) override;
  void Close() override;

  const WalReplayStats& replay_stats() const { return replay_stats_; }

 private:
  explicit EmbeddedStore(EmbeddedStoreOptions options, int lock_fd);
  void Index(std::vector<model::Event> events);

  // Constant after Open.
  const EmbeddedStoreOptions options_;
  int lock_fd_;
  WalReplayStats replay_stats_;
  std::unique_ptr<WriteAheadLog> wal_;

  // State below is protected by mutex_.
  std::mutex mutex_;
  std::unordered_map<model::TraceId, std::vector<model::Event>, model::TraceIdHash> traces_;
};

}  // namespace waggle::store
