// A Bloom filter over trace ids, one per part: trace lookup opens only the parts whose filter
// says "maybe". 16 bits per distinct trace and 11 probes: about 0.05% false positives.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/ids.h"

namespace waggle::store {

class BloomFilterBuilder {
 public:
  void Add(const model::TraceId& id);
  // The filter's bytes: fixed32(probe count) then the bit array.
  std::string Finish() const;

 private:
  std::vector<uint64_t> hashes_;
};

// True when `id` may have been added; false only when it certainly was not. An empty or
// malformed filter answers true (the part is searched, never skipped wrongly).
bool BloomFilterMayContain(std::string_view filter, const model::TraceId& id);

}  // namespace waggle::store
