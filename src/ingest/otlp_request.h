// The OTLP/HTTP encodings: which Content-Type means what, parsing a body of either
// encoding, and writing the response (ExportTraceServiceResponse) or error body
// (google.rpc.Status) in the encoding the client used, as the OTLP spec requires.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/arena.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace waggle::ingest {

enum class OtlpEncoding { kProtobuf, kJson };

// application/x-protobuf, application/protobuf, application/json (parameters ignored).
std::optional<OtlpEncoding> OtlpEncodingFromContentType(std::string_view content_type);
std::string_view ContentTypeOf(OtlpEncoding encoding);

// Options for the arena a request of `body_bytes` is parsed into: its first block holds
// about the whole parsed request, so parsing takes one allocation rather than a chain of
// growing blocks (malloc was 16% of the HTTP thread, most of it under the parse).
google::protobuf::ArenaOptions OtlpArenaOptions(size_t body_bytes);

absl::Status ParseOtlpTraces(
    OtlpEncoding encoding, std::string_view body,
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* out);

// ExportTraceServiceResponse; partial_success only when spans were rejected.
std::string ExportResponseBody(OtlpEncoding encoding, int64_t rejected_spans,
                               std::string_view error_message);

// google.rpc.Status with the gRPC code of `status` and its message.
std::string ErrorStatusBody(OtlpEncoding encoding, const absl::Status& status);

}  // namespace waggle::ingest
