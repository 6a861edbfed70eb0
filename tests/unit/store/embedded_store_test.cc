#include "store/embedded_store.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace waggle::store {
namespace {

model::Event Span(const std::string& trace_hex, const std::string& span_hex) {
  model::Event e;
  e.dataset = "ds";
  e.trace_id = *model::TraceId::FromHex(trace_hex);
  e.span_id = *model::SpanId::FromHex(span_hex);
  e.name = "op";
  return e;
}

const std::string kTraceA(32, 'a');
const std::string kTraceB(32, 'b');

TEST(EmbeddedStoreTest, FindsTracesAndSurvivesRestart) {
  testing::TempDir dir;
  EmbeddedStoreOptions options;
  options.data_dir = dir.path();
  {
    auto store = EmbeddedStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE(AppendAndWait(**store, {Span(kTraceA, "0000000000000001"), Span(kTraceB, "0000000000000002")}).ok());
    ASSERT_TRUE(AppendAndWait(**store, {Span(kTraceA, "0000000000000003")}).ok());
    EXPECT_EQ((*store)->FindTrace(*model::TraceId::FromHex(kTraceA))->size(), 2u);
  }
  auto store = EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok());
  auto a = (*store)->FindTrace(*model::TraceId::FromHex(kTraceA));
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[1].span_id.ToHex(), "0000000000000003");
  EXPECT_EQ((*store)->FindTrace(*model::TraceId::FromHex(kTraceB))->size(), 1u);
  EXPECT_TRUE((*store)->FindTrace(*model::TraceId::FromHex(std::string(32, 'c')))->empty());
}

TEST(EmbeddedStoreTest, OneProcessPerDataDirectory) {
  testing::TempDir dir;
  EmbeddedStoreOptions options;
  options.data_dir = dir.path();
  auto first = EmbeddedStore::Open(options);
  ASSERT_TRUE(first.ok());
  auto second = EmbeddedStore::Open(options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(second.status().message()).find("in use"), std::string::npos);
}

}  // namespace
}  // namespace waggle::store
