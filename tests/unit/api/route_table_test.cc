#include "api/route_table.h"

#include <gtest/gtest.h>

namespace waggle::api {
namespace {

namespace http = boost::beast::http;

struct Call {
  std::string route;
  RouteParams params;
};

TEST(RouteTableTest, PatternsMethodsAndParameters) {
  Call call;
  auto record = [&call](std::string route) {
    return [&call, route](HttpRequest&, const RouteParams& params, HttpReply&) { call = {route, params}; };
  };
  RouteTable routes;
  routes.Add("/1/markers/{dataset}", {http::verb::get}, record("list"))
      .Add("/1/markers/{dataset}", {http::verb::post}, record("create"))
      .Add("/1/markers/{dataset}/{id}", {http::verb::put, http::verb::delete_}, record("change"))
      .Add("/healthz", {}, record("health"));
  HttpResponse answered;
  HttpReply reply = [&answered](HttpResponse response) { answered = std::move(response); };
  HttpRequest request;

  request.method(http::verb::post);
  ASSERT_TRUE(routes.Dispatch(request, "/1/markers/my%20ds", reply));
  EXPECT_EQ(call.route, "create");
  EXPECT_EQ(call.params, RouteParams{"my ds"});  // percent-decoded

  request.method(http::verb::delete_);
  ASSERT_TRUE(routes.Dispatch(request, "/1/markers/ds/m1/", reply));  // a trailing slash is the same path
  EXPECT_EQ(call.route, "change");
  EXPECT_EQ(call.params, (RouteParams{"ds", "m1"}));

  request.method(http::verb::patch);
  ASSERT_TRUE(routes.Dispatch(request, "/healthz", reply));  // every method
  EXPECT_EQ(call.route, "health");

  // A known path under another method: 405, Allow naming every method its pattern takes.
  call = {};
  request.method(http::verb::delete_);
  ASSERT_TRUE(routes.Dispatch(request, "/1/markers/ds", reply));
  EXPECT_EQ(call.route, "");
  EXPECT_EQ(answered.result(), http::status::method_not_allowed);
  EXPECT_EQ(answered[http::field::allow], "GET, POST");
  EXPECT_NE(answered.body().find("use GET, POST for /1/markers/ds"), std::string::npos) << answered.body();

  // Unknown paths are someone else's.
  EXPECT_FALSE(routes.Dispatch(request, "/1/markers", reply));
  EXPECT_FALSE(routes.Dispatch(request, "/1/markers/ds/m1/extra", reply));
  EXPECT_FALSE(routes.Dispatch(request, "/1/markers//m1", reply));  // an empty parameter
  EXPECT_FALSE(routes.Dispatch(request, "/", reply));
}

}  // namespace
}  // namespace waggle::api
