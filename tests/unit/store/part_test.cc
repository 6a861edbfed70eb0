// The part format end to end: PartWriter -> file -> PartReader, merges, and corrupt files.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "store/bloom_filter.h"
#include "store/event_batch.h"
#include "store/part_merger.h"
#include "store/part_reader.h"
#include "store/part_writer.h"
#include "store/scan_unit.h"
#include "testing/temp_dir.h"

namespace waggle::store {
namespace {

model::TraceId TraceNumber(uint64_t n) {
  model::TraceId id;
  for (int i = 0; i < 8; ++i) id.bytes[15 - i] = static_cast<uint8_t>(n >> (8 * i));
  id.bytes[0] = 0x42;
  return id;
}

// A span with a realistic mix: fixed fields, resource/span attributes, and a key that is an
// int on some spans and a string on others.
model::Event MakeSpan(uint64_t trace, int index) {
  model::Event e;
  e.dataset = "backend";
  e.trace_id = TraceNumber(trace);
  e.span_id.bytes[0] = static_cast<uint8_t>(index + 1);
  e.span_id.bytes[7] = static_cast<uint8_t>(trace);
  if (index > 0) e.parent_span_id.bytes[0] = 1;
  e.time_unix_nano = 1'700'000'000'000'000'000 + static_cast<int64_t>(trace) * 1000 + index;
  e.duration_nano = 1000 * (index + 1);
  e.sample_rate = index == 2 ? 10 : 1;
  e.kind = index == 0 ? model::SpanKind::kServer : model::SpanKind::kClient;
  e.status_code = trace % 5 == 0 ? model::StatusCode::kError : model::StatusCode::kUnset;
  e.name = index == 0 ? "GET /api/users" : "SELECT users";
  e.service_name = "backend";
  e.scope_name = "tracer";
  e.fields.push_back({"service.name", std::string("backend"), model::FieldOrigin::kResource});
  e.fields.push_back({"http.status_code", int64_t(200 + static_cast<int64_t>(trace % 3)), model::FieldOrigin::kSpan});
  if (trace % 4 == 0) e.fields.push_back({"user.id", std::string("u" + std::to_string(trace)), model::FieldOrigin::kSpan});
  if (trace % 7 == 0) e.fields.push_back({"retry", std::string("seven"), model::FieldOrigin::kSpan});
  else e.fields.push_back({"retry", int64_t(trace % 3), model::FieldOrigin::kSpan});
  e.fields.push_back({"ratio", 0.25 * index, model::FieldOrigin::kSpan});
  e.fields.push_back({"cache.hit", index % 2 == 0, model::FieldOrigin::kSpan});
  return e;
}

std::vector<model::Event> MakeSpans(uint64_t first_trace, uint64_t traces, int per_trace) {
  std::vector<model::Event> events;
  for (uint64_t t = first_trace; t < first_trace + traces; ++t) {
    for (int i = 0; i < per_trace; ++i) events.push_back(MakeSpan(t, i));
  }
  std::sort(events.begin(), events.end(), PartRowLess);
  return events;
}

absl::StatusOr<std::shared_ptr<PartReader>> WritePart(const std::string& path,
                                                      const std::vector<model::Event>& events,
                                                      uint32_t block_rows = 100) {
  PartWriterOptions options;
  options.block_rows = block_rows;
  auto writer = PartWriter::Create(path, "backend", 0, options);
  if (!writer.ok()) return writer.status();
  for (const model::Event& e : events) {
    if (absl::Status s = (*writer)->Add(e); !s.ok()) return s;
  }
  if (auto footer = (*writer)->Finish(); !footer.ok()) return footer.status();
  return PartReader::Open(path);
}

// Fields come back grouped by origin; compare as sets per event.
void ExpectSameEvent(model::Event a, model::Event b) {
  auto order = [](const model::Field& x, const model::Field& y) {
    return std::tie(x.origin, x.key) < std::tie(y.origin, y.key);
  };
  std::sort(a.fields.begin(), a.fields.end(), order);
  std::sort(b.fields.begin(), b.fields.end(), order);
  EXPECT_EQ(a, b);
}

// Every row of the part, block by block, is the same event as `expected`'s at its position.
void ExpectPartHolds(const PartReader& part, const std::vector<model::Event>& expected) {
  size_t row = 0;
  for (size_t b = 0; b < part.footer().blocks.size(); ++b) {
    auto block = part.ReadEvents(b, 0, part.footer().blocks[b].rows);
    ASSERT_TRUE(block.ok()) << block.status();
    for (const model::Event& e : *block) {
      ASSERT_LT(row, expected.size());
      ExpectSameEvent(e, expected[row++]);
    }
  }
  EXPECT_EQ(row, expected.size());
}

TEST(PartTest, RoundTripsEveryFieldAcrossBlocks) {
  testing::TempDir dir;
  auto events = MakeSpans(0, 150, 3);  // 450 rows, 5 blocks of 100 (the last 50)
  auto part = WritePart(dir.path() + "/p.part", events);
  ASSERT_TRUE(part.ok()) << part.status();
  const PartFooter& footer = (*part)->footer();
  EXPECT_EQ(footer.rows, 450u);
  EXPECT_EQ(footer.blocks.size(), 5u);
  EXPECT_TRUE((*part)->Verify().ok());
  // Both types of "retry" are kept, as two columns.
  int retry_columns = 0;
  for (const ColumnDescriptor& c : footer.columns) retry_columns += c.key == "retry";
  EXPECT_EQ(retry_columns, 2);

  ExpectPartHolds(**part, events);
  // Block ranges for skipping: time min/max and numeric min/max per chunk.
  EXPECT_LE(footer.blocks[0].min_time, footer.blocks[0].max_time);
  const ChunkMeta& duration = footer.blocks[0].chunks[static_cast<size_t>(FixedColumn::kDuration)];
  EXPECT_TRUE(duration.has_range);
  EXPECT_EQ(duration.min, 1000);
  EXPECT_EQ(duration.max, 3000);
}

// A string chunk with many distinct, repeated values carries a Bloom filter of them: a block unit says
// "no" for a value no row of it holds, without reading the column, and never "no" wrongly.
TEST(PartTest, StringChunksCarryAValuesFilterThatRulesOutAbsentValues) {
  testing::TempDir dir;
  std::vector<model::Event> events;
  for (uint64_t t = 0; t < 2000; ++t) {
    model::Event e = MakeSpan(t, 0);
    e.fields.push_back({"app.user", std::string("user-" + std::to_string(t % 400)), model::FieldOrigin::kSpan});
    events.push_back(std::move(e));
  }
  std::sort(events.begin(), events.end(), PartRowLess);
  auto part = WritePart(dir.path() + "/p.part", events, 1000);
  ASSERT_TRUE(part.ok()) << part.status();
  auto reopened = PartReader::Open(dir.path() + "/p.part");  // the filter survives the footer's encoding
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  const auto& columns = (*reopened)->footer().columns;
  const size_t user = static_cast<size_t>(std::find_if(columns.begin(), columns.end(), [](const ColumnDescriptor& c) {
    return c.key == "app.user";
  }) - columns.begin());
  ASSERT_LT(user, columns.size());
  EXPECT_FALSE((*reopened)->footer().blocks[0].chunks[user].values_filter.empty());
  auto unit = MakePartBlockUnit(*reopened, 0);
  for (int u = 0; u < 400; ++u) EXPECT_TRUE(unit->MayContainString(user, "user-" + std::to_string(u)));
  int ruled_out = 0;
  for (int u = 400; u < 1400; ++u) ruled_out += !unit->MayContainString(user, "user-" + std::to_string(u));
  EXPECT_GT(ruled_out, 950);  // ~2% false positives
}

TEST(PartTest, ColumnFirstSeenInALaterBlock) {
  // Blocks written before an attribute first appears must still list a chunk for it (empty).
  testing::TempDir dir;
  auto events = MakeSpans(0, 4, 1);
  events.back().fields.push_back({"late", int64_t{7}, model::FieldOrigin::kSpan});
  auto part = WritePart(dir.path() + "/p.part", events, 2);
  ASSERT_TRUE(part.ok()) << part.status();
  ASSERT_EQ((*part)->footer().blocks.size(), 2u);
  EXPECT_TRUE((*part)->Verify().ok());
  auto block = (*part)->ReadEvents(1, 0, 2);
  ASSERT_TRUE(block.ok()) << block.status();
  ExpectSameEvent((*block)[1], events.back());
}

TEST(PartTest, FindsTracesIncludingOnesThatStraddleBlocks) {
  testing::TempDir dir;
  auto events = MakeSpans(0, 100, 7);  // 700 rows in blocks of 100: traces straddle blocks
  auto part = WritePart(dir.path() + "/p.part", events);
  ASSERT_TRUE(part.ok());
  for (uint64_t t : {0ull, 14ull, 42ull, 99ull}) {
    auto found = (*part)->FindTrace(TraceNumber(t));
    ASSERT_TRUE(found.ok());
    ASSERT_EQ(found->size(), 7u) << t;
    for (int i = 0; i < 7; ++i) ExpectSameEvent((*found)[i], MakeSpan(t, i));
  }
  auto missing = (*part)->FindTrace(TraceNumber(1000));
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
}

TEST(PartTest, CompressesRepetitiveSpans) {
  testing::TempDir dir;
  auto events = MakeSpans(0, 2000, 5);
  auto part = WritePart(dir.path() + "/p.part", events, 8192);
  ASSERT_TRUE(part.ok());
  // ~80 bytes of ids alone raw; the rest compresses to little.
  EXPECT_LT((*part)->file_size() / events.size(), 40u) << (*part)->file_size();
}

TEST(BloomFilterTest, NoFalseNegativesFewFalsePositives) {
  BloomFilterBuilder builder;
  for (uint64_t i = 0; i < 10000; ++i) builder.Add(TraceNumber(i));
  std::string filter = builder.Finish();
  for (uint64_t i = 0; i < 10000; ++i) ASSERT_TRUE(BloomFilterMayContain(filter, TraceNumber(i)));
  int false_positives = 0;
  for (uint64_t i = 10000; i < 110000; ++i) false_positives += BloomFilterMayContain(filter, TraceNumber(i));
  EXPECT_LT(false_positives, 200);  // 0.05% expected; 0.2% bound
  EXPECT_TRUE(BloomFilterMayContain("", TraceNumber(1)));  // malformed: never skip
}

void ExpectMergeKeepsEveryRow(uint64_t traces) {
  testing::TempDir dir;
  std::vector<std::shared_ptr<PartReader>> inputs;
  std::vector<model::Event> all;
  for (int p = 0; p < 3; ++p) {
    // Interleaved traces: part p holds traces p, p+3, p+6, ...
    std::vector<model::Event> events;
    for (uint64_t t = p; t < traces; t += 3) {
      for (int i = 0; i < 4; ++i) events.push_back(MakeSpan(t, i));
    }
    std::sort(events.begin(), events.end(), PartRowLess);
    all.insert(all.end(), events.begin(), events.end());
    auto part = WritePart(dir.path() + "/in" + std::to_string(p), events);
    ASSERT_TRUE(part.ok());
    inputs.push_back(*part);
  }
  std::sort(all.begin(), all.end(), PartRowLess);
  auto writer = PartWriter::Create(dir.path() + "/merged", "backend", 0, PartWriterOptions{});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(MergeParts(inputs, **writer).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  auto merged = PartReader::Open(dir.path() + "/merged");
  ASSERT_TRUE(merged.ok());
  ASSERT_EQ((*merged)->footer().rows, all.size());
  ExpectPartHolds(**merged, all);
}

TEST(PartTest, MergeKeepsEveryRowInOrder) { ExpectMergeKeepsEveryRow(300); }

// More rows than a merge copies at once (8192), from inputs of many blocks: rows of blocks
// already let go are never read.
TEST(PartTest, AMergeOfManyChunksKeepsEveryRowInOrder) { ExpectMergeKeepsEveryRow(6000); }

// A head flush: rows of many batches (each with its own columns: "user.id" and the string
// "retry" only where some trace has them) gathered in key order, a column at a time, across
// block boundaries, come out as the same events in the same order.
TEST(PartTest, RowsOfManyBatchesAreWrittenColumnByColumn) {
  testing::TempDir dir;
  std::vector<EventBatch> batches;
  std::vector<model::Event> all;
  for (uint64_t first = 0; first < 60; first += 6) {
    std::vector<model::Event> events;
    for (uint64_t t = first; t < first + 6; ++t) {
      for (int i = 0; i < 3; ++i) events.push_back(MakeSpan((t * 37) % 60, i));  // traces out of order
    }
    all.insert(all.end(), events.begin(), events.end());
    EventBatchBuilder builder;
    builder.Add(events);
    for (EventBatch& b : builder.Finish()) batches.push_back(std::move(b));
  }
  std::stable_sort(all.begin(), all.end(), PartRowLess);
  PartWriterOptions options;
  options.block_rows = 50;  // 180 rows: 4 blocks
  auto writer = PartWriter::Create(dir.path() + "/flushed", "backend", 0, options);
  ASSERT_TRUE(writer.ok());
  std::vector<PartWriter::SourceBlock> sources(batches.size());
  std::vector<const PartWriter::SourceBlock*> bound;
  std::vector<std::tuple<PartRowKey, uint32_t, uint32_t>> keys;
  for (uint32_t b = 0; b < batches.size(); ++b) {
    sources[b].descriptors = &batches[b].columns;
    sources[b].columns = &batches[b].values;
    (*writer)->Bind(sources[b]);
    bound.push_back(&sources[b]);
    for (uint32_t r = 0; r < batches[b].rows; ++r) {
      keys.emplace_back(PartRowKey::Of(batches[b].TraceIdAt(r).AsBytes(), batches[b].TimeAt(r)), b, r);
    }
  }
  std::sort(keys.begin(), keys.end());
  std::vector<PartWriter::SourceRow> rows;
  for (const auto& [key, b, r] : keys) rows.push_back({b, r});
  ASSERT_TRUE((*writer)->AddRows(bound, rows).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  auto part = PartReader::Open(dir.path() + "/flushed");
  ASSERT_TRUE(part.ok()) << part.status();
  ASSERT_TRUE((*part)->Verify().ok());
  const PartFooter& footer = (*part)->footer();
  ASSERT_EQ(footer.rows, all.size());
  EXPECT_EQ(footer.blocks.size(), 4u);
  ExpectPartHolds(**part, all);
}

TEST(PartTest, TornAndCorruptFilesAreDetected) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/p.part";
  auto part = WritePart(path, MakeSpans(0, 50, 3));
  ASSERT_TRUE(part.ok());
  std::string good;
  {
    std::ifstream in(path, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  };
  // Every truncation (a crash mid-write) fails to open.
  for (size_t n = 0; n < good.size(); n += 7) {
    write(good.substr(0, n));
    EXPECT_FALSE(PartReader::Open(path).ok()) << "truncated to " << n;
  }
  // Every flipped byte is caught by Open or Verify (checksums over footer and chunks).
  std::mt19937 rng(3);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ (1 + rng() % 255));
    write(bad);
    auto opened = PartReader::Open(path);
    if (opened.ok()) {
      // Only the magic at the start is not covered by a checksum; nothing reads it.
      if (i >= sizeof(kPartMagic)) {
        EXPECT_FALSE((*opened)->Verify().ok()) << "byte " << i;
      }
    }
  }
}

}  // namespace
}  // namespace waggle::store
