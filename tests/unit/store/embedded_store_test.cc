#include "store/embedded_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "common/errors.h"
#include "common/sync_point.h"
#include "store/file_util.h"
#include "testing/temp_dir.h"

namespace waggle::store {
namespace {

namespace fs = std::filesystem;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

model::Event Span(const std::string& trace_hex, const std::string& span_hex, int64_t time = 0) {
  model::Event e;
  e.dataset = "ds";
  e.trace_id = *model::TraceId::FromHex(trace_hex);
  e.span_id = *model::SpanId::FromHex(span_hex);
  e.time_unix_nano = time;
  e.name = "op";
  e.fields.push_back({"http.route", std::string("/x"), model::FieldOrigin::kSpan});
  return e;
}

model::TraceId Trace(const std::string& hex) { return *model::TraceId::FromHex(hex); }

std::string TraceHex(int n) {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%032x", n + 1);
  return buf;
}

const std::string kTraceA(32, 'a');
const std::string kTraceB(32, 'b');

EmbeddedStoreOptions TestOptions(const std::string& dir) {
  EmbeddedStoreOptions options;
  options.data_dir = dir;
  options.maintenance_interval = std::chrono::hours(1);  // tests drive FlushAndCompact
  options.head_flush_age = std::chrono::hours(1);
  return options;
}

// A fresh data directory and options per test.
class EmbeddedStoreTest : public ::testing::Test {
 protected:
  testing::TempDir dir;
  EmbeddedStoreOptions options = TestOptions(dir.path());
  const int64_t now = NowNanos();
};

TEST_F(EmbeddedStoreTest, FindsTracesAndSurvivesRestart) {
  {
    auto store = EmbeddedStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE(AppendAndWait(**store, {Span(kTraceA, "0000000000000001"), Span(kTraceB, "0000000000000002")}).ok());
    ASSERT_TRUE(AppendAndWait(**store, {Span(kTraceA, "0000000000000003")}).ok());
    EXPECT_EQ((*store)->FindTrace(Trace(kTraceA))->size(), 2u);
  }
  auto store = EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok());
  auto a = (*store)->FindTrace(Trace(kTraceA));
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[1].span_id.ToHex(), "0000000000000003");
  EXPECT_EQ((*store)->FindTrace(Trace(kTraceB))->size(), 1u);
  EXPECT_TRUE((*store)->FindTrace(Trace(std::string(32, 'c')))->empty());
}

TEST_F(EmbeddedStoreTest, OneProcessPerDataDirectory) {
  auto first = EmbeddedStore::Open(options);
  ASSERT_TRUE(first.ok());
  auto second = EmbeddedStore::Open(options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(second.status().message()).find("in use"), std::string::npos);
}

TEST_F(EmbeddedStoreTest, FlushWritesPartsAndTrimsTheLog) {
  {
    auto store = EmbeddedStore::Open(options);
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(AppendAndWait(**store, {Span(TraceHex(i), "0000000000000001", now + i),
                                          Span(TraceHex(i), "0000000000000002", now + i + 1)}).ok());
    }
    ASSERT_TRUE((*store)->FlushAndCompact().ok());
    EmbeddedStoreStats stats = (*store)->Stats();
    EXPECT_EQ(stats.parts, 1u);
    EXPECT_EQ(stats.part_rows, 40u);
    EXPECT_EQ(stats.head_events, 0u);
    ASSERT_EQ((*store)->FindTrace(Trace(TraceHex(7)))->size(), 2u);  // from the part
    // More after the flush stays in the head and the log.
    ASSERT_TRUE(AppendAndWait(**store, {Span(TraceHex(7), "0000000000000003", now + 100)}).ok());
    auto trace = (*store)->FindTrace(Trace(TraceHex(7)));
    ASSERT_EQ(trace->size(), 3u);
    EXPECT_EQ((*trace)[2].span_id.ToHex(), "0000000000000003");
  }
  auto store = EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok());
  // Only the record written after the flush is replayed; the rest come from the part.
  EXPECT_EQ((*store)->replay_stats().records, 1u);
  EXPECT_EQ((*store)->FindTrace(Trace(TraceHex(7)))->size(), 3u);
  EXPECT_EQ((*store)->FindTrace(Trace(TraceHex(19)))->size(), 2u);
}

// FindTraces (one read per block for many traces) must give what FindTrace gives, for
// traces in parts (two blocks of 8192 rows here), in the head, in both, and unknown ones.
TEST_F(EmbeddedStoreTest, FindTracesMatchesFindTrace) {
  auto store = EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok());
  std::vector<model::Event> batch;
  for (int t = 0; t < 3000; ++t) {
    for (int s = 1; s <= 3; ++s) batch.push_back(Span(TraceHex(t), "000000000000000" + std::to_string(s), now + t + s));
  }
  ASSERT_TRUE(AppendAndWait(**store, std::move(batch)).ok());
  ASSERT_TRUE((*store)->FlushAndCompact().ok());
  ASSERT_TRUE(AppendAndWait(**store, {Span(TraceHex(10), "0000000000000009", now + 50), Span(TraceHex(5000), "0000000000000001", now)}).ok());
  std::vector<model::TraceId> ids;
  for (int t : {0, 1, 10, 1234, 2730, 2731, 2999, 5000, 7777, 10}) ids.push_back(Trace(TraceHex(t)));
  auto found = (*store)->FindTraces(ids);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto one = (*store)->FindTrace(ids[i]);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ((*found)[i], *one) << ids[i].ToHex();
  }
  EXPECT_EQ((*found)[2].size(), 4u);  // part + head
  EXPECT_EQ((*found)[7].size(), 1u);  // head only
  EXPECT_TRUE((*found)[8].empty());
}

TEST_F(EmbeddedStoreTest, MergesKeepThePartCountBounded) {
  auto store = EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok());
  for (int round = 0; round < 12; ++round) {
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(AppendAndWait(**store, {Span(TraceHex(round * 5 + i), "0000000000000001", now)}).ok());
    }
    ASSERT_TRUE((*store)->FlushAndCompact().ok());
    // Fewer than min_inputs parts of each size: 5-row flushes and their 30-row merges here.
    EXPECT_LE((*store)->Stats().parts, 2 * (options.merge.min_inputs - 1));
  }
  EXPECT_GT((*store)->Stats().merges, 0u);
  EXPECT_EQ((*store)->Stats().part_rows, 60u);
  for (int t = 0; t < 60; ++t) ASSERT_EQ((*store)->FindTrace(Trace(TraceHex(t)))->size(), 1u) << t;
}

// A long merge of bigger parts (held at a sync point here) does not hold up merging fresh
// small parts: the second merge lane takes them, so ingest is not refused meanwhile.
TEST_F(EmbeddedStoreTest, AMergeOfBigPartsDoesNotHoldUpFreshParts) {
  options.head_flush_bytes = 1;  // every append is written out as its own part, in the background
  options.maintenance_interval = std::chrono::milliseconds(50);
  options.small_merge_max_input_rows = 3;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> holding{false};
  SyncPoints::Set("EmbeddedStore::Merge:PartWritten", [&] {
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    if (std::string_view(name) != "waggle-merge") return;
    holding = true;
    released.wait();
  });
  auto store = EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok());
  auto wait_for = [&](auto done) {
    for (int i = 0; i < 2000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return done();
  };
  int trace = 0;
  auto append_part = [&](int rows) {
    std::vector<model::Event> spans;
    for (int i = 0; i < rows; ++i) spans.push_back(Span(TraceHex(trace++), "0000000000000001", now));
    ASSERT_TRUE(AppendAndWait(**store, std::move(spans)).ok());
    ASSERT_TRUE(wait_for([&] { return (*store)->Stats().head_events == 0; }));
  };
  for (int p = 0; p < 6; ++p) append_part(4);  // too big for the small lane
  ASSERT_TRUE(wait_for([&] { return holding.load(); })) << "the 4-row parts were not merged";
  for (int p = 0; p < 6; ++p) append_part(1);
  EXPECT_TRUE(wait_for([&] { return (*store)->Stats().merges >= 1; }))
      << "fresh parts waited for the long merge";
  release.set_value();
  EXPECT_TRUE(wait_for([&] { return (*store)->Stats().merges >= 2; }));
  SyncPoints::Clear();
  for (int t = 0; t < trace; ++t) ASSERT_EQ((*store)->FindTrace(Trace(TraceHex(t)))->size(), 1u) << t;
  EXPECT_EQ((*store)->Stats().part_rows, 30u);
}

TEST_F(EmbeddedStoreTest, RetentionDropsOldestPartsFirst) {
  options.retention = std::chrono::hours(24 * 7);
  const int64_t hour = 3600ll * 1000 * 1000 * 1000;
  auto store = EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(AppendAndWait(**store, {Span(TraceHex(1), "0000000000000001", now - 8 * 24 * hour),
                                      Span(TraceHex(2), "0000000000000001", now - 3 * hour),
                                      Span(TraceHex(3), "0000000000000001", now)}).ok());
  ASSERT_TRUE((*store)->FlushAndCompact().ok());
  EXPECT_TRUE((*store)->FindTrace(Trace(TraceHex(1)))->empty());  // older than 7 days
  EXPECT_EQ((*store)->Stats().parts, 2u);
  EXPECT_EQ((*store)->Stats().parts_dropped, 1u);
  (*store)->Close();

  // --max-disk: past the limit the oldest partition goes, the newest stays.
  options.retention = std::chrono::nanoseconds(0);
  options.max_disk_bytes = 1;  // everything is over it
  store = EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->FlushAndCompact().ok());
  EXPECT_EQ((*store)->Stats().parts, 0u);
  EXPECT_TRUE((*store)->FindTrace(Trace(TraceHex(2)))->empty());
  // Ingest still works: retention never blocks it.
  EXPECT_TRUE(AppendAndWait(**store, {Span(TraceHex(4), "0000000000000001", now)}).ok());
}

TEST_F(EmbeddedStoreTest, CorruptPartIsQuarantinedNotServed) {
  {
    auto store = EmbeddedStore::Open(options);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(AppendAndWait(**store, {Span(kTraceA, "0000000000000001", now)}).ok());
    ASSERT_TRUE((*store)->FlushAndCompact().ok());
    ASSERT_TRUE(AppendAndWait(**store, {Span(kTraceB, "0000000000000001", now)}).ok());
  }
  std::string part_path;
  for (const auto& entry : fs::directory_iterator(dir.path() + "/parts")) part_path = entry.path();
  ASSERT_FALSE(part_path.empty());
  {
    std::fstream f(part_path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x7f');
  }
  auto store = EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Stats().parts_quarantined, 1u);
  EXPECT_TRUE(fs::exists(dir.path() + "/quarantine"));
  EXPECT_TRUE((*store)->FindTrace(Trace(kTraceA))->empty());
  EXPECT_EQ((*store)->FindTrace(Trace(kTraceB))->size(), 1u);  // the log's copy is intact
}

TEST_F(EmbeddedStoreTest, LeftoversOfAnInterruptedFlushAreRemoved) {
  {
    auto store = EmbeddedStore::Open(options);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(AppendAndWait(**store, {Span(kTraceA, "0000000000000001", NowNanos())}).ok());
  }
  // A crash between writing a part and publishing it in the manifest.
  { std::ofstream(dir.path() + "/parts/00000000000000000099.part") << "half a part"; }
  { std::ofstream(dir.path() + "/parts/00000000000000000100.part.tmp") << "x"; }
  auto store = EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_FALSE(fs::exists(dir.path() + "/parts/00000000000000000099.part"));
  EXPECT_FALSE(fs::exists(dir.path() + "/parts/00000000000000000100.part.tmp"));
  EXPECT_EQ((*store)->FindTrace(Trace(kTraceA))->size(), 1u);
}

TEST_F(EmbeddedStoreTest, FullDiskRefusesThenResumesWithoutHarm) {
  auto store = EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(AppendAndWait(**store, {Span(kTraceA, "0000000000000001", now)}).ok());
  SetInjectedDiskFull(true);
  absl::Status full = AppendAndWait(**store, {Span(kTraceB, "0000000000000001", now)});
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_EQ(KindOf(full), ErrorKind::kDiskFull);
  EXPECT_FALSE((*store)->FlushAndCompact().ok());  // the flush cannot write either
  SetInjectedDiskFull(false);
  EXPECT_TRUE((*store)->FindTrace(Trace(kTraceB))->empty());  // never acknowledged
  ASSERT_TRUE(AppendAndWait(**store, {Span(kTraceB, "0000000000000002", now)}).ok());
  ASSERT_TRUE((*store)->FlushAndCompact().ok());
  (*store)->Close();
  store = EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->FindTrace(Trace(kTraceA))->size(), 1u);
  EXPECT_EQ((*store)->FindTrace(Trace(kTraceB))->size(), 1u);
}

}  // namespace
}  // namespace waggle::store

namespace waggle::store {
namespace {

uint64_t ScannedRows(Store& store, const ScanRange& range = {}) {
  auto units = store.Scan(range);
  EXPECT_TRUE(units.ok()) << units.status();
  uint64_t rows = 0;
  for (const auto& unit : *units) {
    auto times = unit->Read(static_cast<size_t>(FixedColumn::kTime));
    EXPECT_TRUE(times.ok());
    for (int64_t t : (*times)->ints) rows += t >= range.min_time && t <= range.max_time;
  }
  return rows;
}

TEST_F(EmbeddedStoreTest, ScanSeesEveryAcknowledgedEventOnceFromHeadAndParts) {
  auto store = EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  for (int batch = 0; batch < 5; ++batch) {
    std::vector<model::Event> events;
    for (int i = 0; i < 100; ++i) events.push_back(Span(TraceHex(batch * 100 + i), "0000000000000001", now + i));
    ASSERT_TRUE(AppendAndWait(**store, std::move(events)).ok());
  }
  EXPECT_EQ(ScannedRows(**store), 500u);  // from the head
  EXPECT_EQ(ScannedRows(**store), 500u);  // the head's cached units, again
  ASSERT_TRUE((*store)->FlushAndCompact().ok());
  EXPECT_EQ(ScannedRows(**store), 500u);  // from parts
  ASSERT_TRUE(AppendAndWait(**store, {Span(TraceHex(999), "0000000000000002", now)}).ok());
  EXPECT_EQ(ScannedRows(**store), 501u);  // parts and head together
  ScanRange range;
  range.datasets = {"DS"};  // case-insensitive
  range.min_time = now + 50;
  range.max_time = now + 59;
  EXPECT_EQ(ScannedRows(**store, range), 50u);
  range.datasets = {"other"};
  EXPECT_EQ(ScannedRows(**store, range), 0u);
}

// Pushdown owned by the store: Scan leaves out blocks whose statistics rule the filter out
// (int ranges, values filters, columns they lack), from parts and from the head.
TEST_F(EmbeddedStoreTest, ScanLeavesOutBlocksThatNoRowOfCouldPass) {
  auto store = EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<model::Event> events;
  for (int i = 0; i < 20000; ++i) {
    model::Event e = Span(TraceHex(i), "0000000000000001", now + i);
    e.fields.push_back({"app.user", "user-" + std::to_string(i / 8), model::FieldOrigin::kSpan});  // dictionary chunks
    e.fields.push_back({"n", int64_t{i}, model::FieldOrigin::kSpan});
    events.push_back(std::move(e));
  }
  ASSERT_TRUE(AppendAndWait(**store, std::move(events)).ok());
  auto units_for = [&](std::vector<ColumnPredicate> predicates, bool any = false) -> size_t {
    ScanRange range;
    range.filter = RowFilter{std::move(predicates), any};
    auto units = (*store)->Scan(range);
    EXPECT_TRUE(units.ok()) << units.status();
    return units.ok() ? units->size() : 0;
  };
  const ColumnPredicate absent{"nosuch", PredicateOp::kExists, {}};
  const ColumnPredicate late{"n", PredicateOp::kGreaterOrEqual, {int64_t{19000}}};
  const size_t head_units = units_for({});
  ASSERT_GT(head_units, 1u);
  EXPECT_EQ(units_for({absent}), 0u);  // from the head
  EXPECT_EQ(units_for({ColumnPredicate{"nosuch", PredicateOp::kDoesNotExist, {}}}), head_units);
  ASSERT_TRUE((*store)->FlushAndCompact().ok());
  ASSERT_EQ(units_for({}), 3u);  // 8192-row blocks
  EXPECT_EQ(units_for({absent}), 0u);
  EXPECT_EQ(units_for({late}), 1u);
  EXPECT_EQ(units_for({ColumnPredicate{"n", PredicateOp::kLess, {std::string("100")}}}), 1u);  // a number as text
  EXPECT_EQ(units_for({ColumnPredicate{"app.user", PredicateOp::kEquals, {std::string("user-5")}}}), 1u);
  EXPECT_EQ(units_for({ColumnPredicate{"app.user", PredicateOp::kIn, {std::string("user-7"), std::string("user-2499")}}}), 2u);
  EXPECT_EQ(units_for({absent, late}, /*any=*/true), 1u);
  EXPECT_EQ(units_for({absent, late}), 0u);
  EXPECT_EQ(units_for({ColumnPredicate{"n", PredicateOp::kNotEquals, {int64_t{5}}}}), 3u);  // negations rule out nothing
  EXPECT_EQ(ScannedRows(**store), 20000u);
}

}  // namespace
}  // namespace waggle::store
