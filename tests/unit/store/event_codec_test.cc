#include "store/event_codec.h"

#include <gtest/gtest.h>

namespace waggle::store {
namespace {

model::Event SampleEvent(int i) {
  model::Event e;
  e.dataset = "backend-flask";
  e.annotation_type = i % 3 == 0 ? model::AnnotationType::kSpan : model::AnnotationType::kSpanEvent;
  e.time_unix_nano = 1'700'000'000'000'000'000 + i;
  e.duration_nano = 12345 * i;
  e.sample_rate = 1 + i;
  e.trace_id = *model::TraceId::FromHex("0102030405060708090a0b0c0d0e0f10");
  e.span_id = *model::SpanId::FromHex("1112131415161718");
  e.kind = model::SpanKind::kClient;
  e.status_code = model::StatusCode::kError;
  e.name = "name-" + std::to_string(i);
  e.service_name = "svc";
  e.status_message = "boom";
  e.scope_name = "lib";
  e.flags = 257;
  e.num_events = 2;
  e.fields = {{"s", std::string("v"), model::FieldOrigin::kResource},
              {"i", int64_t{-42}, model::FieldOrigin::kScope},
              {"d", 2.5, model::FieldOrigin::kSpan},
              {"b", true, model::FieldOrigin::kDerived}};
  return e;
}

TEST(EventCodecTest, RoundTrip) {
  std::vector<model::Event> events{SampleEvent(0), SampleEvent(1), SampleEvent(2)};
  std::string encoded;
  EncodeEvents(events, &encoded);
  auto decoded = DecodeEvents(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, events);
}

// One Event reused across events of other shapes: nothing of an earlier one stays behind
// (a field whose type changes, fewer fields, shorter strings), and each event decodes again
// at its offset, in any order.
TEST(EventCodecTest, AReusedEventTakesEachEventWhole) {
  model::Event wide = SampleEvent(3);
  wide.fields.push_back({"extra", std::string(100, 'x'), model::FieldOrigin::kSpan});
  model::Event narrow = SampleEvent(4);
  narrow.name = "n";
  narrow.status_message.clear();
  narrow.fields = {{"s", int64_t{7}, model::FieldOrigin::kSpan}};  // was a string at index 0
  model::Event bare;
  bare.trace_id = *model::TraceId::FromHex("ffffffffffffffffffffffffffffffff");
  const std::vector<model::Event> events{wide, narrow, bare, wide};
  std::string encoded;
  EncodeEvents(events, &encoded);

  EventBatchReader reader(encoded);
  EXPECT_EQ(reader.left(), 4u);
  model::Event reused;
  std::vector<uint32_t> offsets;
  for (const model::Event& expected : events) {
    offsets.push_back(reader.offset());
    auto more = reader.Next(&reused);
    ASSERT_TRUE(more.ok() && *more) << more.status();
    EXPECT_EQ(reused, expected);
  }
  auto end = reader.Next(&reused);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
  for (size_t i : {2, 0, 1, 3}) {
    ASSERT_TRUE(DecodeEventAt(encoded, offsets[i], &reused).ok());
    EXPECT_EQ(reused, events[i]) << i;
  }
  EXPECT_FALSE(DecodeEventAt(encoded, static_cast<uint32_t>(encoded.size()), &reused).ok());
  EXPECT_FALSE(EventBatchReader("\xff\xff\x03").Next(&reused).ok());  // a count no batch this size holds
}

TEST(EventCodecTest, EveryTruncationIsAnErrorNotACrash) {
  std::string encoded;
  EncodeEvents({SampleEvent(0), SampleEvent(1)}, &encoded);
  for (size_t n = 0; n < encoded.size(); ++n) {
    EXPECT_FALSE(DecodeEvents(std::string_view(encoded).substr(0, n)).ok()) << "prefix " << n;
  }
}

TEST(EventCodecTest, FlippedBytesNeverCrash) {
  std::string encoded;
  EncodeEvents({SampleEvent(0), SampleEvent(1)}, &encoded);
  for (size_t i = 0; i < encoded.size(); ++i) {
    std::string bad = encoded;
    bad[i] = static_cast<char>(bad[i] ^ 0xff);
    (void)DecodeEvents(bad);  // any result but a crash is fine: the WAL checksums records
  }
}

}  // namespace
}  // namespace waggle::store
