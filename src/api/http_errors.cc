#include "api/http_errors.h"

#include <nlohmann/json.hpp>

namespace waggle::api {

namespace http = boost::beast::http;

http::status HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return http::status::ok;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return http::status::bad_request;
    case absl::StatusCode::kUnauthenticated:
      return http::status::unauthorized;
    case absl::StatusCode::kPermissionDenied:
      return http::status::forbidden;
    case absl::StatusCode::kNotFound:
      return http::status::not_found;
    case absl::StatusCode::kUnimplemented:
      return http::status::unsupported_media_type;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:  // a full disk: retry once space returns
      return http::status::service_unavailable;
    default:
      return http::status::internal_server_error;
  }
}

void AddRetryAfter(HttpResponse& response) {
  if (response.result() == http::status::service_unavailable ||
      response.result() == http::status::too_many_requests) {
    response.set(http::field::retry_after, "1");
  }
}

HttpResponse JsonError(const HttpRequest& request, const absl::Status& status) {
  nlohmann::json body = {{"error", std::string(status.message())}};
  HttpResponse response =
      MakeResponse(request, HttpStatusFor(status), "application/json",
                   body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  AddRetryAfter(response);
  return response;
}

}  // namespace waggle::api
