// File helpers for the store: errors as absl::Status (a full disk is DiskFullError, which
// the API answers with a retry later), whole writes, directory fsyncs, and a fault hook that
// makes every store write fail as on a full disk, for tests.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace waggle::store {

// Reads errno: ENOSPC and EDQUOT become DiskFullError (common/errors.h), the rest kInternal.
absl::Status ErrnoStatus(std::string_view what, const std::string& path);

absl::StatusOr<int> OpenForWrite(const std::string& path);  // create or truncate
absl::Status WriteAll(int fd, std::string_view data, const std::string& path);
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);
absl::Status SyncDirectory(const std::string& dir);
// Writes `data` to `path` atomically: temporary file, fsync, rename, directory fsync.
absl::Status WriteFileAtomically(const std::string& path, std::string_view data);

// While set, WriteAll fails with ENOSPC. Tests use it to drive the disk-full path.
void SetInjectedDiskFull(bool full);

}  // namespace waggle::store
