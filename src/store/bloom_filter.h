// Bloom filters: over trace ids, one per part (trace lookup opens only the parts whose filter
// says "maybe"; 16 bits per distinct trace and 11 probes: about 0.05% false positives), and
// over the distinct strings of a block's string column (an equality filter skips the block
// without decompressing it; 8 bits and 6 probes: about 2%).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/ids.h"

namespace waggle::store {

uint64_t BloomHash(std::string_view value);

class BloomFilterBuilder {
 public:
  BloomFilterBuilder() = default;
  BloomFilterBuilder(size_t bits_per_key, uint32_t probes) : bits_per_key_(bits_per_key), probes_(probes) {}
  void Add(const model::TraceId& id);
  void Add(std::string_view value) { hashes_.push_back(BloomHash(value)); }
  // The filter's bytes: fixed32(probe count) then the bit array.
  std::string Finish() const;

 private:
  size_t bits_per_key_ = 16;
  uint32_t probes_ = 11;
  std::vector<uint64_t> hashes_;
};

// True when `id` may have been added; false only when it certainly was not. An empty or
// malformed filter answers true (the part is searched, never skipped wrongly).
bool BloomFilterMayContain(std::string_view filter, const model::TraceId& id);
bool BloomFilterMayContain(std::string_view filter, std::string_view value);

}  // namespace waggle::store
