// Which parts to merge next: a pure function over part descriptors, tested without a disk
// (ClickHouse's MergeSelector is the model). EmbeddedStore's compaction thread asks it, then
// merges what it names.
//
// Tiered: a merge takes parts of about one size (within size_ratio of its smallest), so a
// row is rewritten about log_{min_inputs}(max_part_rows / flushed rows) times: 2 for 32 MiB
// flushes of loadgen spans. Taking the smallest parts whatever their sizes, as Waggle did
// before, folded each flush into one growing part and merged parts near the limit in pairs:
// 18.9 rewrites a row on the same sequence (merge_picker_test's WriteAmplification case).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace waggle::store {

struct PartDescriptor {
  uint64_t id = 0;
  std::string dataset;
  int64_t partition = 0;
  uint64_t rows = 0;
};

struct MergePolicy {
  size_t min_inputs = 6;
  size_t max_inputs = 12;
  // Parts are not merged past this many rows; parts of at least half of it are final (two
  // of them would pass it), so they neither merge nor count as waiting.
  uint64_t max_part_rows = 4ull << 20;
  // A merge's parts are at most this many times the rows of its smallest.
  double size_ratio = 4;
  // A dataset/hour with this many parts waiting merges its smallest whatever their sizes,
  // so sizes spread too far apart to form a tier still get merged.
  size_t force_after = 24;
};

struct MergeChoice {
  std::string dataset;
  int64_t partition = 0;
  std::vector<uint64_t> ids;  // smallest first
  uint64_t rows = 0;
};

// The next merge, or none. Among the dataset/hours that have one, the one with the most
// parts waiting goes first.
std::optional<MergeChoice> PickMerge(std::span<const PartDescriptor> parts, const MergePolicy& policy);

// The most parts waiting to be merged in any one dataset/hour (ingest backs off past a limit).
size_t MostWaitingParts(std::span<const PartDescriptor> parts, const MergePolicy& policy);

}  // namespace waggle::store
