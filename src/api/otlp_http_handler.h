// POST /v1/traces: OTLP/HTTP in protobuf or JSON, optionally gzip/zstd, answered in the
// request's encoding (ExportTraceServiceResponse, or google.rpc.Status for errors).
#pragma once

#include "api/http_server.h"
#include "ingest/otlp_trace_ingest.h"

namespace waggle::api {

class OtlpHttpHandler {
 public:
  OtlpHttpHandler(ingest::OtlpTraceIngest& ingest, uint64_t max_decoded_bytes)
      : ingest_(ingest), max_decoded_bytes_(max_decoded_bytes) {}

  void Handle(HttpRequest&& request, HttpReply reply);

 private:
  ingest::OtlpTraceIngest& ingest_;
  const uint64_t max_decoded_bytes_;
};

}  // namespace waggle::api
