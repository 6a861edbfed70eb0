#include "ingest/otlp_request.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "common/strings.h"
#include "google/rpc/status.pb.h"
#include "ingest/otlp_json_reader.h"

namespace waggle::ingest {

std::optional<OtlpEncoding> OtlpEncodingFromContentType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  std::string lower = AsciiLower(TrimAsciiWhitespace(media));
  if (lower == "application/x-protobuf" || lower == "application/protobuf") {
    return OtlpEncoding::kProtobuf;
  }
  if (lower == "application/json") return OtlpEncoding::kJson;
  return std::nullopt;
}

std::string_view ContentTypeOf(OtlpEncoding encoding) {
  return encoding == OtlpEncoding::kProtobuf ? "application/x-protobuf" : "application/json";
}

google::protobuf::ArenaOptions OtlpArenaOptions(size_t body_bytes) {
  // Parsed, a request takes about 4x its protobuf bytes (a string object per value, a
  // message per attribute).
  constexpr size_t kMin = 4 << 10, kMax = 16 << 20;
  google::protobuf::ArenaOptions options;
  options.start_block_size = std::clamp(body_bytes * 4, kMin, kMax);
  options.max_block_size = kMax;
  return options;
}

absl::Status ParseOtlpTraces(
    OtlpEncoding encoding, std::string_view body,
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* out) {
  if (encoding == OtlpEncoding::kJson) return ParseOtlpTracesJson(body, out);
  if (body.size() > static_cast<size_t>(INT32_MAX) ||
      !out->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError(
        "body is not a valid protobuf ExportTraceServiceRequest (check the Content-Type and "
        "Content-Encoding headers)");
  }
  return absl::OkStatus();
}

std::string ExportResponseBody(OtlpEncoding encoding, int64_t rejected_spans,
                               std::string_view error_message) {
  if (encoding == OtlpEncoding::kJson) {
    nlohmann::json body = nlohmann::json::object();
    if (rejected_spans > 0 || !error_message.empty()) {
      // int64 is a decimal string in the protobuf JSON mapping.
      body["partialSuccess"] = {{"rejectedSpans", std::to_string(rejected_spans)},
                                {"errorMessage", error_message}};
    }
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
  if (rejected_spans > 0 || !error_message.empty()) {
    response.mutable_partial_success()->set_rejected_spans(rejected_spans);
    response.mutable_partial_success()->set_error_message(std::string(error_message));
  }
  return response.SerializeAsString();
}

std::string ErrorStatusBody(OtlpEncoding encoding, const absl::Status& status) {
  if (encoding == OtlpEncoding::kJson) {
    nlohmann::json body = {{"code", static_cast<int>(status.code())},
                           {"message", std::string(status.message())}};
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  google::rpc::Status body;
  body.set_code(static_cast<int>(status.code()));
  body.set_message(std::string(status.message()));
  return body.SerializeAsString();
}

}  // namespace waggle::ingest
