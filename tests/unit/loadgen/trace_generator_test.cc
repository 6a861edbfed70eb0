#include "loadgen/trace_generator.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "loadgen/payload_pool.h"

namespace waggle::loadgen {
namespace {

namespace otlp = opentelemetry::proto;
constexpr int64_t kNow = 1'795'000'000'000'000'000;

otlp::collector::trace::v1::ExportTraceServiceRequest Generate(uint64_t seed, size_t spans) {
  TraceGenerator generator(seed);
  otlp::collector::trace::v1::ExportTraceServiceRequest request;
  generator.FillRequest(spans, kNow, &request);
  return request;
}

TEST(TraceGeneratorTest, DeterministicFromTheSeed) {
  EXPECT_EQ(Generate(7, 2000).SerializeAsString(), Generate(7, 2000).SerializeAsString());
  EXPECT_NE(Generate(7, 2000).SerializeAsString(), Generate(8, 2000).SerializeAsString());
}

TEST(TraceGeneratorTest, RealisticShape) {
  auto request = Generate(1, 20000);
  std::set<std::string> services, users, routes;
  std::map<std::string, int> traces_with_error;
  size_t spans = 0, error_spans = 0;
  for (const auto& rs : request.resource_spans()) {
    std::string service;
    for (const auto& kv : rs.resource().attributes()) {
      if (kv.key() == "service.name") service = kv.value().string_value();
    }
    services.insert(service);
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        ++spans;
        const int attributes = rs.resource().attributes_size() + span.attributes_size();
        EXPECT_GE(attributes, 8) << span.name();
        EXPECT_LE(attributes, 20) << span.name();
        for (const auto& kv : span.attributes()) {
          if (kv.key() == "app.user_id") users.insert(kv.value().string_value());
          if (kv.key() == "http.route") routes.insert(kv.value().string_value());
        }
        if (span.status().code() == otlp::trace::v1::Status::STATUS_CODE_ERROR) ++error_spans;
        EXPECT_GT(span.end_time_unix_nano(), span.start_time_unix_nano());
      }
    }
  }
  EXPECT_EQ(services, (std::set<std::string>{"backend-flask", "frontend"}));
  EXPECT_GT(users.size(), 1000u);  // of 10,000
  EXPECT_EQ(routes.size(), 11u);  // 12 method+route pairs, one route with GET and POST
  // ~2% of traces fail, marking two spans each.
  EXPECT_GT(error_spans, spans / 200);
  EXPECT_LT(error_spans, spans / 20);
}

TEST(PayloadPoolTest, EachUseSendsDistinctWholeTraces) {
  for (auto encoding : {ingest::OtlpEncoding::kProtobuf, ingest::OtlpEncoding::kJson}) {
    PayloadPool pool(encoding, 2, 100, 3, kNow);
    const std::string first = pool.Render(0, 0);
    const std::string again = pool.Render(0, 1);
    EXPECT_EQ(first.size(), again.size());
    EXPECT_NE(first, again);
    auto ids0 = pool.TraceIds(0, 0), ids1 = pool.TraceIds(0, 1);
    ASSERT_EQ(ids0.size(), ids1.size());
    for (size_t i = 0; i < ids0.size(); ++i) {
      EXPECT_NE(ids0[i], ids1[i]);
      const std::string needle = encoding == ingest::OtlpEncoding::kJson ? ids1[i].ToHex()
                                                                          : std::string(ids1[i].AsBytes());
      EXPECT_NE(again.find(needle), std::string::npos) << "trace id not in the rendered body";
    }
    if (encoding == ingest::OtlpEncoding::kProtobuf) {
      otlp::collector::trace::v1::ExportTraceServiceRequest parsed;
      ASSERT_TRUE(parsed.ParseFromString(again));
    }
  }
}

}  // namespace
}  // namespace waggle::loadgen
