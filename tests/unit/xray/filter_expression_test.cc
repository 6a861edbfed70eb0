#include "xray/filter_expression.h"

#include <gtest/gtest.h>

#include "xray/segment_document.h"

namespace waggle::xray {
namespace {

constexpr char kTrace[] = "1-6b04f109-e80e21319d0b558d3da4965b";

// frontend (root, 200, 1.2 s, user alice, annotation account=12345)
//   -> subsegment "call backend" (remote) -> backend segment (fault, 503, 0.8 s, exception "db down")
//   -> subsegment DynamoDB (aws, throttled), no segment of its own: an inferred node
XrayTrace SampleTrace() {
  const std::string t = kTrace;
  std::vector<std::string> docs = {
      R"({"trace_id":")" + t + R"(","id":"0000000000000001","name":"frontend","origin":"AWS::EC2::Instance",
        "start_time":100,"end_time":101.2,"user":"alice","annotations":{"account":"12345","retries":3,"canary":true},
        "http":{"request":{"method":"GET","url":"https://shop.example.com/cart","user_agent":"curl/8","client_ip":"10.0.0.1"},"response":{"status":200}},
        "subsegments":[{"id":"0000000000000002","name":"backend","namespace":"remote","start_time":100.1,"end_time":101.0,"fault":true},
                       {"id":"0000000000000004","name":"DynamoDB","namespace":"aws","start_time":101.0,"end_time":101.1,"throttle":true,"error":true}]})",
      R"({"trace_id":")" + t + R"(","id":"0000000000000003","parent_id":"0000000000000002","name":"backend",
        "start_time":100.15,"end_time":100.95,"fault":true,"http":{"response":{"status":503}},
        "cause":{"exceptions":[{"message":"db down","type":"IOError"}]}})",
  };
  std::vector<model::Event> events;
  for (const std::string& d : docs) {
    auto mapped = MapSegmentDocument(d);
    EXPECT_TRUE(mapped.ok()) << mapped.status();
    events.insert(events.end(), mapped->events.begin(), mapped->events.end());
  }
  return BuildXrayTrace(*ParseXrayTraceId(kTrace), events);
}

bool Matches(std::string_view expression, const FilterExpression::GroupLookup& groups = {}) {
  auto parsed = FilterExpression::Parse(expression);
  EXPECT_TRUE(parsed.ok()) << expression << ": " << parsed.status();
  return parsed.ok() && parsed->Matches(SampleTrace(), groups);
}

TEST(FilterExpression, KeywordsOnTheTrace) {
  EXPECT_TRUE(Matches(""));
  EXPECT_TRUE(Matches("fault"));
  EXPECT_TRUE(Matches("error AND throttle"));
  EXPECT_FALSE(Matches("ok"));
  EXPECT_TRUE(Matches("!ok"));
  EXPECT_TRUE(Matches("fault = true"));
  EXPECT_FALSE(Matches("fault = false"));
  EXPECT_TRUE(Matches("responsetime > 1 AND responsetime <= 1.2"));
  EXPECT_TRUE(Matches("duration >= 1.2"));
  EXPECT_TRUE(Matches("http.status = 200"));
  EXPECT_FALSE(Matches("http.status >= 500"));
  EXPECT_TRUE(Matches("http.url CONTAINS \"/cart\" AND http.method = \"GET\""));
  EXPECT_TRUE(Matches("http.url BEGINSWITH 'https://shop' and http.url endswith \"cart\""));
  EXPECT_TRUE(Matches("http.useragent = \"curl/8\" AND http.clientip = \"10.0.0.1\""));
  EXPECT_TRUE(Matches("user = \"alice\""));
  EXPECT_TRUE(Matches("name = \"backend\""));
  EXPECT_TRUE(Matches("type = \"AWS::EC2::Instance\""));
  EXPECT_TRUE(Matches("message CONTAINS \"db\""));
  EXPECT_FALSE(Matches("partial"));
  EXPECT_TRUE(Matches("(fault OR ok) AND !(user = \"bob\")"));
}

TEST(FilterExpression, Annotations) {
  EXPECT_TRUE(Matches("annotation.account = \"12345\""));
  EXPECT_TRUE(Matches("annotation[account] = \"12345\""));
  EXPECT_TRUE(Matches("annotation.retries >= 3"));
  EXPECT_TRUE(Matches("annotation.canary = true"));
  EXPECT_TRUE(Matches("annotation.account"));
  EXPECT_TRUE(Matches("!annotation.missing"));
  EXPECT_FALSE(Matches("annotation.account = \"999\""));
  EXPECT_FALSE(Matches("annotation.retries > 3"));
}

TEST(FilterExpression, ServiceEdgeIdAndRootCause) {
  EXPECT_TRUE(Matches("service(\"backend\")"));
  EXPECT_TRUE(Matches("service(\"backend\") { fault }"));
  EXPECT_FALSE(Matches("service(\"frontend\") { fault }"));
  EXPECT_TRUE(Matches("service(\"frontend\") { ok AND responsetime > 1 }"));
  EXPECT_TRUE(Matches("service(\"backend\") {fault OR responsetime > 2.5} AND annotation.account = \"12345\""));
  EXPECT_FALSE(Matches("service(\"nope\")"));
  EXPECT_TRUE(Matches("service() { http.status = 503 }"));
  EXPECT_TRUE(Matches("service(\"DynamoDB\") { throttle }"));
  EXPECT_TRUE(Matches("edge(\"frontend\", \"backend\") { fault }"));
  EXPECT_TRUE(Matches("edge(\"frontend\", \"DynamoDB\") { throttle }"));
  EXPECT_FALSE(Matches("edge(\"backend\", \"frontend\")"));
  EXPECT_TRUE(Matches("id(name: \"frontend\", type: \"AWS::EC2::Instance\")"));
  EXPECT_TRUE(Matches("id(name: \"DynamoDB\", type: \"AWS::DynamoDB\")"));
  EXPECT_FALSE(Matches("id(name: \"frontend\", type: \"AWS::Lambda\")"));
  EXPECT_TRUE(Matches("rootcause.fault.service { name = \"backend\" }"));
  EXPECT_FALSE(Matches("rootcause.fault.service { name = \"frontend\" }"));
  EXPECT_TRUE(Matches("rootcause.fault.exception { message = \"db down\" }"));
  EXPECT_TRUE(Matches("rootcause.error.entity { name = \"DynamoDB\" }"));
}

TEST(FilterExpression, Groups) {
  auto groups = [](std::string_view, std::string_view name) -> std::optional<std::string> {
    if (name == "faulty") return "service(\"backend\") { fault }";
    if (name == "loop") return "group.name = \"loop\"";
    return std::nullopt;
  };
  EXPECT_TRUE(Matches("group.name = \"faulty\"", groups));
  EXPECT_FALSE(Matches("group.name = \"unknown\"", groups));
  EXPECT_FALSE(Matches("group.name = \"loop\"", groups));  // a cycle ends, unmatched
}

TEST(FilterExpression, ErrorsPointAtThePosition) {
  auto error = [](std::string_view expression) {
    auto parsed = FilterExpression::Parse(expression);
    EXPECT_FALSE(parsed.ok()) << expression;
    return parsed.ok() ? std::string() : std::string(parsed.status().message());
  };
  EXPECT_EQ(error("fault AND"), "filter expression, at character 10: expression ends where a condition was expected");
  EXPECT_NE(error("bogus = 1").find("at character 1: unknown keyword 'bogus'"), std::string::npos);
  EXPECT_NE(error("http.status = \"500\"").find("at character 15: 'http.status' is a number"), std::string::npos);
  EXPECT_NE(error("user > 3").find("is a string"), std::string::npos);
  EXPECT_NE(error("responsetime").find("needs a comparison"), std::string::npos);
  EXPECT_NE(error("(fault").find("expected ')'"), std::string::npos);
  EXPECT_NE(error("service(\"a\") { fault").find("expected '}'"), std::string::npos);
  EXPECT_NE(error("service(a)").find("at character 9: expected a quoted string"), std::string::npos);
  EXPECT_NE(error("edge(\"a\")").find("two names"), std::string::npos);
  EXPECT_NE(error("user = \"x").find("not closed"), std::string::npos);
  EXPECT_NE(error("fault fault").find("at character 7: unexpected 'fault'"), std::string::npos);
  EXPECT_NE(error("rootcause.bogus.service").find("rootcause"), std::string::npos);
  EXPECT_NE(error(std::string(100, '(')).find("nested too deeply"), std::string::npos);
  EXPECT_NE(error("fault = 3").find("true or false"), std::string::npos);
}

TEST(FilterExpression, NamedServices) {
  auto parsed = FilterExpression::Parse("service(\"a\") OR (service(\"b\") { fault } AND ok)");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->NamedServices(), (std::vector<std::string>{"a", "b"}));
}

TEST(FilterExpression, HintNamesOnlyWhatEveryMatchHas) {
  auto hint = [](std::string_view text) {
    auto parsed = FilterExpression::Parse(text);
    EXPECT_TRUE(parsed.ok()) << text;
    return parsed->Hint();
  };
  store::TraceHint h = hint("service(\"api\") { annotation.user = \"x\" } AND edge(\"api\", \"db\") AND http.status >= 500");
  EXPECT_EQ(h.keys, (std::vector<std::string>{"annotation.user"}));
  EXPECT_EQ(h.texts, (std::vector<std::string>{"api", "api", "db"}));
  // Either side of an OR may match alone, and a NOT matches where its inside does not.
  EXPECT_TRUE(hint("service(\"a\") OR annotation.k = 1").empty());
  EXPECT_TRUE(hint("!annotation.k").empty());
  EXPECT_TRUE(hint("").empty());
  EXPECT_EQ(hint("annotation[odd key] AND fault").keys, (std::vector<std::string>{"annotation.odd key"}));
}

}  // namespace
}  // namespace waggle::xray
