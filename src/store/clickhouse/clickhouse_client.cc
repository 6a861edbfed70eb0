#include "store/clickhouse/clickhouse_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>

#include "common/strings.h"

namespace waggle::clickhouse {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

std::string ClickHouseEndpoint::ToString() const { return StrCat("http://", host, ":", port, "/", database); }

absl::StatusOr<ClickHouseEndpoint> ParseClickHouseUrl(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        StrCat("--store ", url.substr(0, 200), ": ", why, "; expected clickhouse://HOST:8123/DATABASE"));
  };
  std::string_view rest = url;
  if (rest.starts_with("clickhouse://")) rest.remove_prefix(13);
  else if (rest.starts_with("http://")) rest.remove_prefix(7);
  else return bad("unknown scheme");
  ClickHouseEndpoint endpoint;
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path = authority.size() < rest.size() ? rest.substr(authority.size() + 1) : std::string_view();
  if (authority.empty()) return bad("no host");
  if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    endpoint.host = std::string(authority.substr(0, colon));
    endpoint.port = std::string(authority.substr(colon + 1));
    if (endpoint.port.empty() || endpoint.port.size() > 5 ||
        !std::all_of(endpoint.port.begin(), endpoint.port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return bad("the port is not a number");
    }
  } else {
    endpoint.host = std::string(authority);
    endpoint.port = "8123";
  }
  while (path.ends_with('/')) path.remove_suffix(1);
  endpoint.database = path.empty() ? "waggle" : std::string(path);
  if (!std::all_of(endpoint.database.begin(), endpoint.database.end(),
                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; })) {
    return bad("a database name is letters, digits and '_'");
  }
  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string value(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (name == "user") endpoint.user = value;
    else if (name == "password") endpoint.password = value;
    else if (!name.empty()) return bad(StrCat("unknown parameter '", name, "'"));
  }
  return endpoint;
}

std::string SqlString(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

absl::StatusOr<std::string> ClickHouseClient::Execute(std::string_view sql, std::string_view data,
                                                      uint64_t max_response_bytes) const {
  const bool has_data = !data.empty();
  // Statements name their tables with the database, so none is chosen here (CREATE DATABASE
  // runs before it exists).
  std::string target = "/";
  if (has_data) StrAppend(&target, "?query=", UrlEncode(sql));
  http::request<http::string_body> request{http::verb::post, target, 11};
  request.set(http::field::host, endpoint_.host);
  if (!endpoint_.user.empty()) request.set("X-ClickHouse-User", endpoint_.user);
  if (!endpoint_.password.empty()) request.set("X-ClickHouse-Key", endpoint_.password);
  request.body() = has_data ? std::string(data) : std::string(sql);
  request.prepare_payload();
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_response_bytes);
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(timeout_);
    stream.connect(resolver.resolve(endpoint_.host, endpoint_.port));
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::read(stream, buffer, parser);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  } catch (const beast::system_error& e) {
    if (e.code() == http::error::body_limit) {
      return absl::OutOfRangeError(
          StrCat("ClickHouse's answer is larger than ", max_response_bytes >> 20, " MiB; narrow the time range"));
    }
    return absl::UnavailableError(StrCat("ClickHouse at ", endpoint_.ToString(), " cannot be reached: ", e.what()));
  }
  auto response = parser.release();
  if (response.result() == http::status::ok) return std::move(response.body());
  std::string message(TrimAsciiWhitespace(response.body()).substr(0, 2000));
  const unsigned code = response.result_int();
  if (code >= 500 && (message.find("Memory limit") != std::string::npos || message.find("Too many") != std::string::npos ||
                      message.find("TOO_MANY") != std::string::npos)) {
    return absl::UnavailableError(StrCat("ClickHouse is overloaded: ", message));
  }
  return absl::InternalError(StrCat("ClickHouse answered ", code, ": ", message));
}

}  // namespace waggle::clickhouse
