#include "xray/segment_document.h"

#include <gtest/gtest.h>

#include "xray/xray_fields.h"

namespace waggle::xray {
namespace {

const model::AttributeValue* FieldOf(const model::Event& e, std::string_view key) {
  const model::AttributeValue* found = nullptr;
  for (const model::Field& f : e.fields) {
    if (f.key == key) found = &f.value;
  }
  return found;
}

TEST(XrayTraceId, ConvertsBothWays) {
  auto id = ParseXrayTraceId("1-5759e988-bd862e3fe1be46a994272793");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->ToHex(), "5759e988bd862e3fe1be46a994272793");
  EXPECT_EQ(FormatXrayTraceId(*id), "1-5759e988-bd862e3fe1be46a994272793");
  EXPECT_FALSE(ParseXrayTraceId("2-5759e988-bd862e3fe1be46a994272793"));
  EXPECT_FALSE(ParseXrayTraceId("1-5759e988-bd862e3fe1be46a99427279"));
  EXPECT_FALSE(ParseXrayTraceId("1-5759e98g-bd862e3fe1be46a994272793"));
  EXPECT_FALSE(ParseXrayTraceId("5759e988bd862e3fe1be46a994272793"));
}

TEST(DaemonDatagram, AcceptsNodeAndPythonHeaders) {
  auto node = DocumentInDatagram("{\"format\":\"json\",\"version\":1}\n{\"a\":1}");
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(*node, "{\"a\":1}");
  auto python = DocumentInDatagram("{\"format\": \"JSON\", \"version\": 1}\n{\"a\":1}");
  ASSERT_TRUE(python.ok());
  EXPECT_FALSE(DocumentInDatagram("{\"a\":1}").ok());
  EXPECT_FALSE(DocumentInDatagram("{\"format\":\"xml\",\"version\":1}\n{}").ok());
  EXPECT_FALSE(DocumentInDatagram("not json\n{}").ok());
  EXPECT_FALSE(DocumentInDatagram("{\"format\":\"json\"}\n  ").ok());
}

// The Node SDK's segment with a faulting subsegment (shared/reference captures, trimmed).
constexpr char kSegment[] = R"({"trace_id":"1-6b04f109-9a98ae54abc4aeea85f3e450","id":"641b2eb5c8670610",
 "start_time":1795485960.996,"name":"backend-flask","origin":"AWS::EC2::Instance","service":{"version":"1.2"},
 "annotations":{"user_handle":"andrewbrown","result_count":2,"is_mock":true},
 "metadata":{"cruddur":{"request":{"path":"/api/activities/home"}}},"user":"andrewbrown",
 "http":{"request":{"method":"GET","url":"http://h/api","client_ip":"127.0.0.1"},"response":{"status":200,"content_length":12}},
 "aws":{"xray":{"sdk":"X-Ray for Node.js"}},
 "subsegments":[{"id":"de5420aad0938dc7","name":"home-activities","start_time":1795485960.996,"fault":true,
   "cause":{"working_directory":"/srv","exceptions":[{"message":"mock datastore unavailable","type":"Error"}]},
   "end_time":1795485961.001,
   "subsegments":[{"id":"de5420aad0938dc8","name":"DynamoDB","namespace":"aws","start_time":1795485960.997,"end_time":1795485960.999}]}],
 "end_time":1795485961.001})";

TEST(SegmentDocument, MapsSegmentAndNestedSubsegments) {
  auto mapped = MapSegmentDocument(kSegment);
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  ASSERT_EQ(mapped->events.size(), 3u);
  EXPECT_EQ(mapped->segment_name, "backend-flask");
  const model::Event& seg = mapped->events[0];
  EXPECT_EQ(seg.trace_id.ToHex(), "6b04f1099a98ae54abc4aeea85f3e450");
  EXPECT_EQ(seg.span_id.ToHex(), "641b2eb5c8670610");
  EXPECT_TRUE(seg.parent_span_id.IsZero());
  EXPECT_EQ(seg.dataset, "backend-flask");
  EXPECT_EQ(seg.service_name, "backend-flask");
  EXPECT_EQ(seg.kind, model::SpanKind::kServer);
  EXPECT_EQ(seg.duration_nano, 5000000);
  EXPECT_EQ(std::get<std::string>(*FieldOf(seg, "annotation.user_handle")), "andrewbrown");
  EXPECT_EQ(std::get<int64_t>(*FieldOf(seg, "annotation.result_count")), 2);
  EXPECT_EQ(std::get<bool>(*FieldOf(seg, "annotation.is_mock")), true);
  EXPECT_EQ(std::get<int64_t>(*FieldOf(seg, fields::kHttpStatus)), 200);
  EXPECT_EQ(std::get<std::string>(*FieldOf(seg, fields::kHttpMethod)), "GET");
  EXPECT_EQ(std::get<std::string>(*FieldOf(seg, fields::kOrigin)), "AWS::EC2::Instance");
  EXPECT_EQ(std::get<std::string>(*FieldOf(seg, "aws.xray.sdk")), "X-Ray for Node.js");
  EXPECT_EQ(std::get<std::string>(*FieldOf(seg, "metadata.cruddur")), R"({"request":{"path":"/api/activities/home"}})");
  EXPECT_EQ(std::get<std::string>(*FieldOf(seg, fields::kUser)), "andrewbrown");
  EXPECT_EQ(std::get<std::string>(*FieldOf(seg, "service.version")), "1.2");
  EXPECT_EQ(std::get<std::string>(*FieldOf(seg, fields::kDocument)), kSegment);

  const model::Event& sub = mapped->events[1];
  EXPECT_EQ(sub.parent_span_id, seg.span_id);
  EXPECT_EQ(sub.service_name, "backend-flask");
  EXPECT_EQ(sub.status_code, model::StatusCode::kError);
  EXPECT_EQ(sub.status_message, "mock datastore unavailable");
  EXPECT_EQ(std::get<bool>(*FieldOf(sub, fields::kFault)), true);
  EXPECT_EQ(std::get<std::string>(*FieldOf(sub, fields::kExceptionType)), "Error");
  EXPECT_EQ(FieldOf(sub, fields::kDocument), nullptr);
  const model::Event& dynamo = mapped->events[2];
  EXPECT_EQ(dynamo.parent_span_id, sub.span_id);
  EXPECT_EQ(dynamo.kind, model::SpanKind::kClient);
}

TEST(SegmentDocument, SubsegmentSentAloneAndInProgress) {
  auto sub = MapSegmentDocument(R"({"type":"subsegment","id":"21252884ac4db30a","name":"streamed","start_time":1795485961.005,
    "end_time":1795485961.006,"parent_id":"52bd4d054e9f9742","trace_id":"1-6b04f109-e80e21319d0b558d3da4965b"})",
                                "backend-node");
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_EQ(sub->events[0].parent_span_id.ToHex(), "52bd4d054e9f9742");
  EXPECT_EQ(sub->events[0].dataset, "backend-node");
  EXPECT_EQ(sub->segment_name, "");

  auto open = MapSegmentDocument(R"({"trace_id":"1-6b04f109-e80e21319d0b558d3da4965b","id":"52bd4d054e9f9742",
    "name":"svc","start_time":1795485961.0,"in_progress":true})");
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(open->events[0].duration_nano, 0);
  EXPECT_EQ(std::get<bool>(*FieldOf(open->events[0], fields::kInProgress)), true);
}

TEST(SegmentDocument, AsksForTheParentsServiceOnlyForALoneSubsegment) {
  int asked = 0;
  auto lookup = [&](const model::TraceId& trace, const model::SpanId& parent) {
    ++asked;
    EXPECT_EQ(trace.ToHex(), "6b04f109e80e21319d0b558d3da4965b");
    EXPECT_EQ(parent.ToHex(), "52bd4d054e9f9742");
    return std::string("backend-node");
  };
  std::string id;
  store::EventBatchBuilder builder;
  auto sub = MapSegmentDocument(R"({"type":"subsegment","id":"21252884ac4db30a","name":"streamed","start_time":1795485961.005,
    "end_time":1795485961.006,"parent_id":"52bd4d054e9f9742","trace_id":"1-6b04f109-e80e21319d0b558d3da4965b"})",
                                lookup, builder, &id);
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(id, "21252884ac4db30a");
  EXPECT_EQ(sub->service, "backend-node");
  EXPECT_FALSE(sub->is_segment);
  ASSERT_TRUE(MapSegmentDocument(kSegment, lookup, builder).ok());
  EXPECT_EQ(asked, 1);
  std::vector<model::Event> events = store::BatchEvents(builder.Finish());
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].service_name, "backend-node");
  EXPECT_EQ(events[0].dataset, "backend-node");
  EXPECT_EQ(events[1].service_name, "backend-flask");

  // The id is reported also when the document does not map (PutTraceSegments lists it).
  auto bad = MapSegmentDocument(R"({"id":"52bd4d054e9f9742","trace_id":"1-6b04f109-e80e21319d0b558d3da4965b"})", lookup,
                                builder, &id);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(id, "52bd4d054e9f9742");
}

TEST(SegmentDocument, ADocumentWithOneBadSubsegmentAddsNoRow) {
  store::EventBatchBuilder builder;
  auto none = [](const model::TraceId&, const model::SpanId&) { return std::string(); };
  ASSERT_TRUE(MapSegmentDocument(kSegment, none, builder).ok());
  std::string bad(kSegment);
  bad.replace(bad.find(R"("name":"DynamoDB")"), 17, R"("name":"")");
  auto r = MapSegmentDocument(bad, none, builder);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "subsegments[0].subsegments[0].name: required, a non-empty string");
  EXPECT_EQ(builder.rows(), 3u);
  auto rows = MapSegmentDocument(kSegment, none, builder);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->span_ids.size(), 3u);
  EXPECT_EQ(rows->span_ids[2].ToHex(), "de5420aad0938dc8");
  EXPECT_EQ(builder.rows(), 6u);
}

TEST(SegmentDocument, KeepsScalarTypesAndNestedJson) {
  auto mapped = MapSegmentDocument(R"({"trace_id":"1-6b04f109-e80e21319d0b558d3da4965b","id":"52bd4d054e9f9742",
    "name":"svc","start_time":1795485961.0,"end_time":1795485961.5,
    "annotations":{"big":18446744073709551615,"ratio":0.25,"nested":{"x":1}},
    "aws":{"ecs":{"container":"c1"},"list":[1,"two",{"three":3}]},
    "http":{"response":{"status":404.0}}})");
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  const model::Event& e = mapped->events[0];
  EXPECT_EQ(e.duration_nano, 500000000);
  EXPECT_EQ(std::get<int64_t>(*FieldOf(e, "annotation.big")), -1);  // uint64 past int64 wraps, as before
  EXPECT_EQ(std::get<double>(*FieldOf(e, "annotation.ratio")), 0.25);
  EXPECT_EQ(FieldOf(e, "annotation.nested"), nullptr);  // annotations are scalars only
  EXPECT_EQ(std::get<std::string>(*FieldOf(e, "aws.ecs.container")), "c1");
  EXPECT_EQ(std::get<std::string>(*FieldOf(e, "aws.list")), R"([1,"two",{"three":3}])");
  EXPECT_EQ(std::get<int64_t>(*FieldOf(e, fields::kHttpStatus)), 404);

  // Members of the wrong type are passed over (iterating them was undefined; fuzzing found it).
  auto odd = MapSegmentDocument(R"({"trace_id":"1-6b04f109-e80e21319d0b558d3da4965b","id":"52bd4d054e9f9742",
    "name":"svc","start_time":1795485961.0,"end_time":1795485961.5,"annotations":[1],"metadata":"m",
    "http":{"request":"GET"},"cause":{"exceptions":{"message":"x"}}})");
  ASSERT_TRUE(odd.ok()) << odd.status();
  EXPECT_EQ(FieldOf(odd->events[0], fields::kHttpMethod), nullptr);
}

TEST(SegmentDocument, ErrorsNameTheField) {
  auto expect_error = [](std::string_view doc, std::string_view needle) {
    auto r = MapSegmentDocument(doc);
    ASSERT_FALSE(r.ok()) << doc;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(r.status().message()).find(needle), std::string::npos) << r.status().message();
  };
  const std::string ok_prefix = R"({"trace_id":"1-6b04f109-e80e21319d0b558d3da4965b",)";
  expect_error("{", "not JSON");
  expect_error("[1]", "JSON object");
  expect_error(R"({"id":"52bd4d054e9f9742"})", "trace_id");
  expect_error(R"({"trace_id":"abc"})", "trace_id 'abc'");
  expect_error(ok_prefix + R"("id":"52bd4d054e9f9742","start_time":1,"end_time":2})", "name");
  expect_error(ok_prefix + R"("name":"a","id":"xyz","start_time":1,"end_time":2})", "id:");
  expect_error(ok_prefix + R"("name":"a","id":"52bd4d054e9f9742","end_time":2})", "start_time");
  expect_error(ok_prefix + R"("name":"a","id":"52bd4d054e9f9742","start_time":1})", "end_time");
  expect_error(ok_prefix + R"("name":")" + std::string(201, 'n') + R"(","id":"52bd4d054e9f9742","start_time":1,"end_time":2})", "200");
  expect_error(ok_prefix + R"("type":"subsegment","name":"a","id":"52bd4d054e9f9742","start_time":1,"end_time":2})", "parent_id");
  expect_error(ok_prefix + R"("name":"a","id":"52bd4d054e9f9742","start_time":1,"end_time":2,"subsegments":[{"name":"b"}]})",
               "subsegments[0].id");
  std::string deep = ok_prefix + R"("name":"a","id":"52bd4d054e9f9742","start_time":1,"end_time":2)";
  for (int i = 0; i < 40; ++i) deep += R"(,"subsegments":[{"name":"b","id":"52bd4d054e9f9743","start_time":1,"end_time":2)";
  for (int i = 0; i < 40; ++i) deep += "}]";
  deep += "}";
  expect_error(deep, "nested deeper");
  expect_error(std::string(70000, ' '), "64 kB");
  // Past year 2255 the nanoseconds would overflow int64 (fuzzing found it).
  expect_error(ok_prefix + R"("name":"a","id":"52bd4d054e9f9742","start_time":17395482113,"end_time":17395482114})", "start_time");
  // A number past double (fuzzing found it with the earlier parser).
  expect_error(ok_prefix + R"("name":"a","id":"52bd4d054e9f9742","start_time":1e4444,"end_time":2})", "not JSON");
}

}  // namespace
}  // namespace waggle::xray
