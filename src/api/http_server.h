// The HTTP/1.1 listener (Boost.Beast): keep-alive, chunked bodies, Expect: 100-continue,
// a body-size cap (413 past it) and idle timeouts. Each request goes to one handler, which
// may answer later from any thread (for example once the write-ahead log has synced).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>

#include "absl/status/statusor.h"
#include "api/listen_address.h"

namespace waggle::api {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
// Must be called exactly once per request, from any thread.
using HttpReply = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest&&, HttpReply)>;

struct HttpServerOptions {
  uint64_t max_body_bytes = 20ull << 20;  // Honeycomb's limit for compressed bodies
  uint32_t header_limit_bytes = 64 * 1024;
  int idle_timeout_seconds = 60;  // between requests, and for a request's body
  int64_t header_timeout_ms = 10000;  // from a request's first byte to its last header
  // Open connections at once; past it new ones get 503 + Retry-After and are closed. 0: none.
  int64_t max_connections = 10000;
  // Request bodies held at once (read, or being handled until answered); past it requests
  // get 503 + Retry-After before their body is read. 0: no limit.
  uint64_t max_in_flight_bytes = 0;
  // Ingest requests (the targets `is_ingest` names) get 503 + Retry-After before their body
  // is read while the io threads start handlers this many ms late: they are saturated, and a
  // request taken now would only wait in their queue. 0: never.
  int64_t max_ingest_lag_ms = 0;
  std::function<bool(std::string_view target)> is_ingest;
  // Called for each request refused here for overload (lag or body budget), for metrics.
  std::function<void(std::string_view target)> on_shed;
  // TLS on this listener (--tls-cert/--tls-key); plain HTTP when null.
  std::shared_ptr<boost::asio::ssl::context> tls;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, HttpHandler handler);
  ~HttpServer();

  // Binds and starts accepting; returns the address actually bound (port 0 resolved).
  absl::StatusOr<ListenAddress> Listen(const ListenAddress& address);
  // Stops accepting; open connections finish their current request.
  void Stop();
  uint64_t in_flight_bytes() const { return in_flight_bytes_.load(); }

 private:
  void Accept();

  boost::asio::io_context& io_;
  const HttpServerOptions options_;
  const HttpHandler handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<uint64_t> in_flight_bytes_{0};
  // Shared with the sessions: one can outlive this server (a keep-alive connection whose
  // pending read is destroyed with the io_context, after the server).
  std::shared_ptr<std::atomic<int64_t>> connections_ = std::make_shared<std::atomic<int64_t>>(0);
  // How late the io threads ran the last tick of lag_timer_ (ms), shared with sessions as above.
  std::shared_ptr<std::atomic<int64_t>> lag_ms_ = std::make_shared<std::atomic<int64_t>>(0);
  std::shared_ptr<boost::asio::steady_timer> lag_timer_;
};

// A response with a body and content type, keep-alive matching the request.
HttpResponse MakeResponse(const HttpRequest& request, boost::beast::http::status status,
                          std::string_view content_type, std::string body);

}  // namespace waggle::api
