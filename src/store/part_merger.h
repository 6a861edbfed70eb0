// Merges parts of one dataset and partition into one: a k-way merge on (trace id, start
// time) that reads one block per input at a time, so memory stays small whatever the sizes.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "store/part_reader.h"
#include "store/part_writer.h"

namespace waggle::store {

absl::Status MergeParts(const std::vector<std::shared_ptr<PartReader>>& inputs, PartWriter& out);

// The order of rows within a part.
bool PartRowLess(const model::Event& a, const model::Event& b);

}  // namespace waggle::store
