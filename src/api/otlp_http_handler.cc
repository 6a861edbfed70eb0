#include "api/otlp_http_handler.h"

#include <google/protobuf/arena.h>

#include "api/http_errors.h"
#include "common/strings.h"
#include "ingest/body_decoder.h"
#include "ingest/otlp_request.h"

namespace waggle::api {

namespace http = boost::beast::http;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

namespace {

std::optional<std::string> Header(const HttpRequest& request, std::string_view name) {
  auto it = request.find(boost::beast::string_view(name.data(), name.size()));
  if (it == request.end()) return std::nullopt;
  return std::string(it->value());
}

HttpResponse OtlpError(const HttpRequest& request, ingest::OtlpEncoding encoding,
                       const absl::Status& status, http::status code) {
  HttpResponse response = MakeResponse(request, code, ingest::ContentTypeOf(encoding),
                                       ingest::ErrorStatusBody(encoding, status));
  AddRetryAfter(response);
  return response;
}

}  // namespace

void OtlpHttpHandler::Handle(HttpRequest&& request, HttpReply reply) {
  std::string content_type(request[http::field::content_type]);
  auto encoding = ingest::OtlpEncodingFromContentType(content_type);
  if (!encoding) {
    absl::Status status = absl::UnimplementedError(
        StrCat("unsupported Content-Type '", content_type,
               "'; OTLP/HTTP takes application/x-protobuf, application/protobuf or application/json"));
    return reply(OtlpError(request, ingest::OtlpEncoding::kJson, status,
                           http::status::unsupported_media_type));
  }

  auto dataset = ingest_.Authorize({Header(request, "x-honeycomb-team"),
                                    Header(request, "x-honeycomb-dataset")});
  if (!dataset.ok()) {
    return reply(OtlpError(request, *encoding, dataset.status(), IngestHttpStatusFor(dataset.status())));
  }

  auto body = ingest::DecodeBody(std::string(request[http::field::content_encoding]),
                                 std::move(request.body()), max_decoded_bytes_);
  if (!body.ok()) {
    return reply(OtlpError(request, *encoding, body.status(), IngestHttpStatusFor(body.status())));
  }

  google::protobuf::Arena arena(ingest::OtlpArenaOptions(body->size()));
  auto* message = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
  if (absl::Status parsed = ingest::ParseOtlpTraces(*encoding, *body, message); !parsed.ok()) {
    return reply(OtlpError(request, *encoding, parsed, http::status::bad_request));
  }

  // Only what the response needs outlives this call; the request itself is released here.
  HttpRequest header_only;
  header_only.version(request.version());
  header_only.keep_alive(request.keep_alive());
  ingest_.Export(*message, *dataset, "otlp_http",
                 [header_only = std::move(header_only), encoding = *encoding,
                  reply = std::move(reply)](ingest::ExportOutcome outcome) {
                   if (!outcome.status.ok()) {
                     return reply(OtlpError(header_only, encoding, outcome.status,
                                            IngestHttpStatusFor(outcome.status)));
                   }
                   reply(MakeResponse(header_only, http::status::ok, ingest::ContentTypeOf(encoding),
                                      ingest::ExportResponseBody(encoding, outcome.rejected_spans,
                                                                 outcome.error_message)));
                 });
}

}  // namespace waggle::api
