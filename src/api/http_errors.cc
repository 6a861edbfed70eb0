#include "api/http_errors.h"

#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace waggle::api {

namespace http = boost::beast::http;

namespace {

using Code = absl::StatusCode;
using H = http::status;

struct Row {
  Code code;
  ErrorKind kind;
  ErrorAnswer answer;
};

// OTLP exporters retry 429, 502, 503 and 504 only, so ingest answers a full disk with 503
// (the spans come again once space returns) where the API says 507. Unlisted codes are 500.
constexpr Row kRows[] = {
    {Code::kOk, ErrorKind::kOther, {H::ok, H::ok, Code::kOk, H::ok, "", false}},
    {Code::kInvalidArgument, ErrorKind::kOther,
     {H::bad_request, H::bad_request, Code::kInvalidArgument, H::bad_request, "InvalidRequestException", false}},
    // A query past its memory budget or an answer too big: narrow it.
    {Code::kOutOfRange, ErrorKind::kOther,
     {H::bad_request, H::bad_request, Code::kOutOfRange, H::bad_request, "InvalidRequestException", false}},
    {Code::kNotFound, ErrorKind::kOther,
     {H::not_found, H::not_found, Code::kNotFound, H::bad_request, "InvalidRequestException", false}},
    {Code::kAlreadyExists, ErrorKind::kOther,
     {H::conflict, H::conflict, Code::kAlreadyExists, H::bad_request, "InvalidRequestException", false}},
    {Code::kDeadlineExceeded, ErrorKind::kOther,
     {H::internal_server_error, H::internal_server_error, Code::kDeadlineExceeded, H::bad_request,
      "InvalidRequestException", false}},
    {Code::kFailedPrecondition, ErrorKind::kOther,
     {H::internal_server_error, H::internal_server_error, Code::kFailedPrecondition, H::bad_request,
      "RuleLimitExceededException", false}},
    {Code::kUnauthenticated, ErrorKind::kOther,
     {H::unauthorized, H::unauthorized, Code::kUnauthenticated, H::forbidden, "AccessDeniedException", false}},
    {Code::kPermissionDenied, ErrorKind::kOther,
     {H::forbidden, H::forbidden, Code::kPermissionDenied, H::forbidden, "AccessDeniedException", false}},
    {Code::kUnimplemented, ErrorKind::kOther,
     {H::unsupported_media_type, H::unsupported_media_type, Code::kUnimplemented, H::internal_server_error,
      "InternalFailure", false}},
    // Over the in-flight budget: back off and retry.
    {Code::kUnavailable, ErrorKind::kOther,
     {H::service_unavailable, H::service_unavailable, Code::kUnavailable, H::too_many_requests, "ThrottledException",
      true}},
    {Code::kResourceExhausted, ErrorKind::kTooLarge,
     {H::payload_too_large, H::payload_too_large, Code::kResourceExhausted, H::payload_too_large,
      "InvalidRequestException", false}},
    {Code::kResourceExhausted, ErrorKind::kDiskFull,
     {H::insufficient_storage, H::service_unavailable, Code::kUnavailable, H::service_unavailable,
      "ServiceUnavailableException", true}},
    {Code::kResourceExhausted, ErrorKind::kOther,
     {H::service_unavailable, H::service_unavailable, Code::kUnavailable, H::service_unavailable,
      "ServiceUnavailableException", true}},
};

constexpr ErrorAnswer kInternal = {H::internal_server_error, H::internal_server_error, Code::kInternal,
                                   H::internal_server_error, "InternalFailure", false};

}  // namespace

const ErrorAnswer& AnswerFor(const absl::Status& status) {
  const ErrorKind kind = KindOf(status);
  for (const Row& row : kRows) {
    if (row.code == status.code() && row.kind == kind) return row.answer;
  }
  return kInternal;
}

http::status HttpStatusFor(const absl::Status& status) { return AnswerFor(status).http; }
http::status IngestHttpStatusFor(const absl::Status& status) { return AnswerFor(status).ingest_http; }

void AddRetryAfter(HttpResponse& response) {
  const H result = response.result();
  if (result == H::service_unavailable || result == H::too_many_requests || result == H::insufficient_storage) {
    response.set(http::field::retry_after, "1");
  }
}

namespace {

HttpResponse ErrorResponse(const HttpRequest& request, const absl::Status& status, H code) {
  nlohmann::json body = {{"error", std::string(status.message())}};
  HttpResponse response = MakeResponse(request, code, "application/json",
                                       body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  AddRetryAfter(response);
  return response;
}

}  // namespace

HttpResponse JsonError(const HttpRequest& request, const absl::Status& status) {
  return ErrorResponse(request, status, HttpStatusFor(status));
}

HttpResponse IngestJsonError(const HttpRequest& request, const absl::Status& status) {
  return ErrorResponse(request, status, IngestHttpStatusFor(status));
}

}  // namespace waggle::api
