// Which dataset an OTLP ResourceSpans lands in, following Honeycomb (husky otlp/common.go):
// with a classic API key the x-honeycomb-dataset header names it; otherwise the resource's
// service.name does, and a missing one (or the SDK default "unknown_service:...") means
// "unknown_service".
#pragma once

#include <string>
#include <string_view>

namespace waggle::ingest {

inline constexpr std::string_view kUnknownServiceDataset = "unknown_service";

// 32 lowercase hex digits, or 64 characters "hc" + one letter + "ic_" + [0-9a-z]*.
bool IsClassicApiKey(std::string_view key);

std::string DatasetFromServiceName(std::string_view service_name);

}  // namespace waggle::ingest
