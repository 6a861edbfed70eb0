// The one place where Waggle's errors become answers: one table row per kind of error, giving
// its HTTP status for the API and for ingest, its gRPC code, its X-Ray API error type, and
// whether the client should retry (Retry-After). Every surface reads the same row.
#pragma once

#include <string_view>

#include <boost/beast/http/status.hpp>

#include "absl/status/status.h"
#include "api/http_server.h"

namespace waggle::api {

struct ErrorAnswer {
  boost::beast::http::status http;         // the Honeycomb API, the UI's endpoints, documents
  boost::beast::http::status ingest_http;  // OTLP/HTTP and /1/events, /1/batch
  absl::StatusCode grpc;                   // OTLP/gRPC (absl and gRPC share code numbers)
  boost::beast::http::status xray_http;    // the X-Ray API
  std::string_view xray_type;              // its __type
  bool retry;                              // 429/503/507 with Retry-After
};

const ErrorAnswer& AnswerFor(const absl::Status& status);

boost::beast::http::status HttpStatusFor(const absl::Status& status);
boost::beast::http::status IngestHttpStatusFor(const absl::Status& status);

// Sets Retry-After on answers clients should retry later (429, 503, 507).
void AddRetryAfter(HttpResponse& response);

// {"error": message} with the status's HTTP code (or ingest's).
HttpResponse JsonError(const HttpRequest& request, const absl::Status& status);
HttpResponse IngestJsonError(const HttpRequest& request, const absl::Status& status);

}  // namespace waggle::api
