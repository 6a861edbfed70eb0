#include "api/trace_renderer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ingest/otlp_json_reader.h"
#include "ingest/otlp_span_mapper.h"

namespace waggle::api {
namespace {

// Two services, a parent and a child with an event and a link: mapping to events and
// rendering back must give the same spans, grouped by resource and scope.
constexpr char kRequest[] = R"({"resourceSpans":[
 {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"frontend"}}]},
  "scopeSpans":[{"scope":{"name":"web","version":"2"},"spans":[{
   "traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"GET /",
   "kind":2,"startTimeUnixNano":"1000","endTimeUnixNano":"5000",
   "attributes":[{"key":"http.status_code","value":{"intValue":"200"}},{"key":"sampleRate","value":{"intValue":"4"}}],
   "status":{"code":1}}]}]},
 {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"backend"}}]},
  "scopeSpans":[{"scope":{"name":"db"},"spans":[{
   "traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","parentSpanId":"b7ad6b7169203331",
   "name":"SELECT","kind":3,"startTimeUnixNano":"2000","endTimeUnixNano":"3000",
   "events":[{"timeUnixNano":"2500","name":"retry","attributes":[{"key":"n","value":{"intValue":"1"}}]}],
   "links":[{"traceId":"11111111111111111111111111111111","spanId":"2222222222222222"}],
   "status":{"code":2,"message":"timeout"}}]}]}]})";

TEST(TraceRendererTest, GivesBackWhatWasSent) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  ASSERT_TRUE(ingest::ParseOtlpTracesJson(kRequest, &request).ok());
  auto batch = ingest::MapOtlpTraces(request, std::nullopt);
  auto out = nlohmann::json::parse(RenderTraceAsOtlpJson(batch.events));

  ASSERT_EQ(out["resourceSpans"].size(), 2u);
  const auto& frontend = out["resourceSpans"][0];
  EXPECT_EQ(frontend["resource"]["attributes"][0]["value"]["stringValue"], "frontend");
  EXPECT_EQ(frontend["scopeSpans"][0]["scope"]["name"], "web");
  EXPECT_EQ(frontend["scopeSpans"][0]["scope"]["version"], "2");
  const auto& root = frontend["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(root["traceId"], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(root["spanId"], "b7ad6b7169203331");
  EXPECT_FALSE(root.contains("parentSpanId"));
  EXPECT_EQ(root["kind"], 2);
  EXPECT_EQ(root["startTimeUnixNano"], "1000");
  EXPECT_EQ(root["endTimeUnixNano"], "5000");
  EXPECT_EQ(root["attributes"][0]["key"], "http.status_code");
  EXPECT_EQ(root["attributes"][0]["value"]["intValue"], "200");
  EXPECT_EQ(root["attributes"][1]["key"], "sampleRate");
  EXPECT_EQ(root["status"]["code"], 1);

  const auto& child = out["resourceSpans"][1]["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(child["parentSpanId"], "b7ad6b7169203331");
  EXPECT_EQ(child["status"]["message"], "timeout");
  ASSERT_EQ(child["events"].size(), 1u);
  EXPECT_EQ(child["events"][0]["name"], "retry");
  EXPECT_EQ(child["events"][0]["timeUnixNano"], "2500");
  EXPECT_EQ(child["events"][0]["attributes"].size(), 1u) << "derived fields are not sent back";
  ASSERT_EQ(child["links"].size(), 1u);
  EXPECT_EQ(child["links"][0]["spanId"], "2222222222222222");
  EXPECT_TRUE(child["attributes"].empty());
}

}  // namespace
}  // namespace waggle::api
