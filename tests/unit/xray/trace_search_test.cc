#include "xray/trace_search.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "store/embedded_store.h"
#include "testing/filled_store.h"
#include "testing/temp_dir.h"

namespace waggle::xray {
namespace {

constexpr int64_t kStart = 1767225600;  // 2026-01-01

model::TraceId IdOf(int i) {
  model::TraceId id;
  id.bytes[0] = static_cast<uint8_t>(i * 37 % 251);  // not in the order the traces arrive
  id.bytes[1] = static_cast<uint8_t>(i >> 8);
  id.bytes[15] = static_cast<uint8_t>(i);
  return id;
}

// 600 OTLP traces (a root span, a child and its span event) over ten minutes, the last 100
// with their root outside the range asked; a plain Honeycomb event; and beeline events whose
// trace ids are attributes, a root and a child. The root ids in the range, largest first.
struct Fixture {
  std::vector<model::Event> events;
  std::vector<model::TraceId> roots_in_range;
};

Fixture MakeFixture() {
  Fixture f;
  for (int i = 0; i < 600; ++i) {
    const bool in_range = i < 500;
    model::Event root;
    root.dataset = "frontend";
    root.trace_id = IdOf(i);
    root.span_id.bytes[0] = 1, root.span_id.bytes[7] = static_cast<uint8_t>(i);
    root.time_unix_nano = (kStart + (in_range ? i % 600 : 4000)) * 1000000000ll;
    model::Event child = root;
    child.dataset = "backend";
    child.span_id.bytes[0] = 2;
    child.parent_span_id = root.span_id;
    model::Event annotation = child;
    annotation.annotation_type = model::AnnotationType::kSpanEvent;
    annotation.span_id = {};
    annotation.parent_span_id = child.span_id;
    f.events.push_back(root);
    f.events.push_back(child);
    f.events.push_back(annotation);
    if (in_range) f.roots_in_range.push_back(root.trace_id);
  }
  model::Event plain;
  plain.dataset = "backend";
  plain.annotation_type = model::AnnotationType::kEvent;
  plain.time_unix_nano = kStart * 1000000000ll;
  f.events.push_back(plain);
  const model::TraceId beeline = model::TraceId::FromHex("ffeeddccbbaa99887766554433221100").value();
  for (bool is_root : {true, false}) {
    model::Event e;
    e.dataset = "beeline";
    e.annotation_type = model::AnnotationType::kEvent;
    e.time_unix_nano = (kStart + 5) * 1000000000ll;
    e.fields.push_back({"trace.trace_id", is_root ? beeline.ToHex() : std::string(32, 'e'), model::FieldOrigin::kSpan});
    if (!is_root) e.fields.push_back({"trace.parent_id", std::string("0102030405060708"), model::FieldOrigin::kSpan});
    f.events.push_back(std::move(e));
  }
  f.roots_in_range.push_back(beeline);
  std::sort(f.roots_in_range.begin(), f.roots_in_range.end(),
            [](const model::TraceId& a, const model::TraceId& b) { return b < a; });
  return f;
}

std::vector<model::TraceId> Largest(std::vector<model::TraceId> ids, size_t n) {
  ids.resize(std::min(n, ids.size()));
  return ids;
}

TEST(CandidateTracesTest, TheLargestRootIdsInTheRangeFromPartsAndFromTheHead) {
  Fixture f = MakeFixture();
  testing::TempDir parts_dir, head_dir;
  auto parts = testing::OpenFilledStore(parts_dir.path(), f.events, /*block_rows=*/64);
  ASSERT_TRUE(parts.ok()) << parts.status();
  store::EmbeddedStoreOptions options;
  options.data_dir = head_dir.path();
  auto head = store::EmbeddedStore::Open(options);
  ASSERT_TRUE(head.ok()) << head.status();
  ASSERT_TRUE(store::AppendAndWait(**head, f.events).ok());

  for (store::Store* store : {static_cast<store::Store*>(parts->get()), static_cast<store::Store*>(head->get())}) {
    for (size_t limit : {size_t{1}, size_t{37}, size_t{501}, size_t{10000}}) {
      auto ids = CandidateTraces(*store, kStart, kStart + 600, limit, {});
      ASSERT_TRUE(ids.ok()) << ids.status();
      EXPECT_EQ(*ids, Largest(f.roots_in_range, limit)) << "limit " << limit;
    }
    // A range holding only the roots of seconds [100, 200).
    auto ids = CandidateTraces(*store, kStart + 100, kStart + 200, 10000, {});
    ASSERT_TRUE(ids.ok()) << ids.status();
    EXPECT_EQ(ids->size(), 100u);
  }
}

}  // namespace
}  // namespace waggle::xray
