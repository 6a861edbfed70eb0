// The write-ahead log: every batch is appended and fsynced here before it is acknowledged.
// One writer thread does group commit: all records queued while the previous fsync ran are
// written with one write() and made durable with one fdatasync().
//
// Files: <dir>/wal-<20-digit sequence>.log, each starting with the 8-byte magic "WGLWAL01",
// then records:
//   fixed32 payload_length | fixed64 XXH3_64(payload) | payload
// On open, records are replayed in order. A torn or corrupt tail of the newest file (a
// crash mid-write) is cut off; it was never acknowledged. Corruption elsewhere is reported
// and the rest of that file skipped.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace waggle::store {

struct WalOptions {
  uint64_t segment_bytes = 64ull << 20;  // start a new file past this size
  uint32_t max_record_bytes = 256u << 20;
};

struct WalReplayStats {
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t torn_tail_bytes_dropped = 0;
  uint64_t corrupt_segments = 0;
};

class WriteAheadLog {
 public:
  // Gets the record back, so a caller that keeps it (the store's head) needs no copy.
  using Done = std::function<void(absl::Status, std::string record)>;
  using ReplayFn = std::function<absl::Status(std::string_view record)>;
  using RotatedFn = std::function<void(absl::Status, uint64_t first_sequence_after)>;

  // Replays every stored record of segments numbered `first_sequence` and up through
  // `replay` (in order), deletes older segments (their records are in parts already), then
  // opens for appends.
  static absl::StatusOr<std::unique_ptr<WriteAheadLog>> Open(const std::string& dir,
                                                              const WalOptions& options,
                                                              const ReplayFn& replay,
                                                              WalReplayStats* stats = nullptr,
                                                              uint64_t first_sequence = 0);
  ~WriteAheadLog();

  // Queues `record`; `done` runs on the log's thread once it is fsynced, or with the error.
  void Append(std::string record, Done done);

  // Starts a new segment once every record queued before this call is written and its
  // `done` has run; then `rotated` runs on the log's thread with the new segment's number.
  // Every record appended later lands in that segment or after: the store freezes its
  // in-memory head in `rotated`, so the head holds exactly the records of older segments.
  void Rotate(RotatedFn rotated);

  // Removes segments numbered below `sequence` (never the one being written).
  void DeleteSegmentsBefore(uint64_t sequence);

  // Bytes in segment files, for --max-disk accounting.
  uint64_t DiskBytes() const;

  // Bytes queued and not yet durable: the API layer sheds load when this grows.
  uint64_t pending_bytes() const;

  // Finishes queued appends, stops the writer thread. Idempotent.
  void Close();

 private:
  WriteAheadLog(std::string dir, WalOptions options, int fd, uint64_t sequence, uint64_t size);
  void WriterLoop();
  absl::Status WriteGroup(const std::string& buffer);
  absl::Status StartNewSegment();

  // Constant after construction.
  const std::string dir_;
  const WalOptions options_;

  // Used only by the writer thread (and Open/Close when it is not running).
  int fd_;
  std::atomic<uint64_t> sequence_;
  uint64_t segment_size_;

  // State below is protected by mutex_.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  struct Pending {
    std::string record;
    Done done;
    RotatedFn rotated;  // set for a rotation marker (record and done unused)
  };
  std::deque<Pending> queue_;
  uint64_t pending_bytes_ = 0;
  bool closing_ = false;

  std::thread writer_;
};

}  // namespace waggle::store
