// What an embedded store serves besides its active head, and the manifest that makes it
// durable (LevelDB's VersionSet): the live parts and the frozen heads waiting to become parts.
// Every change of the parts is one PartSetEdit, applied at once: the new manifest is saved
// first (atomically, store/manifest.h), then the in-memory set is swapped under one lock,
// then the files no longer listed are removed. So a crash leaves the old set or the new one,
// and a reader's Snapshot is always one set, with each event in exactly one place.
//
// Thread safety: every method may be called from any thread. The store coordinates who
// writes parts (EmbeddedStore: one flush and one merge at a time); the set only orders edits.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/head.h"
#include "store/manifest.h"
#include "store/merge_picker.h"
#include "store/part_reader.h"

namespace waggle::store {

struct FrozenHead {
  std::shared_ptr<const Head> head;
  uint64_t wal_replay_from = 0;  // the first log segment after this head's records
};

struct PartSetEdit {
  std::vector<uint64_t> added;    // part files already written and renamed to PartPath(id)
  std::vector<uint64_t> removed;  // live parts no longer served; their files are deleted
  uint64_t wal_replay_from = 0;   // replay starts at least here from now on (0: unchanged)
  // The oldest frozen head is served by `added` from now on, and leaves the set.
  bool publishes_frozen_head = false;
};

class PartSet {
 public:
  struct Snapshot {
    std::vector<std::shared_ptr<PartReader>> parts;  // by id
    std::vector<uint64_t> ids;                       // parallel to parts
    std::vector<std::shared_ptr<const Head>> frozen; // oldest first
    // The parts as the merge picker sees them.
    std::vector<PartDescriptor> Describe() const;
  };

  // Loads `data_dir`/MANIFEST (none: an empty set), removes part files it does not list
  // (leftovers of an interrupted change), opens and verifies every listed part and moves one
  // that fails to quarantine/ (counted in quarantined(), logged, the manifest rewritten).
  static absl::StatusOr<std::unique_ptr<PartSet>> Open(const std::string& data_dir, const MergePolicy& policy);

  std::string PartPath(uint64_t id) const;
  uint64_t AllocatePartId();
  uint64_t wal_replay_from() const;
  uint64_t quarantined() const { return quarantined_; }

  // Applies `edit`; on an error nothing changed (the caller deletes what it wrote).
  absl::Status Apply(const PartSetEdit& edit);
  void AddFrozenHead(FrozenHead frozen);

  Snapshot Current() const;
  // The frozen head to write out next (the oldest), if any.
  std::optional<FrozenHead> OldestFrozenHead() const;
  size_t frozen_count() const;
  uint64_t frozen_bytes() const;
  // The most parts waiting to merge in any one dataset and hour (MostWaitingParts).
  size_t most_unmerged_parts() const;

 private:
  PartSet(std::string data_dir, const MergePolicy& policy) : data_dir_(std::move(data_dir)), policy_(policy) {}
  absl::Status Load();

  const std::string data_dir_;
  const MergePolicy policy_;
  uint64_t quarantined_ = 0;  // set by Open

  std::mutex manifest_mutex_;  // orders edits; guards manifest_
  Manifest manifest_;

  mutable std::mutex mutex_;  // guards what is below
  std::vector<std::shared_ptr<PartReader>> parts_;
  std::vector<uint64_t> ids_;
  std::deque<FrozenHead> frozen_;
  uint64_t frozen_bytes_ = 0;
  size_t most_unmerged_parts_ = 0;
  uint64_t replay_from_ = 0;  // manifest_.wal_replay_from, readable without manifest_mutex_
};

}  // namespace waggle::store
