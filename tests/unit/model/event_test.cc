#include "model/event.h"

#include <gtest/gtest.h>

#include <map>

namespace waggle::model {
namespace {

std::map<std::string, AttributeValue> AsMap(const Event& e) {
  std::map<std::string, AttributeValue> out;
  for (auto& [k, v] : HoneycombFields(e)) out[k] = v;
  return out;
}

TEST(HoneycombFieldsTest, SpanFieldsAndLaterLevelsWin) {
  Event e;
  e.trace_id = *TraceId::FromHex("0102030405060708090a0b0c0d0e0f10");
  e.span_id = *SpanId::FromHex("1112131415161718");
  e.name = "GET /home";
  e.service_name = "backend-flask";
  e.kind = SpanKind::kServer;
  e.status_code = StatusCode::kError;
  e.duration_nano = 1'500'000;
  e.fields = {{"region", std::string("resource"), FieldOrigin::kResource},
              {"region", std::string("span"), FieldOrigin::kSpan},
              {"name", std::string("overridden"), FieldOrigin::kSpan}};
  auto f = AsMap(e);
  EXPECT_EQ(std::get<std::string>(f["trace.trace_id"]), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(std::get<std::string>(f["trace.span_id"]), "1112131415161718");
  EXPECT_EQ(f.count("trace.parent_id"), 0u) << "a root span has no parent field";
  EXPECT_EQ(std::get<std::string>(f["span.kind"]), "server");
  EXPECT_EQ(std::get<std::string>(f["type"]), "server");
  EXPECT_DOUBLE_EQ(std::get<double>(f["duration_ms"]), 1.5);
  EXPECT_EQ(std::get<int64_t>(f["status_code"]), 2);
  EXPECT_TRUE(std::get<bool>(f["error"]));
  EXPECT_EQ(std::get<std::string>(f["meta.signal_type"]), "trace");
  EXPECT_EQ(std::get<std::string>(f["region"]), "span");
  EXPECT_EQ(std::get<std::string>(f["name"]), "overridden") << "attributes win over span fields";
}

TEST(HoneycombFieldsTest, NoErrorFieldUnlessError) {
  Event e;
  e.status_code = StatusCode::kOk;
  EXPECT_EQ(AsMap(e).count("error"), 0u);
}

TEST(HoneycombFieldsTest, LinkRows) {
  Event e;
  e.annotation_type = AnnotationType::kLink;
  e.parent_span_id = *SpanId::FromHex("1112131415161718");
  e.link_trace_id = *TraceId::FromHex("ffffffffffffffffffffffffffffffff");
  e.link_span_id = *SpanId::FromHex("eeeeeeeeeeeeeeee");
  auto f = AsMap(e);
  EXPECT_EQ(std::get<std::string>(f["meta.annotation_type"]), "link");
  EXPECT_EQ(std::get<std::string>(f["trace.parent_id"]), "1112131415161718");
  EXPECT_EQ(std::get<std::string>(f["trace.link.span_id"]), "eeeeeeeeeeeeeeee");
  EXPECT_EQ(f.count("trace.span_id"), 0u);
}

}  // namespace
}  // namespace waggle::model
