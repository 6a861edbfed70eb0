// Errors that need an answer of their own beyond their absl code. A body past its limit and a
// full disk are both kResourceExhausted, but one is the client's to fix (send less: 413) and
// the other the operator's (free space: retry later), so each carries its kind as a payload,
// read by the API's one status table (api/http_errors.h).
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"

namespace waggle {

enum class ErrorKind : uint8_t { kOther, kTooLarge, kDiskFull };

// kResourceExhausted, of kind kTooLarge: a request (or what it decodes to) past a limit.
absl::Status TooLargeError(std::string_view message);
// kResourceExhausted, of kind kDiskFull: a write found no space (ENOSPC, EDQUOT).
absl::Status DiskFullError(std::string_view message);
ErrorKind KindOf(const absl::Status& status);

}  // namespace waggle
