// OTLP/JSON (the protobuf JSON mapping with OTLP's exceptions: trace and span ids are hex,
// not base64) read into the same protobuf message the binary path produces, so one mapper
// serves both. Accepts lowerCamelCase and original field names, int64 as strings or
// numbers, enums as integers or names; ignores unknown fields.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace waggle::ingest {

// kInvalidArgument with the JSON path at fault, e.g.
// "resourceSpans[0].scopeSpans[0].spans[3].traceId: expected 32 hex digits, got 31".
absl::Status ParseOtlpTracesJson(
    std::string_view json,
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* out);

}  // namespace waggle::ingest
