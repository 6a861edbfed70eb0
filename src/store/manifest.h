// The manifest: which parts are live and from which write-ahead log segment replay starts.
// Every change of the part set (a flush, a merge, a retention drop) writes a new manifest
// atomically (temporary file, fsync, rename); files in parts/ that it does not list are
// leftovers of an interrupted change and are removed on open. So a crash at any moment
// leaves either the old set of parts or the new one, never a mix.
//
//   "WGLMANI1" varint(next part id) varint(wal replay from) varint(n) varint(part id)*
//   fixed64(XXH3_64 of everything before)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace waggle::store {

struct Manifest {
  uint64_t next_part_id = 1;
  uint64_t wal_replay_from = 0;  // segments below this are in parts
  std::vector<uint64_t> part_ids;
};

// A missing file is an empty manifest (a new data directory).
absl::StatusOr<Manifest> LoadManifest(const std::string& path);
absl::Status SaveManifest(const std::string& path, const Manifest& manifest);

}  // namespace waggle::store
