// The one path OTLP traces take from either transport (HTTP or gRPC) into the store:
// check the key, choose the dataset, map spans to events, append durably, and report what
// was rejected. Transports only translate their framing and status codes.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "auth/api_keys.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "store/store.h"

namespace waggle::ingest {

struct IngestCredentials {
  std::optional<std::string> api_key;  // x-honeycomb-team
  std::optional<std::string> dataset;  // x-honeycomb-dataset
};

struct ExportOutcome {
  absl::Status status;  // OK once durable; else why nothing was stored
  int64_t rejected_spans = 0;
  std::string error_message;
};

class OtlpTraceIngest {
 public:
  OtlpTraceIngest(const auth::ApiKeyRegistry& keys, store::Store& store) : keys_(keys), store_(store) {}

  // The dataset named by a classic key's x-honeycomb-dataset header, nullopt when datasets
  // come from service.name; kUnauthenticated / kPermissionDenied otherwise.
  absl::StatusOr<std::optional<std::string>> Authorize(const IngestCredentials& credentials) const;

  // `done` runs once, on any thread.
  // `protocol` labels the metrics (otlp_http, otlp_grpc).
  void Export(const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request,
              const std::optional<std::string>& fixed_dataset, std::string_view protocol,
              std::function<void(ExportOutcome)> done);

 private:
  const auth::ApiKeyRegistry& keys_;
  store::Store& store_;
};

}  // namespace waggle::ingest
