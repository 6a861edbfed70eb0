#include "cli/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>

#include "common/strings.h"
#include "loadgen/otlp_sender.h"

namespace waggle::cli {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

absl::StatusOr<HttpAnswer> HttpCall(const std::string& server, http::verb method, const std::string& target,
                                    const std::string& api_key, const std::string& body) {
  auto endpoint = loadgen::ParseHttpEndpoint(server, "--server");
  if (!endpoint.ok()) return endpoint.status();
  HttpAnswer response;
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(120));
    stream.connect(resolver.resolve(endpoint->host, endpoint->port));
    http::request<http::string_body> request{method, target, 11};
    request.set(http::field::host, endpoint->host);
    if (!api_key.empty()) request.set("x-honeycomb-team", api_key);
    if (!body.empty()) {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
      request.prepare_payload();
    }
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    http::read(stream, buffer, parser);
    response = parser.release();
  } catch (const std::exception& e) {
    return absl::UnavailableError(StrCat("cannot reach ", server, ": ", e.what()));
  }
  return response;
}

}  // namespace waggle::cli
