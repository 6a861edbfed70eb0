// Content-Encoding of request bodies (none, gzip, zstd), decoded with a hard cap on the
// decoded size so a small compressed bomb cannot allocate more than the cap.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace waggle::ingest {

// Errors: kUnimplemented for an unknown encoding (HTTP 415), TooLargeError (common/errors.h) when the
// decoded body would exceed `max_decoded_bytes` (HTTP 413), kInvalidArgument for a corrupt
// stream (HTTP 400).
absl::StatusOr<std::string> DecodeBody(std::string_view content_encoding, std::string body,
                                       size_t max_decoded_bytes);

}  // namespace waggle::ingest
