// A route table: each route is a path pattern of literal segments and {parameters}, the
// methods it takes and its handler. A path that matches a pattern under another method gets
// 405 with the Allow header listing the methods that pattern takes, so every endpoint answers
// the same way without an `if` per path.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include "api/http_server.h"

namespace waggle::api {

// The {parameter} segments of the path, in order, percent-decoded.
using RouteParams = std::vector<std::string>;
using RouteHandler = std::function<void(HttpRequest& request, const RouteParams& params, HttpReply& reply)>;

std::string PercentDecode(std::string_view s);

class RouteTable {
 public:
  // `pattern`: "/1/markers/{dataset}/{id}"; a {parameter} matches one non-empty segment. An
  // empty `methods` takes every method.
  RouteTable& Add(std::string_view pattern, std::vector<boost::beast::http::verb> methods, RouteHandler handler);

  // Runs the route the request's path and method match and returns true; answers 405 when
  // only the method is wrong; false when no pattern matches the path (a trailing slash aside).
  bool Dispatch(HttpRequest& request, std::string_view path, HttpReply& reply) const;

 private:
  struct Route {
    std::vector<std::string> segments;  // "{...}" for a parameter
    std::string pattern;
    std::vector<boost::beast::http::verb> methods;
    RouteHandler handler;
  };
  static bool Matches(const Route& route, const std::vector<std::string_view>& segments, RouteParams* params);

  std::vector<Route> routes_;
};

}  // namespace waggle::api
