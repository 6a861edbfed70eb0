#include "store/column_cache.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/part_reader.h"
#include "store/part_writer.h"
#include "store/scan_unit.h"
#include "testing/temp_dir.h"

namespace waggle::store {
namespace {

std::shared_ptr<const ColumnValues> Ints(size_t n) {
  auto v = std::make_shared<ColumnValues>();
  v->ints.assign(n, 7);
  return v;
}

TEST(ColumnCacheTest, KeepsWhatFitsAndDropsTheLeastRecentlyUsed) {
  const uint64_t entry = ColumnCache::BytesOf(*Ints(1000));
  ColumnCache cache(entry * 8);
  for (uint32_t b = 0; b < 8; ++b) cache.Insert(1, b, 0, Ints(1000));
  EXPECT_EQ(cache.stats().entries, 8u);
  ASSERT_NE(cache.Lookup(1, 0, 0), nullptr);  // block 0 is now the most recent
  cache.Insert(1, 8, 0, Ints(1000));          // pushes out block 1, the least recent
  EXPECT_EQ(cache.Lookup(1, 1, 0), nullptr);
  EXPECT_NE(cache.Lookup(1, 0, 0), nullptr);
  EXPECT_NE(cache.Lookup(1, 8, 0), nullptr);
  EXPECT_LE(cache.stats().bytes, entry * 8);
  EXPECT_EQ(cache.stats().hits, 3u);
  EXPECT_EQ(cache.stats().misses, 1u);

  cache.Insert(1, 9, 0, Ints(1000 * 2));  // more than an eighth of the cache: not kept
  EXPECT_EQ(cache.Lookup(1, 9, 0), nullptr);

  cache.Insert(2, 0, 3, Ints(10));
  cache.ErasePart(1);
  EXPECT_EQ(cache.stats().entries, 1u);
  EXPECT_NE(cache.Lookup(2, 0, 3), nullptr);
  EXPECT_EQ(cache.stats().bytes, ColumnCache::BytesOf(*Ints(10)));

  cache.SetCapacity(0);  // off: nothing kept, nothing found
  EXPECT_EQ(cache.stats().entries, 0u);
  cache.Insert(3, 0, 0, Ints(1));
  EXPECT_EQ(cache.Lookup(3, 0, 0), nullptr);
}

// Through a part: the second read of a block's column is the cached one, the values the
// same; the reader's entries leave with it.
TEST(ColumnCacheTest, PartBlockUnitsReadThroughTheSharedCache) {
  testing::TempDir dir;
  auto writer = PartWriter::Create(dir.path() + "/p.part", "ds", 0, PartWriterOptions{});
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (int i = 0; i < 100; ++i) {
    model::Event e;
    e.dataset = "ds";
    e.trace_id.bytes[15] = static_cast<uint8_t>(i);
    e.time_unix_nano = 1000 + i;
    e.name = i % 2 ? "a" : "b";
    ASSERT_TRUE((*writer)->Add(e).ok());
  }
  ASSERT_TRUE((*writer)->Finish().ok());
  ColumnCache& cache = ColumnCache::Shared();
  const uint64_t capacity = cache.capacity();
  cache.SetCapacity(64 << 20);
  {
    auto part = PartReader::Open(dir.path() + "/p.part");
    ASSERT_TRUE(part.ok()) << part.status();
    auto unit = MakePartBlockUnit(*part, 0);
    const auto name = static_cast<size_t>(FixedColumn::kName);
    const uint64_t entries = cache.stats().entries;
    auto first = unit->Read(name);
    auto second = unit->Read(name);
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(first->get(), second->get());  // the same decoded column
    EXPECT_EQ((*first)->dictionary.size(), 2u);
    EXPECT_EQ(cache.stats().entries, entries + 1);
    part->reset();
    unit.reset();  // the last holder of the reader
    EXPECT_EQ(cache.stats().entries, entries);
  }
  cache.SetCapacity(capacity);
}

}  // namespace
}  // namespace waggle::store
