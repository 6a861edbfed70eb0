#include "store/event_batch.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "store/event_codec.h"
#include "store/scan_unit.h"

namespace waggle::store {
namespace {

model::Event SampleEvent(int i, std::string dataset = "backend-flask") {
  model::Event e;
  e.dataset = std::move(dataset);
  e.annotation_type = i % 3 == 0 ? model::AnnotationType::kSpan : model::AnnotationType::kSpanEvent;
  e.time_unix_nano = 1'700'000'000'000'000'000 + i;
  e.duration_nano = 12345 * i;
  e.sample_rate = 1 + i;
  e.trace_id = *model::TraceId::FromHex(i % 2 ? "0102030405060708090a0b0c0d0e0f10" : "ffeeddccbbaa99887766554433221100");
  e.span_id = *model::SpanId::FromHex("1112131415161718");
  e.parent_span_id = *model::SpanId::FromHex("2122232425262728");
  e.kind = model::SpanKind::kClient;
  e.status_code = model::StatusCode::kError;
  e.name = "name-" + std::to_string(i % 2);
  e.service_name = "svc";
  e.status_message = i % 2 ? "boom" : "";
  e.scope_name = "lib";
  e.flags = 257;
  e.num_events = 2;
  e.fields = {{"s", std::string("v") + std::to_string(i), model::FieldOrigin::kResource},
              {"i", int64_t{-42} * i, model::FieldOrigin::kScope},
              {"d", 2.5, model::FieldOrigin::kSpan}};
  if (i % 2) e.fields.push_back({"only_odd", std::string(""), model::FieldOrigin::kSpan});
  e.fields.push_back({"b", i % 2 == 0, model::FieldOrigin::kDerived});
  return e;
}

std::vector<model::Event> SampleEvents(int n) {
  std::vector<model::Event> events;
  for (int i = 0; i < n; ++i) events.push_back(SampleEvent(i));
  return events;
}

std::shared_ptr<const std::string> Encode(const std::vector<EventBatch>& batches) {
  auto record = std::make_shared<std::string>();
  EncodeEventBatches(batches, record.get());
  return record;
}

TEST(EventBatchTest, EventsComeBackFromTheBuilderAndFromTheRecord) {
  const std::vector<model::Event> events = SampleEvents(7);
  EventBatchBuilder builder;
  builder.Add(events);
  EXPECT_EQ(builder.rows(), 7u);
  std::vector<EventBatch> batches = builder.Finish();
  EXPECT_TRUE(builder.empty());
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].rows, 7u);
  EXPECT_EQ(batches[0].min_time, events.front().time_unix_nano);
  EXPECT_EQ(batches[0].max_time, events.back().time_unix_nano);
  EXPECT_EQ(BatchEvents(batches), events);

  auto record = Encode(batches);
  EXPECT_TRUE(IsEventBatchRecord(*record));
  auto decoded = DecodeEventBatches(record);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(BatchEvents(*decoded), events);
  EXPECT_EQ((*decoded)[0].int_ranges, batches[0].int_ranges);
  std::string again;
  EncodeEventBatches(*decoded, &again);
  EXPECT_EQ(again, *record);
}

// A span without a status message has "", present, as a span built as an Event has; an
// attribute a row lacks is absent, not zero.
TEST(EventBatchTest, EmptyStringsArePresentAndMissingAttributesAbsent) {
  EventBatchBuilder builder;
  builder.Add(SampleEvents(2));
  std::vector<EventBatch> batches = builder.Finish();
  const EventBatch& b = batches[0];
  const ColumnValues& message = b.fixed(model::FixedField::kStatusMessage);
  ASSERT_NE(message.codes[0], 0u);
  EXPECT_EQ(message.dictionary[message.codes[0] - 1], "");
  size_t only_odd = 0;
  for (size_t c = 0; c < b.columns.size(); ++c) {
    if (b.columns[c].key == "only_odd") only_odd = c;
  }
  ASSERT_NE(only_odd, 0u);
  EXPECT_FALSE(b.values[only_odd].Has(0));
  EXPECT_TRUE(b.values[only_odd].Has(1));
  EXPECT_EQ(b.values[only_odd].codes[0], 0u);
}

TEST(EventBatchTest, UnsetFieldsHaveTheirDefaultsAndARepeatedKeyKeepsTheLaterValue) {
  EventBatchBuilder builder;
  builder.StartRow("ds");
  builder.AddInt(model::FieldOrigin::kSpan, "k", 1);
  builder.AddInt(model::FieldOrigin::kSpan, "k", 2);
  builder.AddString(model::FieldOrigin::kResource, "k", "r");
  std::vector<model::Event> events = BatchEvents(builder.Finish());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].dataset, "ds");
  EXPECT_EQ(events[0].sample_rate, 1);
  EXPECT_EQ(events[0].name, "");
  EXPECT_EQ(events[0].trace_id, model::TraceId{});
  std::vector<model::Field> expected{{"k", std::string("r"), model::FieldOrigin::kResource},
                                     {"k", int64_t{2}, model::FieldOrigin::kSpan}};
  EXPECT_EQ(events[0].fields, expected);
}

TEST(EventBatchTest, RowsGoToTheBatchOfTheirDatasetAndBatchesHaveARowLimit) {
  EventBatchBuilder builder(3);
  for (int i = 0; i < 8; ++i) builder.Add(SampleEvent(i, i % 2 ? "a" : "b"));
  std::vector<EventBatch> batches = builder.Finish();
  ASSERT_EQ(batches.size(), 4u);  // b: 3 + 1, a: 3 + 1
  std::map<std::string, uint32_t> rows;
  for (const EventBatch& b : batches) {
    EXPECT_LE(b.rows, 3u);
    rows[b.dataset] += b.rows;
    for (const model::Event& e : BatchEvents(std::span(&b, 1))) EXPECT_EQ(e.dataset, b.dataset);
  }
  EXPECT_EQ(rows["a"], 4u);
  EXPECT_EQ(rows["b"], 4u);
}

// A log written before event batches holds version 1's encoded events: they replay.
TEST(EventBatchTest, AVersionOneRecordDecodesAsBatches) {
  const std::vector<model::Event> events = SampleEvents(5);
  auto record = std::make_shared<std::string>();
  EncodeEvents(events, record.get());
  EXPECT_FALSE(IsEventBatchRecord(*record));
  auto batches = DecodeLogRecord(record);
  ASSERT_TRUE(batches.ok()) << batches.status();
  EXPECT_EQ(BatchEvents(*batches), events);
}

// Every prefix of `record` from `shortest` bytes is refused; any byte flipped gives any result
// but a crash.
template <typename Decode>
void ExpectDamageIsAnError(const std::string& record, Decode decode, size_t shortest = 0) {
  for (size_t n = shortest; n < record.size(); ++n) {
    EXPECT_FALSE(decode(std::make_shared<const std::string>(record.substr(0, n))).ok()) << "prefix " << n;
  }
  for (size_t i = 2; i < record.size(); ++i) {
    auto bad = std::make_shared<std::string>(record);
    (*bad)[i] = static_cast<char>((*bad)[i] ^ 0x5a);
    auto decoded = decode(bad);
    if (decoded.ok()) (void)BatchEvents(*decoded);
  }
}

TEST(EventBatchTest, ACorruptRecordIsAnErrorNeverACrash) {
  EventBatchBuilder builder;
  builder.Add(SampleEvents(4));
  ExpectDamageIsAnError(*Encode(builder.Finish()), DecodeEventBatches);
  // An enum out of its range is refused, not handed to a query.
  EventBatchBuilder one;
  one.StartRow("ds");
  one.SetInt(model::FixedField::kKind, 9);
  EXPECT_FALSE(DecodeEventBatches(Encode(one.Finish())).ok());
}

// The log's record is the batch record, compressed: it decodes to the same rows, is smaller
// for the repetitive values spans carry, and a damaged one is an error.
TEST(EventBatchTest, ACompressedLogRecordDecodesToTheSameRows) {
  const std::vector<model::Event> events = SampleEvents(200);
  EventBatchBuilder builder;
  builder.Add(events);
  const std::vector<EventBatch> batches = builder.Finish();
  std::string plain;
  EncodeEventBatches(batches, &plain);
  auto record = std::make_shared<std::string>();
  EncodeLogRecord(batches, record.get());
  EXPECT_FALSE(IsEventBatchRecord(*record));
  EXPECT_LT(record->size(), plain.size() / 2);
  auto decoded = DecodeLogRecord(record);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(BatchEvents(*decoded), events);
  ExpectDamageIsAnError(*record, DecodeLogRecord, /*shortest=*/2);  // "\0" is version 1's empty record
}

// The event_codec fuzz seeds were written by hand (a script) from the format in event_batch.h:
// the documented format is the one the code reads.
TEST(EventBatchTest, ARecordWrittenFromTheDocumentedFormatDecodes) {
  std::ifstream in(std::string(WAGGLE_FUZZ_CORPUS) + "/event_codec/batch_record_v2", std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  auto batches = DecodeLogRecord(std::make_shared<const std::string>(bytes.str()));
  ASSERT_TRUE(batches.ok()) << batches.status();
  std::vector<model::Event> events = BatchEvents(*batches);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].dataset, "backend");
  EXPECT_EQ(events[1].name, "GET /api");
  EXPECT_EQ(events[1].service_name, "svc");
  EXPECT_EQ(events[1].sample_rate, 10);
  EXPECT_EQ(events[1].duration_nano, 7000);
  EXPECT_EQ(events[0].kind, model::SpanKind::kServer);
  std::vector<model::Field> expected{{"service.name", std::string("svc"), model::FieldOrigin::kResource},
                                     {"http.status_code", int64_t{500}, model::FieldOrigin::kSpan},
                                     {"ratio", 1.5, model::FieldOrigin::kSpan}};
  EXPECT_EQ(events[1].fields, expected);
  EXPECT_EQ(events[0].fields.size(), 2u);  // no status code on the first row

  // batch_record_v3 is the same record compressed by Debian's `zstd -1 batch_record_v2` (a file:
  // the frame then says its size, which the decoder checks against the header), with
  // the compressed record's header in front: the same rows.
  std::ifstream compressed_in(std::string(WAGGLE_FUZZ_CORPUS) + "/event_codec/batch_record_v3", std::ios::binary);
  std::stringstream compressed;
  compressed << compressed_in.rdbuf();
  auto decompressed = DecodeLogRecord(std::make_shared<const std::string>(compressed.str()));
  ASSERT_TRUE(decompressed.ok()) << decompressed.status();
  EXPECT_EQ(BatchEvents(*decompressed), events);
}

TEST(EventBatchTest, ABatchIsAScanUnitAsItIs) {
  const std::vector<model::Event> events = SampleEvents(6);
  ScanUnits units = MakeEventUnits(events);
  ASSERT_EQ(units.size(), 1u);
  const ScanUnit& unit = *units[0];
  EXPECT_EQ(unit.dataset(), "backend-flask");
  EXPECT_EQ(unit.rows(), 6u);
  auto duration = unit.IntRange(static_cast<size_t>(model::FixedField::kDuration));
  ASSERT_TRUE(duration.has_value());
  EXPECT_EQ(duration->first, 0);
  EXPECT_EQ(duration->second, 12345 * 5);
  auto names = unit.Read(static_cast<size_t>(model::FixedField::kName));
  ASSERT_TRUE(names.ok());
  EXPECT_EQ((*names)->dictionary[(*names)->codes[1] - 1], "name-1");
}

}  // namespace
}  // namespace waggle::store
