// OTLP/gRPC TraceService/Export. It takes the raw request bytes so that a body that does not
// parse gets INVALID_ARGUMENT with a message (not gRPC's generic INTERNAL), and finishes
// the call from the store's thread once the batch is durable, holding no server thread.
#pragma once

#include <functional>

#include "ingest/otlp_trace_ingest.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace waggle::api {

class OtlpGrpcService final
    : public opentelemetry::proto::collector::trace::v1::TraceService::WithRawCallbackMethod_Export<
          opentelemetry::proto::collector::trace::v1::TraceService::Service> {
 public:
  // The ingest path of the team an API key (x-honeycomb-team) belongs to.
  using IngestForKey = std::function<ingest::OtlpTraceIngest&(const std::optional<std::string>& api_key)>;
  explicit OtlpGrpcService(IngestForKey ingest_for_key) : ingest_for_key_(std::move(ingest_for_key)) {}

  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;

 private:
  const IngestForKey ingest_for_key_;
};

}  // namespace waggle::api
