#include "ingest/otlp_json_reader.h"

#include <gtest/gtest.h>

namespace waggle::ingest {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::trace::v1::Span;

// Shaped like what @opentelemetry/exporter-trace-otlp-http 0.223 sends.
constexpr char kExporterJson[] = R"({"resourceSpans":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"backend-flask"}}],"droppedAttributesCount":0},
  "scopeSpans":[{"scope":{"name":"bars","version":"1.2"},"spans":[{
    "traceId":"1e886c2fef7e31025aee875683bf626c","spanId":"79e65d4a70cdf41d",
    "parentSpanId":"0102030405060708","name":"home","kind":2,
    "startTimeUnixNano":"1795481908693000000","endTimeUnixNano":1795481908694005690,
    "attributes":[{"key":"n","value":{"intValue":3}},{"key":"s","value":{"intValue":"-4"}},
      {"key":"d","value":{"doubleValue":1.5}},{"key":"b","value":{"boolValue":true}},
      {"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"}]}}},
      {"key":"kv","value":{"kvlistValue":{"values":[{"key":"x","value":{"stringValue":"y"}}]}}},
      {"key":"raw","value":{"bytesValue":"aGk="}}],
    "events":[{"attributes":[{"key":"cache.key","value":{"stringValue":"home"}}],
      "name":"cache-miss","timeUnixNano":"1795481908693922321","droppedAttributesCount":0}],
    "status":{"code":2,"message":"boom"},"links":[],"flags":257,"someFutureField":{"a":[1]}}]}]}]})";

TEST(OtlpJsonReaderTest, ReadsExporterShape) {
  ExportTraceServiceRequest req;
  ASSERT_TRUE(ParseOtlpTracesJson(kExporterJson, &req).ok());
  ASSERT_EQ(req.resource_spans_size(), 1);
  const auto& rs = req.resource_spans(0);
  EXPECT_EQ(rs.resource().attributes(0).value().string_value(), "backend-flask");
  EXPECT_EQ(rs.scope_spans(0).scope().version(), "1.2");
  const Span& span = rs.scope_spans(0).spans(0);
  EXPECT_EQ(span.trace_id().size(), 16u);
  EXPECT_EQ(static_cast<uint8_t>(span.trace_id()[0]), 0x1e);
  EXPECT_EQ(span.parent_span_id().size(), 8u);
  EXPECT_EQ(span.kind(), Span::SPAN_KIND_SERVER);
  EXPECT_EQ(span.start_time_unix_nano(), 1795481908693000000ull);
  EXPECT_EQ(span.end_time_unix_nano(), 1795481908694005690ull);
  EXPECT_EQ(span.attributes(0).value().int_value(), 3);
  EXPECT_EQ(span.attributes(1).value().int_value(), -4);
  EXPECT_DOUBLE_EQ(span.attributes(2).value().double_value(), 1.5);
  EXPECT_TRUE(span.attributes(3).value().bool_value());
  EXPECT_EQ(span.attributes(4).value().array_value().values(1).int_value(), 1);
  EXPECT_EQ(span.attributes(5).value().kvlist_value().values(0).key(), "x");
  EXPECT_EQ(span.attributes(6).value().bytes_value(), "hi");
  EXPECT_EQ(span.events(0).name(), "cache-miss");
  EXPECT_EQ(span.events(0).time_unix_nano(), 1795481908693922321ull);
  EXPECT_EQ(span.status().code(), 2);
  EXPECT_EQ(span.status().message(), "boom");
  EXPECT_EQ(span.flags(), 257u);
}

TEST(OtlpJsonReaderTest, EnumNamesAndSnakeCaseFieldNames) {
  ExportTraceServiceRequest req;
  ASSERT_TRUE(ParseOtlpTracesJson(R"({"resource_spans":[{"scope_spans":[{"spans":[{
      "trace_id":"000102030405060708090a0b0c0d0e0f","span_id":"0001020304050607",
      "kind":"SPAN_KIND_CLIENT","status":{"code":"STATUS_CODE_OK"}}]}]}]})", &req).ok());
  const Span& span = req.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.kind(), Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(span.status().code(), 1);
}

TEST(OtlpJsonReaderTest, EmptyAndNullAreFine) {
  ExportTraceServiceRequest req;
  EXPECT_TRUE(ParseOtlpTracesJson("{}", &req).ok());
  EXPECT_TRUE(ParseOtlpTracesJson(R"({"resourceSpans":null})", &req).ok());
  EXPECT_TRUE(ParseOtlpTracesJson(R"({"resourceSpans":[{"resource":null,"scopeSpans":[]}]})", &req).ok());
}

struct BadCase {
  const char* json;
  const char* message;  // substring of the error
};

TEST(OtlpJsonReaderTest, ErrorsNameThePathAndTheProblem) {
  const BadCase cases[] = {
      {"not json", "not valid JSON"},
      {"[]", "expected a JSON object"},
      {R"({"resourceSpans":{}})", "resourceSpans: expected an array"},
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abc"}]}]}]})",
       "resourceSpans[0].scopeSpans[0].spans[0].traceId: expected 32 hex digits, got 3"},
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"zzzzzzzzzzzzzzzz"}]}]}]})",
       "spans[0].spanId: expected hex digits"},
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]})",
       "startTimeUnixNano: expected an unsigned integer"},
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_WRONG"}]}]}]})",
       "kind: unknown enum value"},
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"a","value":{"intValue":"x"}}]}]}]}]})",
       "spans[0].attributes[0].value.intValue: expected an integer"},
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":5}]}]}]})", "name: expected a string"},
  };
  for (const BadCase& c : cases) {
    ExportTraceServiceRequest req;
    absl::Status status = ParseOtlpTracesJson(c.json, &req);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_NE(std::string(status.message()).find(c.message), std::string::npos)
        << "got: " << status.message() << "\nwanted: " << c.message;
  }
}

TEST(OtlpJsonReaderTest, DeepNestingIsRejectedNotACrash) {
  std::string json = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"a","value":)";
  for (int i = 0; i < 200; ++i) json += R"({"arrayValue":{"values":[)";
  json += R"({"intValue":1})";
  for (int i = 0; i < 200; ++i) json += "]}}";
  json += "}]}]}]}]}";
  ExportTraceServiceRequest req;
  absl::Status status = ParseOtlpTracesJson(json, &req);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(status.message()).find("nest deeper"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace waggle::ingest
