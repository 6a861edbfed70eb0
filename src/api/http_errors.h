// The one place where Waggle's errors become HTTP status codes, and where overload
// answers get their Retry-After.
#pragma once

#include <boost/beast/http/status.hpp>

#include "absl/status/status.h"
#include "api/http_server.h"

namespace waggle::api {

boost::beast::http::status HttpStatusFor(const absl::Status& status);

// Sets Retry-After on 429/503 answers so clients back off and retry.
void AddRetryAfter(HttpResponse& response);

// {"error": message} with the status's HTTP code.
HttpResponse JsonError(const HttpRequest& request, const absl::Status& status);

}  // namespace waggle::api
