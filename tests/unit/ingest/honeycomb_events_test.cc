#include "ingest/honeycomb_events.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace waggle::ingest {
namespace {

constexpr int64_t kSecond = 1000000000;

TEST(HoneycombEventsTest, EventTimes) {
  EXPECT_EQ(*ParseEventTime("1767225600"), 1767225600 * kSecond);
  EXPECT_EQ(*ParseEventTime("1767225600123"), 1767225600123 * 1000000);
  EXPECT_EQ(*ParseEventTime("1767225600123456"), 1767225600123456 * 1000);
  EXPECT_EQ(*ParseEventTime("1767225600.5"), 1767225600 * kSecond + kSecond / 2);
  EXPECT_EQ(*ParseEventTime("2026-01-01T00:00:00Z"), 1767225600 * kSecond);
  EXPECT_EQ(*ParseEventTime("2026-01-01T00:00:00.123456789Z"), 1767225600 * kSecond + 123456789);
  EXPECT_EQ(*ParseEventTime("2026-01-01T05:30:00+05:30"), 1767225600 * kSecond);
  EXPECT_FALSE(ParseEventTime("2026-01-01").ok());
  EXPECT_FALSE(ParseEventTime("2026-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseEventTime("yesterday").ok());
  // Past year 2262 nanoseconds overflow int64: refused, not wrapped (fuzzing found it).
  EXPECT_FALSE(ParseEventTime("9366666666").ok());
  EXPECT_FALSE(ParseEventTime("9366666666000").ok());
  EXPECT_TRUE(ParseEventTime("9223372036").ok());
}

TEST(HoneycombEventsTest, BatchKeepsTypesAndFailsBadElementsAlone) {
  EventDefaults defaults{"ds", 42, 1};
  auto batch = ParseEventBatch(
      R"([{"data":{"s":"x","i":3,"f":2.5,"b":true,"o":{"k":[1,2]},"n":null},"samplerate":5,"time":"2026-01-01T00:00:00Z"},
          {"data":[1]}, {"data":{"a":1},"time":"soon"}, {"data":{"a":2}}])",
      EventsEncoding::kJson, defaults);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->size(), 4u);
  ASSERT_TRUE((*batch)[0].ok());
  const model::Event& e = *(*batch)[0];
  EXPECT_EQ(e.annotation_type, model::AnnotationType::kEvent);
  EXPECT_EQ(e.dataset, "ds");
  EXPECT_EQ(e.sample_rate, 5);
  EXPECT_EQ(e.time_unix_nano, 1767225600 * kSecond);
  ASSERT_EQ(e.fields.size(), 5u);  // null dropped
  auto field = [&](const std::string& key) {
    for (const auto& f : e.fields) {
      if (f.key == key) return f.value;
    }
    return model::AttributeValue();
  };
  EXPECT_EQ(std::get<std::string>(field("s")), "x");
  EXPECT_EQ(std::get<int64_t>(field("i")), 3);
  EXPECT_EQ(std::get<double>(field("f")), 2.5);
  EXPECT_EQ(std::get<bool>(field("b")), true);
  EXPECT_EQ(std::get<std::string>(field("o")), R"({"k":[1,2]})");
  EXPECT_FALSE((*batch)[1].ok());
  EXPECT_FALSE((*batch)[2].ok());
  ASSERT_TRUE((*batch)[3].ok());
  EXPECT_EQ((*batch)[3]->time_unix_nano, 42);  // the request's time
}

TEST(HoneycombEventsTest, MsgpackWithTimestampExtension) {
  // libhoney-go's shape: time as a msgpack timestamp (ext -1, 8 bytes: 30-bit ns, 34-bit s).
  const uint64_t packed = (uint64_t{250000000} << 34) | uint64_t{1767225600};
  std::vector<uint8_t> time_ext = {0xd7, 0xff};
  for (int i = 7; i >= 0; --i) time_ext.push_back(static_cast<uint8_t>(packed >> (8 * i)));
  std::vector<uint8_t> body = {0x91, 0x83, 0xa4, 'd', 'a', 't', 'a', 0x81, 0xa1, 'a', 0x07,
                               0xaa, 's', 'a', 'm', 'p', 'l', 'e', 'r', 'a', 't', 'e', 0x03,
                               0xa4, 't', 'i', 'm', 'e'};
  body.insert(body.end(), time_ext.begin(), time_ext.end());
  auto batch = ParseEventBatch(std::string_view(reinterpret_cast<const char*>(body.data()), body.size()),
                               EventsEncoding::kMsgpack, EventDefaults{"ds", 0, 1});
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->size(), 1u);
  ASSERT_TRUE((*batch)[0].ok()) << (*batch)[0].status();
  EXPECT_EQ((*batch)[0]->time_unix_nano, 1767225600 * kSecond + 250000000);
  EXPECT_EQ((*batch)[0]->sample_rate, 3);
  EXPECT_EQ(std::get<int64_t>((*batch)[0]->fields.at(0).value), 7);
}

TEST(HoneycombEventsTest, Limits) {
  nlohmann::json wide = nlohmann::json::object();
  for (size_t i = 0; i <= kMaxEventFields; ++i) wide["f" + std::to_string(i)] = 1;
  auto event = ParseSingleEvent(wide.dump(), EventsEncoding::kJson, EventDefaults{"ds", 0, 1});
  ASSERT_FALSE(event.ok());
  EXPECT_NE(std::string(event.status().message()).find("at most 2000"), std::string::npos);
  // A batch element over 1 MB fails alone.
  nlohmann::json big = nlohmann::json::object();
  for (int i = 0; i < 20; ++i) big["f" + std::to_string(i)] = std::string(60000, 'x');
  nlohmann::json batch = nlohmann::json::array({{{"data", big}}, {{"data", {{"a", 1}}}}});
  auto parsed = ParseEventBatch(batch.dump(), EventsEncoding::kJson, EventDefaults{"ds", 0, 1});
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_FALSE((*parsed)[0].ok());
  EXPECT_TRUE((*parsed)[1].ok());
  EXPECT_FALSE(ParseSingleEvent("[1]", EventsEncoding::kJson, EventDefaults{}).ok());
  EXPECT_FALSE(ParseSingleEvent("{", EventsEncoding::kJson, EventDefaults{}).ok());
  EXPECT_FALSE(ParseEventBatch("\xc1", EventsEncoding::kMsgpack, EventDefaults{}).ok());
}

}  // namespace
}  // namespace waggle::ingest
