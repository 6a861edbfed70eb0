#include "api/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <array>
#include <optional>

#include <spdlog/spdlog.h>

#include "common/strings.h"

namespace waggle::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

HttpResponse MakeResponse(const HttpRequest& request, http::status status,
                          std::string_view content_type, std::string body) {
  HttpResponse response{status, request.version()};
  response.set(http::field::server, "waggle");
  response.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

namespace {

// One connection, plain (beast::tcp_stream) or TLS (beast::ssl_stream over it).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  Session(tcp::socket socket, const HttpServerOptions& options, const HttpHandler& handler,
          std::atomic<uint64_t>& in_flight, std::shared_ptr<const std::atomic<int64_t>> lag_ms)
    requires(!kTls)
      : stream_(std::move(socket)), options_(options), handler_(handler), in_flight_(in_flight),
        lag_ms_(std::move(lag_ms)) {}
  Session(tcp::socket socket, asio::ssl::context& tls, const HttpServerOptions& options, const HttpHandler& handler,
          std::atomic<uint64_t>& in_flight, std::shared_ptr<const std::atomic<int64_t>> lag_ms)
    requires(kTls)
      : stream_(beast::tcp_stream(std::move(socket)), tls), options_(options), handler_(handler),
        in_flight_(in_flight), lag_ms_(std::move(lag_ms)) {}

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        // A client that connects and never finishes the handshake is cut off like an idle one.
        self->Lowest().expires_after(std::chrono::seconds(self->options_.idle_timeout_seconds));
        self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->Close();
          self->ReadHeader();
        });
      } else {
        self->ReadHeader();
      }
    });
  }

 private:
  // Between requests a connection may idle for idle_timeout; once a request's first byte is
  // in, its headers must be complete within header_timeout (slow-header clients, slowloris,
  // are cut off; waiting costs a socket, never a thread), and its body within idle_timeout.
  void ReadHeader() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(options_.header_limit_bytes);
    if (buffer_.size() > 0) return ReadHeaderBytes();
    Lowest().expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    stream_.async_read_some(buffer_.prepare(16384), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      if (ec) return self->OnReadError(ec);
      self->buffer_.commit(n);
      self->ReadHeaderBytes();
    });
  }

  void ReadHeaderBytes() {
    Lowest().expires_after(std::chrono::milliseconds(options_.header_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    const auto& header = parser_->get();
    if (auto length = parser_->content_length(); length && *length > options_.max_body_bytes) {
      return FailAndClose(http::status::payload_too_large, PayloadTooLargeMessage());
    }
    // Overload: refuse before reading the body, so memory stays within the budget and the
    // time to an answer bounded.
    if (options_.max_ingest_lag_ms > 0 && options_.is_ingest) {
      const int64_t lag = lag_ms_->load(std::memory_order_relaxed);
      if (lag > options_.max_ingest_lag_ms &&
          options_.is_ingest(std::string_view(header.target().data(), header.target().size()))) {
        Shed();
        return FailAndClose(http::status::service_unavailable,
                            StrCat("the server is behind on ingest (requests wait ", lag,
                                   " ms for a thread); retry shortly"),
                            true);
      }
    }
    reserved_ = 0;
    if (options_.max_in_flight_bytes > 0) {
      const uint64_t length = parser_->content_length().value_or(0);
      if (in_flight_.fetch_add(length) + length > options_.max_in_flight_bytes) {
        in_flight_ -= length;
        Shed();
        return FailAndClose(http::status::service_unavailable,
                            "the server is at its memory budget for request bodies; retry shortly", true);
      }
      reserved_ = length;
    }
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont, [self = this->shared_from_this(), cont](beast::error_code ec, size_t) {
        if (ec) return self->Close();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    Lowest().expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      self->OnRequest(ec);
    });
  }

  void OnReadError(beast::error_code ec) {
    if (reserved_ > 0) in_flight_ -= reserved_, reserved_ = 0;
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return FailAndClose(http::status::payload_too_large, PayloadTooLargeMessage());
    }
    if (ec == http::error::header_limit) {
      return FailAndClose(http::status::request_header_fields_too_large,
                          "request headers exceed 64 KiB");
    }
    FailAndClose(http::status::bad_request, StrCat("malformed HTTP request: ", ec.message()));
  }

  std::string PayloadTooLargeMessage() const {
    return StrCat("request body exceeds the limit of ", options_.max_body_bytes,
                  " bytes; send smaller batches");
  }

  void OnRequest(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    // Waiting for the handler (e.g. an fsync) is not idleness.
    Lowest().expires_never();
    HttpRequest request = parser_->release();
    // Bodies without a length (chunked) are counted once read.
    const uint64_t held = std::max<uint64_t>(reserved_, request.body().size());
    if (options_.max_in_flight_bytes > 0) in_flight_ += held - reserved_;
    reserved_ = 0;
    auto self = this->shared_from_this();
    auto executor = stream_.get_executor();
    handler_(std::move(request), [self, executor, held](HttpResponse response) {
      if (self->options_.max_in_flight_bytes > 0) self->in_flight_ -= held;
      asio::post(executor, [self, response = std::move(response)]() mutable {
        self->Write(std::move(response));
      });
    });
  }

  void Write(HttpResponse response) {
    auto shared = std::make_shared<HttpResponse>(std::move(response));
    Lowest().expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_write(stream_, *shared, [self = this->shared_from_this(), shared](beast::error_code ec, size_t) {
      if (ec || shared->need_eof()) return self->Close();
      self->ReadHeader();
    });
  }

  void Shed() {
    if (!options_.on_shed) return;
    const auto& target = parser_->get().target();
    options_.on_shed(std::string_view(target.data(), target.size()));
  }

  void FailAndClose(http::status status, std::string message, bool retry = false) {
    auto response = std::make_shared<HttpResponse>(status, 11);
    response->set(http::field::server, "waggle");
    if (retry) response->set(http::field::retry_after, "1");
    response->set(http::field::content_type, "application/json");
    response->set(http::field::connection, "close");
    response->body() = StrCat(R"({"error":")", message, R"("})");
    response->prepare_payload();
    Lowest().expires_after(std::chrono::seconds(5));
    http::async_write(stream_, *response, [self = this->shared_from_this(), response](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      // Closing with unread request bytes makes the kernel send RST, and the client loses
      // the answer. Half-close, then discard what it still sends, bounded in time and size.
      beast::error_code ignored;
      self->Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->drained_ = 0;
      self->Drain();
    });
  }

  void Drain() {
    constexpr size_t kMaxDrainBytes = 64ull << 20;
    if (drained_ > kMaxDrainBytes) return Close();
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();
                              self->drained_ += n;
                              self->Drain();
                            });
  }

  void Close() {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Lowest().socket().close(ignored);
  }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::array<char, 16384> drain_buffer_;
  size_t drained_ = 0;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServerOptions& options_;
  const HttpHandler& handler_;
  std::atomic<uint64_t>& in_flight_;
  const std::shared_ptr<const std::atomic<int64_t>> lag_ms_;
  uint64_t reserved_ = 0;  // counted in in_flight_ for the body being read

 public:
  std::shared_ptr<void> connection_slot;  // released with the session
};

constexpr std::string_view kTooManyConnections =
    "HTTP/1.1 503 Service Unavailable\r\nServer: waggle\r\nRetry-After: 1\r\nContent-Type: application/json\r\n"
    "Connection: close\r\nContent-Length: 56\r\n\r\n{\"error\":\"too many open connections; retry in a moment\"}";

}  // namespace

namespace {
// A tick every 10 ms on the io threads: how late it runs is how long a ready handler waits
// for a thread (timer completions queue behind the handlers already ready).
void TickLagClock(std::shared_ptr<asio::steady_timer> timer, std::shared_ptr<std::atomic<int64_t>> lag_ms) {
  const auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(10);
  timer->expires_at(due);
  timer->async_wait([timer, lag_ms = std::move(lag_ms), due](beast::error_code ec) mutable {
    if (ec) return;  // cancelled: the server stopped
    lag_ms->store(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - due).count(),
                  std::memory_order_relaxed);
    TickLagClock(std::move(timer), std::move(lag_ms));
  });
}
}  // namespace

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions options, HttpHandler handler)
    : io_(io), options_(options), handler_(std::move(handler)), acceptor_(asio::make_strand(io)) {}

HttpServer::~HttpServer() {
  beast::error_code ignored;
  acceptor_.close(ignored);  // io threads are joined by now (Server owns the order)
}

absl::StatusOr<ListenAddress> HttpServer::Listen(const ListenAddress& address) {
  beast::error_code ec;
  tcp::resolver resolver(io_);
  auto results = resolver.resolve(address.host, std::to_string(address.port), ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError(
        StrCat("--http ", address.ToString(), ": cannot resolve host: ", ec.message()));
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(StrCat("--http ", address.ToString(), ": cannot listen: ", ec.message()));
  }
  Accept();
  if (options_.max_ingest_lag_ms > 0 && !lag_timer_) {
    lag_timer_ = std::make_shared<asio::steady_timer>(io_);
    TickLagClock(lag_timer_, lag_ms_);
  }
  tcp::endpoint bound = acceptor_.local_endpoint();
  return ListenAddress{bound.address().to_string(), bound.port()};
}

void HttpServer::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      if (options_.max_connections > 0 && connections_->load() >= options_.max_connections) {
        // Over the limit: a 503 for plain HTTP clients, then close (TLS clients see a close).
        auto refused = std::make_shared<tcp::socket>(std::move(socket));
        auto done = [refused](beast::error_code, size_t) {
          beast::error_code ignored;
          refused->shutdown(tcp::socket::shutdown_both, ignored);
          refused->close(ignored);
        };
        if (options_.tls) return done({}, 0), Accept();
        asio::async_write(*refused, asio::buffer(kTooManyConnections.data(), kTooManyConnections.size()), done);
        return Accept();
      }
      ++*connections_;
      std::shared_ptr<void> slot(nullptr, [connections = connections_](void*) { --*connections; });
      if (options_.tls) {
        auto session = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            std::move(socket), *options_.tls, options_, handler_, in_flight_bytes_, lag_ms_);
        session->connection_slot = std::move(slot);
        session->Start();
      } else {
        auto session =
            std::make_shared<Session<beast::tcp_stream>>(std::move(socket), options_, handler_, in_flight_bytes_, lag_ms_);
        session->connection_slot = std::move(slot);
        session->Start();
      }
    } else {
      spdlog::warn("accept failed: {}", ec.message());
    }
    Accept();
  });
}

void HttpServer::Stop() {
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  if (lag_timer_) asio::post(io_, [timer = lag_timer_] { timer->cancel(); });
}

}  // namespace waggle::api
