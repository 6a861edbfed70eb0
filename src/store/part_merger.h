// Merges parts of one dataset and partition into one: a k-way merge on (trace id, start
// time) that reads one block per input at a time, so memory stays small whatever the sizes.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "store/part_reader.h"
#include "store/part_writer.h"

namespace waggle::store {

absl::Status MergeParts(const std::vector<std::shared_ptr<PartReader>>& inputs, PartWriter& out);

// The order of rows within a part.
bool PartRowLess(const model::Event& a, const model::Event& b);

// The same order as integers: the trace id as two big-endian words, then the start time.
// Flushes sort these and merges compare them (memcmp calls were 6% of a merge's time).
struct PartRowKey {
  uint64_t trace_hi = 0;
  uint64_t trace_lo = 0;
  int64_t time = 0;

  static PartRowKey Of(std::string_view trace_id_bytes, int64_t time);
  friend auto operator<=>(const PartRowKey&, const PartRowKey&) = default;
};

}  // namespace waggle::store
