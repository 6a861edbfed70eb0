#include "common/errors.h"

#include <string>

namespace waggle {
namespace {

constexpr std::string_view kKindUrl = "type.waggle.dev/error-kind";

absl::Status WithKind(std::string_view message, std::string_view kind) {
  absl::Status status = absl::ResourceExhaustedError(absl::string_view(message.data(), message.size()));
  status.SetPayload(absl::string_view(kKindUrl.data(), kKindUrl.size()), absl::Cord(absl::string_view(kind.data(), kind.size())));
  return status;
}

}  // namespace

absl::Status TooLargeError(std::string_view message) { return WithKind(message, "too-large"); }
absl::Status DiskFullError(std::string_view message) { return WithKind(message, "disk-full"); }

ErrorKind KindOf(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kResourceExhausted) return ErrorKind::kOther;
  auto kind = status.GetPayload(absl::string_view(kKindUrl.data(), kKindUrl.size()));
  if (!kind) return ErrorKind::kOther;
  if (*kind == "too-large") return ErrorKind::kTooLarge;
  if (*kind == "disk-full") return ErrorKind::kDiskFull;
  return ErrorKind::kOther;
}

}  // namespace waggle
