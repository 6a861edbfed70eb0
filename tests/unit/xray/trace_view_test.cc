#include "xray/trace_view.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "xray/segment_document.h"

namespace waggle::xray {
namespace {

constexpr char kTrace[] = "1-6b04f109-e80e21319d0b558d3da4965b";

std::vector<model::Event> Map(const std::vector<std::string>& docs) {
  std::vector<model::Event> out;
  for (const std::string& d : docs) {
    auto mapped = MapSegmentDocument(d);
    EXPECT_TRUE(mapped.ok()) << mapped.status();
    if (mapped.ok()) out.insert(out.end(), mapped->events.begin(), mapped->events.end());
  }
  return out;
}

std::string Segment(std::string_view extra) {
  return std::string(R"({"trace_id":")") + kTrace + R"(","id":"52bd4d054e9f9742","name":"api","start_time":100.0)" +
         std::string(extra) + "}";
}

TEST(XrayTrace, CompletedDocumentWinsOverInProgressInEitherOrder) {
  const std::string open = Segment(R"(,"in_progress":true)");
  const std::string done = Segment(R"(,"end_time":101.5,"fault":true)");
  for (const auto& order : {std::vector<std::string>{open, done}, std::vector<std::string>{done, open}}) {
    XrayTrace trace = BuildXrayTrace(*ParseXrayTraceId(kTrace), Map(order));
    ASSERT_EQ(trace.nodes.size(), 1u);
    EXPECT_FALSE(trace.nodes[0].in_progress);
    EXPECT_TRUE(trace.nodes[0].fault);
    EXPECT_DOUBLE_EQ(trace.Duration(), 1.5);
    EXPECT_FALSE(trace.partial);
    auto docs = SegmentDocuments(trace);
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].second, done);  // as sent
  }
}

TEST(XrayTrace, SubsegmentsSentAloneGoUnderTheirParents) {
  const std::string segment = Segment(R"(,"end_time":101,"subsegments":[{"id":"aaaaaaaaaaaaaaaa","name":"db","start_time":100.1,"end_time":100.2}])");
  const std::string streamed = std::string(R"({"type":"subsegment","trace_id":")") + kTrace +
                               R"(","parent_id":"aaaaaaaaaaaaaaaa","id":"bbbbbbbbbbbbbbbb","name":"query","start_time":100.11,"end_time":100.19})";
  const std::string orphan = std::string(R"({"type":"subsegment","trace_id":")") + kTrace +
                             R"(","parent_id":"cccccccccccccccc","id":"dddddddddddddddd","name":"lost","start_time":100.3,"end_time":100.4})";
  XrayTrace trace = BuildXrayTrace(*ParseXrayTraceId(kTrace), Map({streamed, segment, orphan}));
  ASSERT_EQ(trace.nodes.size(), 4u);
  EXPECT_TRUE(trace.partial);  // the orphan's parent never came
  ASSERT_GE(trace.root, 0);
  EXPECT_EQ(trace.Root()->name, "api");
  for (const XrayNode& n : trace.nodes) {
    if (n.name != "lost") {  // the orphan's service is unknown
      EXPECT_EQ(n.service, "api") << n.name;
    }
  }
  auto docs = SegmentDocuments(trace);
  ASSERT_EQ(docs.size(), 2u);
  auto merged = nlohmann::json::parse(docs[0].second);
  EXPECT_EQ(merged["subsegments"][0]["subsegments"][0]["id"], "bbbbbbbbbbbbbbbb");
  EXPECT_EQ(nlohmann::json::parse(docs[1].second)["id"], "dddddddddddddddd");
}

TEST(XrayTrace, OtlpSpansBecomeSegmentsAndSubsegments) {
  auto id = *model::TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736");
  auto span = [&](const char* span_id, const char* parent, const char* service, const char* name, model::SpanKind kind) {
    model::Event e;
    e.trace_id = id;
    e.span_id = *model::SpanId::FromHex(span_id);
    if (parent) e.parent_span_id = *model::SpanId::FromHex(parent);
    e.service_name = service;
    e.name = name;
    e.kind = kind;
    e.time_unix_nano = 1000000000;
    e.duration_nano = 500000000;
    return e;
  };
  std::vector<model::Event> events = {
      span("0000000000000001", nullptr, "frontend", "GET /", model::SpanKind::kServer),
      span("0000000000000002", "0000000000000001", "frontend", "GET backend", model::SpanKind::kClient),
      span("0000000000000003", "0000000000000002", "backend", "GET /api", model::SpanKind::kServer),
  };
  events[2].status_code = model::StatusCode::kError;
  events[2].fields.push_back({"http.response.status_code", int64_t{503}});
  XrayTrace trace = BuildXrayTrace(id, events);
  ASSERT_EQ(trace.nodes.size(), 3u);
  EXPECT_TRUE(trace.nodes[0].is_segment);
  EXPECT_EQ(trace.nodes[0].name, "frontend");
  EXPECT_FALSE(trace.nodes[1].is_segment);
  EXPECT_EQ(trace.nodes[1].namespace_, "remote");
  EXPECT_TRUE(trace.nodes[2].is_segment);
  EXPECT_EQ(trace.nodes[2].name, "backend");
  EXPECT_TRUE(trace.nodes[2].fault);
  auto docs = SegmentDocuments(trace);
  ASSERT_EQ(docs.size(), 2u);
  auto frontend = nlohmann::json::parse(docs[0].second);
  EXPECT_EQ(frontend["trace_id"], "1-4bf92f35-77b34da6a3ce929d0e0e4736");
  EXPECT_EQ(frontend["subsegments"][0]["name"], "GET backend");
  auto backend = nlohmann::json::parse(docs[1].second);
  EXPECT_EQ(backend["parent_id"], "0000000000000002");
  EXPECT_EQ(backend["http"]["response"]["status"], 503);
  EXPECT_EQ(backend["fault"], true);
}

}  // namespace
}  // namespace waggle::xray
