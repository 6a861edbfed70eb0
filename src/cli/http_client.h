// One blocking HTTP/1.1 request to a running Waggle, for the CLI's client commands
// (trace, query): connects, sends, reads the whole answer.
#pragma once

#include <string>

#include <boost/beast/http.hpp>

#include "absl/status/statusor.h"

namespace waggle::cli {

using HttpAnswer = boost::beast::http::response<boost::beast::http::string_body>;

// `server` is http://HOST:PORT. kUnavailable when it cannot be reached.
absl::StatusOr<HttpAnswer> HttpCall(const std::string& server, boost::beast::http::verb method,
                                    const std::string& target, const std::string& api_key,
                                    const std::string& body = "");

}  // namespace waggle::cli
