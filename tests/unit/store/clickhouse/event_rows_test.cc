#include "store/clickhouse/event_rows.h"

#include <gtest/gtest.h>

#include "store/clickhouse/row_binary.h"

namespace waggle::clickhouse {
namespace {

model::Event SampleEvent() {
  model::Event e;
  e.dataset = "checkout";
  e.annotation_type = model::AnnotationType::kSpan;
  e.time_unix_nano = 1767225600123456789;
  e.duration_nano = 2500000;
  e.sample_rate = 4;
  e.trace_id = *model::TraceId::FromHex("0af7651916cd43dd8448eb211c80319c");
  e.span_id = *model::SpanId::FromHex("b7ad6b7169203331");
  e.parent_span_id = *model::SpanId::FromHex("00f067aa0ba902b7");
  e.kind = model::SpanKind::kServer;
  e.status_code = model::StatusCode::kError;
  e.invalid_duration = true;
  e.name = "GET /cart";
  e.service_name = "cart";
  e.status_message = "boom";
  e.scope_name = "@opentelemetry/instrumentation-http";
  e.scope_version = "0.52.1";
  e.trace_state = "vendor=1";
  e.flags = 1;
  e.num_events = 2;
  e.num_links = 1;
  e.fields = {{"service.name", std::string("cart"), model::FieldOrigin::kResource},
              {"http.status_code", int64_t{503}, model::FieldOrigin::kSpan},
              {"ratio", 0.25, model::FieldOrigin::kSpan},
              {"cached", true, model::FieldOrigin::kSpan},
              {"service.name", std::string("cart-override"), model::FieldOrigin::kSpan}};
  return e;
}

// ClickHouse answers `SELECT <SelectList>` with the row as inserted, minus team and hour.
std::string AsSelected(const model::Event& e) {
  std::string row;
  AppendEventRow("team-a", 7, e, &row);
  std::string selected;
  RowBinaryReader reader(row);
  std::string_view team, dataset;
  uint32_t hour = 0;
  EXPECT_TRUE(reader.String(&team) && reader.String(&dataset) && reader.Fixed(&hour));
  PutString(&selected, dataset);
  selected.append(row.substr(row.size() - reader.remaining()));
  return selected;
}

TEST(EventRowsTest, AWholeRowIsTheEventSent) {
  const model::Event e = SampleEvent();
  auto events = DecodeEventRows(AsSelected(e) + AsSelected(e));
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0], e);
  EXPECT_EQ((*events)[1], e);
}

TEST(EventRowsTest, ATruncatedOrMalformedRowIsDataLossNotACrash) {
  const std::string row = AsSelected(SampleEvent());
  for (size_t cut = 1; cut < row.size(); ++cut) {
    auto events = DecodeEventRows(std::string_view(row).substr(0, cut));
    EXPECT_FALSE(events.ok()) << "cut at " << cut;
  }
  std::string bad = row;
  bad[1 + 8 + 3 * 8] = 9;  // the annotation type, after the dataset and three Int64s: out of range
  EXPECT_FALSE(DecodeEventRows(bad).ok());
}

TEST(EventRowsTest, SelectListsNameOnlyWhatTheProjectionReads) {
  RowProjection p = RowProjection::Minimal();
  p.Add(store::FixedColumn::kName);
  p.attribute_keys->push_back("http.route");
  const std::string list = SelectList(p);
  EXPECT_EQ(list.find("service"), std::string::npos) << list;
  EXPECT_NE(list.find("name"), std::string::npos) << list;
  EXPECT_NE(list.find("['http.route']"), std::string::npos) << list;
  EXPECT_EQ(SelectList(RowProjection::Minimal()), "dataset, start_ns, duration_ns, sample_rate, annotation_type");
}

}  // namespace
}  // namespace waggle::clickhouse
