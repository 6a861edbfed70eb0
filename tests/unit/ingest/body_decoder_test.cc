#include "ingest/body_decoder.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include "common/errors.h"

namespace waggle::ingest {
namespace {

std::string Gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Zstd(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
  return out;
}

TEST(BodyDecoderTest, IdentityPassesThrough) {
  EXPECT_EQ(*DecodeBody("", "hello", 100), "hello");
  EXPECT_EQ(*DecodeBody("identity", "hello", 100), "hello");
}

TEST(BodyDecoderTest, GzipAndZstdRoundTrip) {
  std::string big(300000, 'x');
  for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
  EXPECT_EQ(*DecodeBody("gzip", Gzip(big), 1 << 20), big);
  EXPECT_EQ(*DecodeBody("GZIP", Gzip(big), 1 << 20), big);
  EXPECT_EQ(*DecodeBody("zstd", Zstd(big), 1 << 20), big);
}

TEST(BodyDecoderTest, BombsStopAtTheLimit) {
  std::string zeros(10 << 20, '\0');  // 10 MiB compresses to a few KiB
  std::string gz = Gzip(zeros);
  ASSERT_LT(gz.size(), 64u * 1024);
  auto gz_result = DecodeBody("gzip", gz, 1 << 20);
  EXPECT_EQ(gz_result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(KindOf(gz_result.status()), ErrorKind::kTooLarge);  // 413, not a full disk's 503
  auto zstd_result = DecodeBody("zstd", Zstd(zeros), 1 << 20);
  EXPECT_EQ(zstd_result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(DecodeBody("", std::string(200, 'x'), 100).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(BodyDecoderTest, CorruptAndTruncatedStreamsAreInvalid) {
  std::string gz = Gzip("hello hello hello hello");
  EXPECT_EQ(DecodeBody("gzip", gz.substr(0, gz.size() / 2), 1000).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeBody("gzip", "not gzip at all", 1000).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string zs = Zstd("hello hello hello hello");
  EXPECT_EQ(DecodeBody("zstd", zs.substr(0, zs.size() - 3), 1000).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeBody("zstd", "garbage!", 1000).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BodyDecoderTest, UnknownEncodingIsUnimplemented) {
  EXPECT_EQ(DecodeBody("br", "x", 10).status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace waggle::ingest
