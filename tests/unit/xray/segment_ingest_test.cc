#include "xray/segment_ingest.h"

#include <gtest/gtest.h>

#include "common/strings.h"

namespace waggle::xray {
namespace {

// Mapping never touches the store: appends are what SegmentIngest::Append is for.
class NoStore final : public store::Store {
 public:
  void Append(std::vector<model::Event>, AppendCallback done) override { done(absl::OkStatus()); }
  absl::StatusOr<std::vector<model::Event>> FindTrace(const model::TraceId&) override { return std::vector<model::Event>(); }
  absl::StatusOr<store::ScanUnits> Scan(const store::ScanRange&) override { return store::ScanUnits(); }
  void Close() override {}
};

std::string Segment(int trace, std::string_view name) {
  return StrCat(R"({"trace_id":"1-6b04f109-e80e21319d0b558d3da4)", 1000 + trace, R"(","id":"52bd4d054e9f)", 1000 + trace,
                R"(","name":")", name, R"(","start_time":1795485961.0,"end_time":1795485961.5})");
}

std::string LoneSubsegment(int trace) {
  return StrCat(R"({"type":"subsegment","id":"21252884ac4db30a","name":"streamed","start_time":1795485961.1,)",
                R"("end_time":1795485961.2,"parent_id":"52bd4d054e9f)", 1000 + trace,
                R"(","trace_id":"1-6b04f109-e80e21319d0b558d3da4)", 1000 + trace, R"("})");
}

std::string ServiceOfRow(MappedDocuments& mapped, size_t row) {
  return store::BatchEvents(mapped.rows.Finish()).at(row).service_name;
}

TEST(SegmentIngest, ALoneSubsegmentGetsItsSegmentsServiceWhileRemembered) {
  NoStore store;
  SegmentIngest ingest(store, /*remembered_segments=*/3);
  const std::string a = Segment(1, "svc-a"), b = Segment(2, "svc-b");
  MappedDocuments first = ingest.Map({a, b});
  EXPECT_EQ(first.accepted, 2);
  const std::string sub_a = LoneSubsegment(1), sub_b = LoneSubsegment(2);
  MappedDocuments subs = ingest.Map({sub_a, sub_b});
  std::vector<model::Event> events = store::BatchEvents(subs.rows.Finish());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].service_name, "svc-a");
  EXPECT_EQ(events[1].service_name, "svc-b");

  // Three span ids are remembered: the two subsegments and two more segments push out
  // segments 1 and 2, oldest first.
  const std::string c = Segment(3, "svc-c"), d = Segment(4, "svc-c");
  ingest.Map({c, d});
  MappedDocuments late = ingest.Map({sub_a});
  EXPECT_EQ(ServiceOfRow(late, 0), "");
  const std::string sub_d = LoneSubsegment(4);
  MappedDocuments recent = ingest.Map({sub_d});
  EXPECT_EQ(ServiceOfRow(recent, 0), "svc-c");
}

}  // namespace
}  // namespace waggle::xray
