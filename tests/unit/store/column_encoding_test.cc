#include "store/column_encoding.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

namespace waggle::store {
namespace {

// The encoder takes views; tests hold strings.
void EncodeStrings(const std::vector<std::string>& values, const std::vector<uint8_t>& present, uint32_t rows,
                   std::string* out) {
  std::vector<std::string_view> views(values.begin(), values.end());
  store::EncodeStrings(views, present, rows, out);
}

std::vector<uint8_t> EveryOther(uint32_t rows) {
  std::vector<uint8_t> present(rows);
  for (uint32_t i = 0; i < rows; ++i) present[i] = i % 2;
  return present;
}

TEST(BitPackingTest, RoundTripsEveryWidth) {
  std::mt19937_64 rng(7);
  for (int width = 0; width <= 64; ++width) {
    std::vector<uint64_t> values(257);
    const uint64_t mask = width == 64 ? ~0ull : (1ull << width) - 1;
    for (uint64_t& v : values) v = rng() & mask;
    std::string packed;
    PackBits(values, width, &packed);
    EXPECT_EQ(packed.size(), (values.size() * width + 7) / 8);
    std::vector<uint64_t> out(values.size());
    ASSERT_TRUE(UnpackBits(packed, values.size(), width, out.data())) << width;
    EXPECT_EQ(out, values) << "width " << width;
    if (width > 0) {
      EXPECT_FALSE(UnpackBits(packed.substr(1), values.size(), width, out.data()));
    }
  }
}

TEST(IntEncodingTest, FrameOfReferenceDeltaAndExtremes) {
  const std::vector<std::vector<int64_t>> cases = {
      {5},
      {42, 42, 42, 42},                                      // width 0
      {1700000000000000000, 1700000000000000100, 1700000000000000250},  // sorted: delta
      {300, -7, 12000, 0, 55},                               // unordered: frame of reference
      {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 0, -1},
  };
  for (const auto& values : cases) {
    std::string encoded;
    EncodeInts(values, {}, static_cast<uint32_t>(values.size()), &encoded);
    ColumnValues out;
    ASSERT_TRUE(DecodeInts(encoded, static_cast<uint32_t>(values.size()), &out).ok());
    EXPECT_EQ(out.ints, values);
    EXPECT_TRUE(out.present.empty());
  }
}

TEST(IntEncodingTest, SortedTimesPackSmall) {
  std::vector<int64_t> times;
  for (int i = 0; i < 8192; ++i) times.push_back(1'700'000'000'000'000'000 + i * 1000 + (i % 7));
  std::string encoded;
  EncodeInts(times, {}, 8192, &encoded);
  EXPECT_LT(encoded.size(), 8192u * 2);  // ~11 bits a value instead of 64
}

TEST(IntEncodingTest, TraceRelativeStartTimes) {
  // 100 traces of 8 spans: trace starts spread over an hour, spans a few ms apart.
  std::vector<int64_t> times;
  std::string trace_ids;
  std::mt19937_64 rng(5);
  for (int t = 0; t < 100; ++t) {
    int64_t start = 1'795'000'000'000'000'000 + static_cast<int64_t>(rng() % 3'600'000'000'000ull);
    for (int s = 0; s < 8; ++s) {
      times.push_back(start + s * 1'000'000 + static_cast<int64_t>(rng() % 100'000));
      trace_ids.append(std::string(16, static_cast<char>(t)));
    }
  }
  std::string relative, plain;
  EncodeInts(times, {}, 800, &relative, &trace_ids);
  EncodeInts(times, {}, 800, &plain);
  EXPECT_LT(relative.size() * 3, plain.size() * 2) << relative.size() << " vs " << plain.size();
  ColumnValues out;
  ASSERT_TRUE(DecodeInts(relative, 800, &out, &trace_ids).ok());
  EXPECT_EQ(out.ints, times);
  EXPECT_FALSE(DecodeInts(relative, 800, &out).ok());  // needs the trace ids
  for (size_t n = 0; n < relative.size(); n += 3) (void)DecodeInts(relative.substr(0, n), 800, &out, &trace_ids);
}

TEST(IntEncodingTest, AbsentRows) {
  const uint32_t rows = 20;
  std::vector<uint8_t> present = EveryOther(rows);
  std::vector<int64_t> values = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  std::string encoded;
  EncodeInts(values, present, rows, &encoded);
  ColumnValues out;
  ASSERT_TRUE(DecodeInts(encoded, rows, &out).ok());
  for (uint32_t r = 0; r < rows; ++r) {
    EXPECT_EQ(out.Has(r), r % 2 == 1);
    if (out.Has(r)) {
      EXPECT_EQ(out.ints[r], static_cast<int64_t>(r / 2 + 1));
    }
  }
}

TEST(IntCodesTest, FewValuesBecomeCodesInValueOrderWithTheirRows) {
  ColumnValues values;
  values.ints = {502, 200, 0, 404, 200, 500, 0, 200};
  values.present = {1, 1, 0, 1, 1, 1, 0, 1};
  AddIntCodes(&values);
  EXPECT_EQ(values.int_dictionary, (std::vector<int64_t>{200, 404, 500, 502}));
  EXPECT_EQ(values.int_codes, (std::vector<uint8_t>{3, 0, kAbsentIntCode, 1, 0, 2, kAbsentIntCode, 0}));
  EXPECT_EQ(values.code_starts, (std::vector<uint32_t>{0, 3, 4, 5, 6}));
  EXPECT_EQ(values.code_rows, (std::vector<uint16_t>{1, 4, 7, 3, 5, 0}));
}

TEST(IntCodesTest, WideOrManyValuedColumnsGetNone) {
  ColumnValues wide;
  wide.ints = {0, 4096};
  AddIntCodes(&wide);
  EXPECT_TRUE(wide.int_codes.empty());
  EXPECT_TRUE(wide.code_rows.empty());

  ColumnValues narrow;  // a span of 4095 is still coded
  narrow.ints = {-5, 4090, -5};
  AddIntCodes(&narrow);
  EXPECT_EQ(narrow.int_dictionary, (std::vector<int64_t>{-5, 4090}));
  EXPECT_EQ(narrow.int_codes, (std::vector<uint8_t>{0, 1, 0}));

  ColumnValues many;  // 256 distinct values: one more than the codes hold
  for (int64_t v = 0; v < 256; ++v) many.ints.push_back(v);
  AddIntCodes(&many);
  EXPECT_TRUE(many.int_codes.empty());
  many.ints.pop_back();
  AddIntCodes(&many);
  EXPECT_EQ(many.int_dictionary.size(), 255u);

  ColumnValues absent;  // no present value
  absent.ints = {0, 0};
  absent.present = {0, 0};
  AddIntCodes(&absent);
  EXPECT_TRUE(absent.int_codes.empty());
}

TEST(DoubleEncodingTest, RoundTrip) {
  std::vector<double> values = {0.5, -3.25, 1e300};
  std::vector<uint8_t> present = {1, 0, 1, 1};
  std::string encoded;
  EncodeDoubles(values, present, 4, &encoded);
  ColumnValues out;
  ASSERT_TRUE(DecodeDoubles(encoded, 4, &out).ok());
  EXPECT_EQ(out.doubles, (std::vector<double>{0.5, 0, -3.25, 1e300}));
  EXPECT_FALSE(out.Has(1));
}

TEST(StringEncodingTest, DictionaryForRepeatsPlainForUniques) {
  std::vector<std::string> routes;
  for (int i = 0; i < 1000; ++i) routes.push_back(i % 3 == 0 ? "/api/users" : "/api/orders");
  std::string dict;
  EncodeStrings(routes, {}, 1000, &dict);
  EXPECT_EQ(dict[0], 0);  // dictionary
  EXPECT_LT(dict.size(), 300u);  // 2 bits a row
  ColumnValues out;
  ASSERT_TRUE(DecodeStrings(dict, 1000, &out).ok());
  EXPECT_EQ(out.dictionary.size(), 2u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(out.dictionary[out.codes[i] - 1], routes[i]);

  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.push_back("user-" + std::to_string(i));
  std::vector<uint8_t> present(150, 1);
  for (int i = 100; i < 150; ++i) present[i] = 0;
  std::string plain;
  EncodeStrings(ids, present, 150, &plain);
  EXPECT_EQ(plain[0], 1);  // plain
  ASSERT_TRUE(DecodeStrings(plain, 150, &out).ok());
  EXPECT_EQ(out.dictionary[out.codes[42] - 1], "user-42");
  EXPECT_FALSE(out.Has(120));
}

TEST(StringEncodingTest, AbsentRowsInDictionaryMode) {
  std::vector<std::string> values = {"a", "a", "a"};
  std::vector<uint8_t> present = {1, 0, 1, 0, 1};
  std::string encoded;
  EncodeStrings(values, present, 5, &encoded);
  ColumnValues out;
  ASSERT_TRUE(DecodeStrings(encoded, 5, &out).ok());
  EXPECT_EQ(out.present, present);
  EXPECT_EQ(out.codes, (std::vector<uint32_t>{1, 0, 1, 0, 1}));
}

TEST(FixedBytesTest, RunLengthForSortedTraceIds) {
  std::string bytes;
  for (int t = 0; t < 10; ++t) {
    for (int s = 0; s < 20; ++s) bytes.append(std::string(16, static_cast<char>('a' + t)));
  }
  std::string encoded;
  EncodeFixedBytes(bytes, 16, &encoded);
  EXPECT_LT(encoded.size(), 10u * 18 + 3);
  ColumnValues out;
  ASSERT_TRUE(DecodeFixedBytes(encoded, 200, 16, &out).ok());
  EXPECT_EQ(out.fixed, bytes);

  std::string random_ids;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 50; ++i) {
    uint64_t v = rng();
    random_ids.append(reinterpret_cast<const char*>(&v), 8);
  }
  encoded.clear();
  EncodeFixedBytes(random_ids, 8, &encoded);
  EXPECT_EQ(encoded.size(), random_ids.size() + 1);  // raw
  ASSERT_TRUE(DecodeFixedBytes(encoded, 50, 8, &out).ok());
  EXPECT_EQ(out.fixed, random_ids);
}

TEST(FixedBytesTest, ParentSpanIdsAsRowReferences) {
  // Rows: a root, two children of it, one child of an unknown parent (another dataset).
  std::string spans = std::string("AAAAAAAA") + "BBBBBBBB" + "CCCCCCCC" + "DDDDDDDD";
  std::string parents = std::string(8, '\0') + "AAAAAAAA" + "AAAAAAAA" + "ZZZZZZZZ";
  std::string encoded;
  EncodeSpanReferences(parents, spans, 8, &encoded);
  EXPECT_LT(encoded.size(), 1u + 3 + 1 + 8 + 1);  // three one-byte references, one literal
  ColumnValues out;
  ASSERT_TRUE(DecodeFixedBytes(encoded, 4, 8, &out, &spans).ok());
  EXPECT_EQ(out.fixed, parents);
  EXPECT_FALSE(DecodeFixedBytes(encoded, 4, 8, &out).ok());  // needs the span ids
  for (size_t n = 0; n < encoded.size(); ++n) (void)DecodeFixedBytes(encoded.substr(0, n), 4, 8, &out, &spans);
}

// Every truncation and every single-byte change of an encoded column either decodes or
// fails cleanly (the sanitizer build catches any out-of-bounds access).
TEST(ColumnDecodingTest, CorruptInputFailsCleanly) {
  std::vector<int64_t> ints = {1, 5, 9, 1000, -4};
  std::vector<std::string> strings = {"GET", "POST", "GET", "GET", "PUT"};
  std::string fixed(5 * 16, 'x');
  std::vector<std::string> encoded(3);
  EncodeInts(ints, {}, 5, &encoded[0]);
  EncodeStrings(strings, {}, 5, &encoded[1]);
  EncodeFixedBytes(fixed, 16, &encoded[2]);
  for (size_t kind = 0; kind < encoded.size(); ++kind) {
    const std::string& good = encoded[kind];
    auto decode = [&](std::string_view data) {
      ColumnValues out;
      absl::Status s = kind == 0 ? DecodeInts(data, 5, &out)
                     : kind == 1 ? DecodeStrings(data, 5, &out)
                                 : DecodeFixedBytes(data, 5, 16, &out);
      if (s.ok()) {
        EXPECT_EQ(kind == 2 ? out.fixed.size() / 16 : (kind == 0 ? out.ints.size() : out.codes.size()), 5u);
      }
    };
    for (size_t n = 0; n < good.size(); ++n) decode(good.substr(0, n));
    for (size_t i = 0; i < good.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
        decode(bad);
      }
    }
  }
  ColumnValues out;
  EXPECT_FALSE(DecodeInts(encoded[0], kMaxBlockRows + 1, &out).ok());
}

TEST(ChunkCompressionTest, RoundTripAndLimits) {
  std::string raw(100000, 'w');
  std::string compressed = CompressChunk(raw, 3);
  EXPECT_LT(compressed.size(), 1000u);
  auto back = DecompressChunk(compressed, 1 << 20);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, raw);
  EXPECT_FALSE(DecompressChunk(compressed, 1000).ok());  // larger than allowed
  EXPECT_FALSE(DecompressChunk("not zstd", 1 << 20).ok());
  compressed[compressed.size() / 2] ^= 0x55;
  auto corrupt = DecompressChunk(compressed, 1 << 20);
  if (corrupt.ok()) {
    EXPECT_EQ(corrupt->size(), raw.size());
  }
}

}  // namespace
}  // namespace waggle::store
