#include "api/route_table.h"

#include <algorithm>

#include "absl/status/status.h"
#include "api/http_errors.h"
#include "common/strings.h"

namespace waggle::api {

namespace http = boost::beast::http;

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.starts_with('/')) path.remove_prefix(1);
  if (path.ends_with('/')) path.remove_suffix(1);
  if (path.empty()) return out;
  while (true) {
    const size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    path.remove_prefix(slash + 1);
  }
}

bool IsParameter(std::string_view segment) { return segment.starts_with('{') && segment.ends_with('}'); }

}  // namespace

RouteTable& RouteTable::Add(std::string_view pattern, std::vector<http::verb> methods, RouteHandler handler) {
  Route route;
  for (std::string_view segment : Segments(pattern)) route.segments.emplace_back(segment);
  route.pattern = std::string(pattern);
  route.methods = std::move(methods);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
  return *this;
}

bool RouteTable::Matches(const Route& route, const std::vector<std::string_view>& segments, RouteParams* params) {
  if (route.segments.size() != segments.size()) return false;
  params->clear();
  for (size_t i = 0; i < segments.size(); ++i) {
    if (IsParameter(route.segments[i])) {
      if (segments[i].empty()) return false;
      params->push_back(PercentDecode(segments[i]));
    } else if (route.segments[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

bool RouteTable::Dispatch(HttpRequest& request, std::string_view path, HttpReply& reply) const {
  const std::vector<std::string_view> segments = Segments(path);
  RouteParams params;
  std::string allow;
  const Route* matched = nullptr;
  for (const Route& route : routes_) {
    if (!Matches(route, segments, &params)) continue;
    if (route.methods.empty() ||
        std::find(route.methods.begin(), route.methods.end(), request.method()) != route.methods.end()) {
      route.handler(request, params, reply);
      return true;
    }
    matched = &route;
    for (http::verb method : route.methods) {
      const std::string name(http::to_string(method));
      if (allow.find(name) == std::string::npos) StrAppend(&allow, allow.empty() ? "" : ", ", name);
    }
  }
  if (matched == nullptr) return false;
  HttpResponse response = JsonError(request, absl::InvalidArgumentError(StrCat("use ", allow, " for ", path)));
  response.result(http::status::method_not_allowed);
  response.set(http::field::allow, allow);
  reply(std::move(response));
  return true;
}

}  // namespace waggle::api
