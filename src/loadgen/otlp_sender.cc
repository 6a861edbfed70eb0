#include "loadgen/otlp_sender.h"

#include <future>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>

#include "common/strings.h"

namespace waggle::loadgen {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

class HttpSender final : public OtlpSender {
 public:
  HttpSender(HostPort target, std::string content_type, std::string api_key)
      : target_(std::move(target)), content_type_(std::move(content_type)), api_key_(std::move(api_key)) {}

  SendOutcome Send(const std::string& body) override {
    SendOutcome outcome;
    try {
      if (!stream_) Connect();
      http::request<http::string_body> request{http::verb::post, "/v1/traces", 11};
      request.set(http::field::host, target_.host);
      request.set(http::field::content_type, content_type_);
      if (!api_key_.empty()) request.set("x-honeycomb-team", api_key_);
      request.keep_alive(true);
      request.body() = body;
      request.prepare_payload();
      stream_->expires_after(std::chrono::seconds(30));
      http::write(*stream_, request);
      http::response<http::string_body> response;
      http::read(*stream_, buffer_, response);
      outcome.code = static_cast<int>(response.result_int());
      outcome.ok = outcome.code == 200;
      if (!outcome.ok) outcome.error = response.body().substr(0, 200);
      if (!response.keep_alive()) stream_.reset();
    } catch (const std::exception& e) {
      outcome.error = e.what();
      stream_.reset();
    }
    return outcome;
  }

 private:
  void Connect() {
    tcp::resolver resolver(io_);
    stream_.emplace(io_);
    stream_->expires_after(std::chrono::seconds(10));
    stream_->connect(resolver.resolve(target_.host, target_.port));
    stream_->socket().set_option(tcp::no_delay(true));
    buffer_.clear();
  }

  const HostPort target_;
  const std::string content_type_;
  const std::string api_key_;
  boost::asio::io_context io_;
  std::optional<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
};

class GrpcSender final : public OtlpSender {
 public:
  GrpcSender(const HostPort& target, std::string api_key) : api_key_(std::move(api_key)) {
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(64 << 20);
    // One channel (one HTTP/2 connection) per sender, as separate exporters would have.
    args.SetInt("grpc.use_local_subchannel_pool", 1);
    channel_ = grpc::CreateCustomChannel(target.host + ":" + target.port, grpc::InsecureChannelCredentials(), args);
    stub_ = std::make_unique<grpc::GenericStub>(channel_);
  }

  SendOutcome Send(const std::string& body) override {
    grpc::Slice slice(body);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!api_key_.empty()) context.AddMetadata("x-honeycomb-team", api_key_);
    std::promise<grpc::Status> done;
    stub_->UnaryCall(&context, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", grpc::StubOptions(),
                     &request, &response, [&done](grpc::Status status) { done.set_value(std::move(status)); });
    grpc::Status status = done.get_future().get();
    SendOutcome outcome;
    outcome.code = static_cast<int>(status.error_code());
    outcome.ok = status.ok();
    if (!status.ok()) outcome.error = status.error_message();
    return outcome;
  }

 private:
  const std::string api_key_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

}  // namespace

absl::StatusOr<HostPort> ParseHttpEndpoint(std::string endpoint, std::string_view flag) {
  if (endpoint.starts_with("http://")) endpoint = endpoint.substr(7);
  else if (endpoint.starts_with("https://")) {
    return absl::InvalidArgumentError(StrCat(flag, ": https is not supported yet; use http://"));
  }
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == endpoint.size()) {
    return absl::InvalidArgumentError(StrCat(flag, " '", endpoint, "': expected http://HOST:PORT"));
  }
  return HostPort{endpoint.substr(0, colon), endpoint.substr(colon + 1)};
}

absl::StatusOr<OtlpProtocol> ParseOtlpProtocol(std::string_view text) {
  if (text == "http/protobuf") return OtlpProtocol::kHttpProtobuf;
  if (text == "http/json") return OtlpProtocol::kHttpJson;
  if (text == "grpc") return OtlpProtocol::kGrpc;
  return absl::InvalidArgumentError(
      StrCat("--protocol '", text, "': expected http/protobuf, http/json or grpc"));
}

absl::StatusOr<std::unique_ptr<OtlpSender>> MakeOtlpSender(OtlpProtocol protocol, const std::string& endpoint,
                                                           const std::string& api_key) {
  auto target = ParseHttpEndpoint(endpoint, "--endpoint");
  if (!target.ok()) return target.status();
  switch (protocol) {
    case OtlpProtocol::kHttpProtobuf:
      return std::unique_ptr<OtlpSender>(new HttpSender(*target, "application/x-protobuf", api_key));
    case OtlpProtocol::kHttpJson:
      return std::unique_ptr<OtlpSender>(new HttpSender(*target, "application/json", api_key));
    case OtlpProtocol::kGrpc:
      return std::unique_ptr<OtlpSender>(new GrpcSender(*target, api_key));
  }
  return absl::InvalidArgumentError("unknown protocol");
}

}  // namespace waggle::loadgen
