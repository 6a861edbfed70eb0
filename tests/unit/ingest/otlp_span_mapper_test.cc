#include "ingest/otlp_span_mapper.h"

#include <gtest/gtest.h>

#include <map>

#include "ingest/dataset_rules.h"

namespace waggle::ingest {
namespace {

using model::AnnotationType;
using model::AttributeValue;
using model::Event;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::common::v1::KeyValue;
using opentelemetry::proto::trace::v1::Span;

const std::string kTraceId("\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19", 16);
const std::string kSpanId("\x01\x02\x03\x04\x05\x06\x07\x08", 8);
const std::string kParentId("\x11\x12\x13\x14\x15\x16\x17\x18", 8);

void Set(KeyValue* kv, const std::string& key, const std::string& value) {
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
}

std::map<std::string, AttributeValue> Fields(const Event& e) {
  std::map<std::string, AttributeValue> out;
  for (auto& [k, v] : model::HoneycombFields(e)) out[k] = v;
  return out;
}

class OtlpSpanMapperTest : public ::testing::Test {
 protected:
  Span* AddSpan(const std::string& service = "backend-flask") {
    auto* rs = request_.add_resource_spans();
    if (!service.empty()) Set(rs->mutable_resource()->add_attributes(), "service.name", service);
    Set(rs->mutable_resource()->add_attributes(), "shared", "from-resource");
    auto* ss = rs->add_scope_spans();
    ss->mutable_scope()->set_name("my-lib");
    ss->mutable_scope()->set_version("1.0");
    Set(ss->mutable_scope()->add_attributes(), "shared", "from-scope");
    Span* span = ss->add_spans();
    span->set_trace_id(kTraceId);
    span->set_span_id(kSpanId);
    span->set_parent_span_id(kParentId);
    span->set_name("GET /api/activities/home");
    span->set_kind(Span::SPAN_KIND_SERVER);
    span->set_start_time_unix_nano(1'700'000'000'000'000'000ull);
    span->set_end_time_unix_nano(1'700'000'000'012'500'000ull);
    return span;
  }
  const Event& SpanEvent(const OtlpMappedBatch& batch) {
    for (const Event& e : batch.events) {
      if (e.annotation_type == AnnotationType::kSpan) return e;
    }
    ADD_FAILURE() << "no span event";
    return batch.events.front();
  }
  ExportTraceServiceRequest request_;
};

TEST_F(OtlpSpanMapperTest, SpanBecomesOneEventWithHoneycombFields) {
  Span* span = AddSpan();
  Set(span->add_attributes(), "shared", "from-span");
  span->add_attributes()->set_key("http.status_code");
  span->mutable_attributes(1)->mutable_value()->set_int_value(500);
  span->mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  span->mutable_status()->set_message("db down");

  OtlpMappedBatch batch = MapOtlpTraces(request_, std::nullopt);
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(batch.accepted_spans, 1);
  const Event& e = batch.events[0];
  EXPECT_EQ(e.dataset, "backend-flask");
  auto f = Fields(e);
  EXPECT_EQ(std::get<std::string>(f["trace.trace_id"]), "0a0b0c0d0e0f10111213141516171819");
  EXPECT_EQ(std::get<std::string>(f["trace.span_id"]), "0102030405060708");
  EXPECT_EQ(std::get<std::string>(f["trace.parent_id"]), "1112131415161718");
  EXPECT_EQ(std::get<std::string>(f["name"]), "GET /api/activities/home");
  EXPECT_EQ(std::get<std::string>(f["service.name"]), "backend-flask");
  EXPECT_EQ(std::get<std::string>(f["span.kind"]), "server");
  EXPECT_DOUBLE_EQ(std::get<double>(f["duration_ms"]), 12.5);
  EXPECT_EQ(std::get<int64_t>(f["status_code"]), 2);
  EXPECT_EQ(std::get<std::string>(f["status_message"]), "db down");
  EXPECT_TRUE(std::get<bool>(f["error"]));
  EXPECT_EQ(std::get<std::string>(f["library.name"]), "my-lib");
  EXPECT_EQ(std::get<std::string>(f["library.version"]), "1.0");
  EXPECT_EQ(std::get<int64_t>(f["http.status_code"]), 500);
  EXPECT_EQ(std::get<std::string>(f["shared"]), "from-span") << "resource, then scope, then span";
  EXPECT_EQ(e.time_unix_nano, 1'700'000'000'000'000'000);
  EXPECT_EQ(e.sample_rate, 1);
}

TEST_F(OtlpSpanMapperTest, ScopeWinsOverResource) {
  AddSpan();
  auto f = Fields(MapOtlpTraces(request_, std::nullopt).events[0]);
  EXPECT_EQ(std::get<std::string>(f["shared"]), "from-scope");
}

TEST_F(OtlpSpanMapperTest, DatasetRules) {
  AddSpan("  checkout  ");
  AddSpan("");
  AddSpan("unknown_service:node");
  auto batch = MapOtlpTraces(request_, std::nullopt);
  ASSERT_EQ(batch.events.size(), 3u);
  EXPECT_EQ(batch.events[0].dataset, "checkout");
  EXPECT_EQ(batch.events[1].dataset, "unknown_service");
  EXPECT_EQ(batch.events[2].dataset, "unknown_service");
  auto fixed = MapOtlpTraces(request_, std::string("classic-ds"));
  for (const Event& e : fixed.events) EXPECT_EQ(e.dataset, "classic-ds");
}

TEST(DatasetRulesTest, ClassicKeys) {
  EXPECT_TRUE(IsClassicApiKey("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsClassicApiKey("0123456789ABCDEF0123456789abcdef"));
  EXPECT_TRUE(IsClassicApiKey("hcaic_" + std::string(58, 'a')));
  EXPECT_FALSE(IsClassicApiKey("hcxik_" + std::string(58, 'a')));
  EXPECT_FALSE(IsClassicApiKey("my-ingest-key"));
}

TEST_F(OtlpSpanMapperTest, SampleRateBecomesTheEventsRate) {
  Span* span = AddSpan();
  span->add_attributes()->set_key("sampleRate");
  span->mutable_attributes(0)->mutable_value()->set_int_value(20);
  auto batch = MapOtlpTraces(request_, std::nullopt);
  EXPECT_EQ(batch.events[0].sample_rate, 20);
  EXPECT_EQ(Fields(batch.events[0]).count("sampleRate"), 0u);

  span->mutable_attributes(0)->mutable_value()->set_int_value(-3);
  EXPECT_EQ(MapOtlpTraces(request_, std::nullopt).events[0].sample_rate, 1);
  span->mutable_attributes(0)->set_key("SampleRate");
  span->mutable_attributes(0)->mutable_value()->set_string_value("7");
  EXPECT_EQ(MapOtlpTraces(request_, std::nullopt).events[0].sample_rate, 7);
}

TEST_F(OtlpSpanMapperTest, SpanEventsAndLinksAreRowsOfTheirOwn) {
  Span* span = AddSpan();
  span->mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  auto* ev = span->add_events();
  ev->set_name("exception");
  ev->set_time_unix_nano(1'700'000'000'002'000'000ull);
  Set(ev->add_attributes(), "exception.message", "division by zero");
  Set(ev->add_attributes(), "exception.type", "ZeroDivisionError");
  Set(ev->add_attributes(), "other", "x");
  auto* link = span->add_links();
  link->set_trace_id(std::string(16, '\x42'));
  link->set_span_id(std::string(8, '\x43'));
  Set(link->add_attributes(), "link.reason", "retry");

  auto batch = MapOtlpTraces(request_, std::nullopt);
  ASSERT_EQ(batch.events.size(), 3u);
  EXPECT_EQ(batch.accepted_spans, 1);
  const Event& s = SpanEvent(batch);
  auto sf = Fields(s);
  EXPECT_EQ(std::get<int64_t>(sf["span.num_events"]), 1);
  EXPECT_EQ(std::get<int64_t>(sf["span.num_links"]), 1);
  EXPECT_EQ(std::get<std::string>(sf["exception.message"]), "division by zero")
      << "the first exception event is copied onto the span";
  EXPECT_EQ(sf.count("other"), 0u);

  for (const Event& e : batch.events) {
    auto f = Fields(e);
    if (e.annotation_type == AnnotationType::kSpanEvent) {
      EXPECT_EQ(std::get<std::string>(f["meta.annotation_type"]), "span_event");
      EXPECT_EQ(std::get<std::string>(f["trace.parent_id"]), "0102030405060708");
      EXPECT_EQ(f.count("trace.span_id"), 0u);
      EXPECT_EQ(std::get<std::string>(f["name"]), "exception");
      EXPECT_EQ(std::get<std::string>(f["parent_name"]), "GET /api/activities/home");
      EXPECT_DOUBLE_EQ(std::get<double>(f["meta.time_since_span_start_ms"]), 2.0);
      EXPECT_TRUE(std::get<bool>(f["error"])) << "error is copied from the span";
      EXPECT_EQ(e.time_unix_nano, 1'700'000'000'002'000'000);
    } else if (e.annotation_type == AnnotationType::kLink) {
      EXPECT_EQ(std::get<std::string>(f["meta.annotation_type"]), "link");
      EXPECT_EQ(std::get<std::string>(f["trace.link.trace_id"]), "42424242424242424242424242424242");
      EXPECT_EQ(std::get<std::string>(f["trace.link.span_id"]), "4343434343434343");
      EXPECT_EQ(std::get<std::string>(f["link.reason"]), "retry");
    }
  }
}

TEST_F(OtlpSpanMapperTest, AttributesFlattenLikeHoneycomb) {
  Span* span = AddSpan();
  auto* arr = span->add_attributes();
  arr->set_key("tags");
  arr->mutable_value()->mutable_array_value()->add_values()->set_string_value("a");
  arr->mutable_value()->mutable_array_value()->add_values()->set_int_value(2);
  auto* kv = span->add_attributes();
  kv->set_key("user");
  auto* inner = kv->mutable_value()->mutable_kvlist_value()->add_values();
  inner->set_key("id");
  inner->mutable_value()->set_int_value(7);
  Set(span->add_attributes(), "long", std::string(70000, 'x'));

  auto f = Fields(MapOtlpTraces(request_, std::nullopt).events[0]);
  EXPECT_EQ(std::get<std::string>(f["tags"]), R"(["a",2])");
  EXPECT_EQ(std::get<int64_t>(f["user.id"]), 7);
  EXPECT_EQ(std::get<std::string>(f["long"]).size(), 65535u);
}

TEST_F(OtlpSpanMapperTest, NegativeDurationIsClampedAndMarked) {
  Span* span = AddSpan();
  span->set_end_time_unix_nano(span->start_time_unix_nano() - 5);
  auto f = Fields(MapOtlpTraces(request_, std::nullopt).events[0]);
  EXPECT_DOUBLE_EQ(std::get<double>(f["duration_ms"]), 0.0);
  EXPECT_TRUE(std::get<bool>(f["meta.invalid_duration"]));
}

TEST_F(OtlpSpanMapperTest, OversizedSpansAreClampedAndMarked) {
  Span* span = AddSpan();
  span->set_name(std::string(100000, 'n'));
  Set(span->add_attributes(), "big", std::string(70000, 'x') + "é");
  for (int i = 0; i < 2500; ++i) Set(span->add_attributes(), "a" + std::to_string(i), "v");
  const OtlpMappedBatch batch = MapOtlpTraces(request_, std::nullopt);
  const Event& e = SpanEvent(batch);
  EXPECT_EQ(e.name.size(), 65535u);
  auto f = Fields(e);
  EXPECT_EQ(std::get<std::string>(f["big"]).size(), 65535u);
  EXPECT_EQ(std::get<int64_t>(f["meta.truncated_values"]), 2);  // the name and "big"
  // 2,501 span attributes: the first 2,000 kept, the rest counted.
  EXPECT_EQ(std::get<int64_t>(f["meta.dropped_attributes"]), 501);
  EXPECT_TRUE(f.count("a1998"));
  EXPECT_FALSE(f.count("a1999"));
  EXPECT_EQ(f["shared"], AttributeValue(std::string("from-scope")));  // resource and scope untouched
}

TEST_F(OtlpSpanMapperTest, BadIdsAreRejectedWithAReason) {
  AddSpan()->set_trace_id("short");
  AddSpan()->set_span_id(std::string(8, '\0'));
  AddSpan();
  auto batch = MapOtlpTraces(request_, std::nullopt);
  EXPECT_EQ(batch.accepted_spans, 1);
  EXPECT_EQ(batch.rejected_spans, 2);
  EXPECT_EQ(batch.events.size(), 1u);
  EXPECT_NE(batch.error_message.find("trace_id must be 16 bytes"), std::string::npos) << batch.error_message;
}

}  // namespace
}  // namespace waggle::ingest
