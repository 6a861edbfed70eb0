// The embedded store: Waggle's own columnar engine.
//
//   append -> write-ahead log (group commit, fsync) -> acknowledged, added to the head
//   head past its budget -> log rotated, head frozen -> parts (one per dataset and hour)
//   -> manifest names them and where log replay starts -> older log segments removed
//   background: merge small parts of a dataset/hour, drop parts past --retention or
//   --max-disk (oldest first)
//
// Files under the data directory: LOCK, MANIFEST (store/manifest.h), wal/ (the log),
// parts/<id>.part (store/part_format.h), quarantine/ (parts that failed their checksums on
// open: reported, kept for inspection, never served).
#pragma once

#include <fcntl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/head.h"
#include "store/merge_picker.h"
#include "store/part_reader.h"
#include "store/part_set.h"
#include "store/part_writer.h"
#include "store/store.h"
#include "store/write_ahead_log.h"

namespace waggle::store {

struct EmbeddedStoreOptions {
  std::string data_dir = "./waggle-data";
  // Appends are refused with kUnavailable while this many bytes wait for fsync (their log
  // records and the columns the head gets once they are durable), while the
  // head exceeds head_flush_bytes * 2 or frozen heads waiting to be written out exceed
  // head_flush_bytes * 4; the API answers 503 + Retry-After and clients retry.
  uint64_t max_pending_bytes = 256ull << 20;
  WalOptions wal;
  // The head is frozen and written out as parts past this size, or this age.
  uint64_t head_flush_bytes = 32ull << 20;
  std::chrono::milliseconds head_flush_age{10000};
  PartWriterOptions part;
  // Which parts merge (store/merge_picker.h): tiers of about one size, 6 to 12 at a time,
  // up to 4 Mi rows. Bigger parts would cost merge time for no gain in size (compression works
  // per block of 8192 rows), and a lookup checks a Bloom filter per part (~100 ns).
  MergePolicy merge;
  // Ingest is refused (503) while a dataset/hour has more parts waiting to be merged than
  // this, so merging catches up and the part count stays bounded under any load.
  size_t max_unmerged_parts = 48;
  // A second merge thread takes only parts of at most this many rows (first-tier merges of
  // fresh flushes), so a merge of million-row parts, tens of seconds long, never leaves
  // fresh parts piling up past max_unmerged_parts (which refused all ingest for seconds at
  // 200k spans/s). 0: one merge thread.
  uint64_t small_merge_max_input_rows = 1 << 16;
  // Retention: 0 keeps everything. Parts whose newest event is older than retention, then
  // the oldest parts while parts and log together exceed max_disk_bytes, are dropped.
  std::chrono::nanoseconds retention{0};
  uint64_t max_disk_bytes = 0;
  std::chrono::milliseconds maintenance_interval{1000};  // how often flush age and retention are checked
  // False: no flush or compaction thread; only FlushAndCompact writes parts (tests that need
  // every file change on one thread, such as crash_points_test's copies).
  bool background = true;
};

struct EmbeddedStoreStats {
  size_t parts = 0;
  uint64_t part_rows = 0;
  uint64_t part_bytes = 0;
  uint64_t head_events = 0;
  uint64_t head_bytes = 0;
  uint64_t flushes = 0;
  uint64_t merges = 0;
  uint64_t parts_dropped = 0;
  uint64_t parts_quarantined = 0;
};

class EmbeddedStore final : public Store {
 public:
  static absl::StatusOr<std::unique_ptr<EmbeddedStore>> Open(const EmbeddedStoreOptions& options);
  ~EmbeddedStore() override;

  void Append(std::vector<model::Event> events, AppendCallback done) override;
  void AppendBatch(EventBatchBuilder batch, AppendCallback done) override;
  absl::Status Admission() const override;
  absl::StatusOr<std::vector<model::Event>> FindTrace(const model::TraceId& trace_id) override;
  absl::StatusOr<std::vector<std::vector<model::Event>>> FindTraces(const std::vector<model::TraceId>& trace_ids) override;
  absl::StatusOr<ScanUnits> Scan(const ScanRange& range) override;
  void Close() override;

  // Writes out the head and runs merges and retention now, waiting for them (tests, tools).
  absl::Status FlushAndCompact();
  // The live parts (a snapshot; readers stay valid after merges and drops).
  std::vector<std::shared_ptr<PartReader>> Parts() const;
  EmbeddedStoreStats Stats() const;
  const WalReplayStats& replay_stats() const { return replay_stats_; }

 private:
  EmbeddedStore(EmbeddedStoreOptions options, int lock_fd);
  // Two background threads, so a long merge never holds up writing the head out.
  // Merge lanes: kAnyMerge merges any parts and applies retention; kSmallMerges takes only
  // parts of at most small_merge_max_input_rows rows.
  enum MergeLane { kAnyMerge = 0, kSmallMerges = 1 };
  void FlushLoop();
  void CompactionLoop(MergeLane lane);
  absl::Status RunFlush(bool force);
  absl::Status RunCompaction(bool force, MergeLane lane);
  // Asks the log to rotate; at that exact boundary, on the log's thread, the head is frozen
  // (so it holds precisely the older segments' records). done, if set, gets the status.
  void RequestFreeze(std::function<void(absl::Status)> done);
  absl::Status FreezeHead();  // RequestFreeze, waiting for it
  // Writes out the oldest frozen head, if any; *flushed says whether there was one.
  absl::Status FlushOldestFrozenHead(bool* flushed);
  absl::Status WriteHead(const Head& head, std::vector<uint64_t>* new_ids);
  absl::Status MergeOnce(MergeLane lane, bool* merged);
  absl::Status ApplyRetention();
  std::string PartPath(uint64_t id) const { return part_set_->PartPath(id); }

  // Constant after Open.
  const EmbeddedStoreOptions options_;
  int lock_fd_;
  WalReplayStats replay_stats_;
  std::unique_ptr<WriteAheadLog> wal_;

  std::unique_ptr<PartSet> part_set_;  // set by Open
  // What appends waiting for the log hold besides their records: their batches' columns. The
  // log counts only the records, which compression made a sixth of the columns' size.
  std::atomic<uint64_t> pending_batch_bytes_{0};

  std::mutex flush_mutex_;       // one flush at a time
  std::mutex compaction_mutex_[2];  // one merge or retention pass at a time in each lane

  // State below is protected by mutex_. A head is frozen into part_set_ under it, so a
  // reader holding it sees the active head and the part set as one.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<Head> head_;
  std::chrono::steady_clock::time_point head_started_;
  EmbeddedStoreStats counters_;
  bool closing_ = false;
  bool flush_requested_ = false;
  bool freeze_pending_ = false;  // a rotation is queued in the log; the head freezes at it
  bool compaction_requested_[2] = {false, false};
  std::set<uint64_t> merging_;  // parts a merge is reading: the other lane and retention leave them
  std::thread flush_thread_;
  std::thread compaction_thread_;
  std::thread small_compaction_thread_;
};

}  // namespace waggle::store
