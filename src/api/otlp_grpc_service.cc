#include "api/otlp_grpc_service.h"

#include "api/http_errors.h"
#include "common/metrics.h"

#include <google/protobuf/arena.h>
#include <grpcpp/support/byte_buffer.h>

#include "ingest/otlp_request.h"

namespace waggle::api {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

std::optional<std::string> Metadata(const grpc::CallbackServerContext& context, std::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

grpc::Status ToGrpc(const absl::Status& status) {
  // absl and gRPC share the canonical code numbers.
  return grpc::Status(static_cast<grpc::StatusCode>(AnswerFor(status).grpc), std::string(status.message()));
}

}  // namespace

grpc::ServerUnaryReactor* OtlpGrpcService::Export(grpc::CallbackServerContext* context,
                                                  const grpc::ByteBuffer* request,
                                                  grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();

  const std::optional<std::string> key = Metadata(*context, "x-honeycomb-team");
  ingest::OtlpTraceIngest& ingest = ingest_for_key_(key);
  auto dataset = ingest.Authorize({key, Metadata(*context, "x-honeycomb-dataset")});
  if (!dataset.ok()) {
    reactor->Finish(ToGrpc(dataset.status()));
    return reactor;
  }

  std::vector<grpc::Slice> slices;
  if (!request->Dump(&slices).ok()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "cannot read the request"));
    return reactor;
  }
  std::string bytes;
  bytes.reserve(request->Length());
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  google::protobuf::Arena arena(ingest::OtlpArenaOptions(bytes.size()));
  auto* message = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
  if (absl::Status parsed = ingest::ParseOtlpTraces(ingest::OtlpEncoding::kProtobuf, bytes, message);
      !parsed.ok()) {
    reactor->Finish(ToGrpc(parsed));
    return reactor;
  }

  ingest.Export(*message, *dataset, "otlp_grpc", [reactor, response](ingest::ExportOutcome outcome) {
    if (!outcome.status.ok()) {
      if (outcome.status.code() == absl::StatusCode::kUnavailable ||
          outcome.status.code() == absl::StatusCode::kResourceExhausted) {
        metrics::RequestsShed("otlp_grpc").Increment();
      }
      // A full disk or a full queue is UNAVAILABLE, which OTLP clients retry.
      reactor->Finish(ToGrpc(outcome.status));
      return;
    }
    std::string body = ingest::ExportResponseBody(ingest::OtlpEncoding::kProtobuf,
                                                  outcome.rejected_spans, outcome.error_message);
    grpc::Slice slice(body);
    *response = grpc::ByteBuffer(&slice, 1);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace waggle::api
