// Sends request bodies to an OTLP endpoint over one connection: HTTP (protobuf or JSON,
// keep-alive, reconnecting after errors) or gRPC (the raw bytes through a generic stub, so
// nothing is parsed again on the client).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ingest/otlp_request.h"

namespace waggle::loadgen {

enum class OtlpProtocol { kHttpProtobuf, kHttpJson, kGrpc };

struct HostPort {
  std::string host;
  std::string port;
};

// http://HOST:PORT (a trailing slash allowed) as the OTEL_EXPORTER_OTLP_ENDPOINT and
// --server flags take it; `flag` names the flag in the error.
absl::StatusOr<HostPort> ParseHttpEndpoint(std::string endpoint, std::string_view flag);

// "http/protobuf", "http/json", "grpc": OTEL_EXPORTER_OTLP_PROTOCOL's values.
absl::StatusOr<OtlpProtocol> ParseOtlpProtocol(std::string_view text);

struct SendOutcome {
  bool ok = false;
  int code = 0;  // HTTP status, or gRPC status code; 0 for a connection failure
  std::string error;
};

class OtlpSender {
 public:
  virtual ~OtlpSender() = default;
  virtual SendOutcome Send(const std::string& body) = 0;
};

// `endpoint` is http://host:port (OTEL_EXPORTER_OTLP_ENDPOINT's form); HTTP posts to
// /v1/traces there. `api_key` goes in x-honeycomb-team when not empty.
absl::StatusOr<std::unique_ptr<OtlpSender>> MakeOtlpSender(OtlpProtocol protocol, const std::string& endpoint,
                                                           const std::string& api_key);

}  // namespace waggle::loadgen
