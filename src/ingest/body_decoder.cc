#include "ingest/body_decoder.h"

#include <zlib.h>
#include <zstd.h>

#include <memory>

#include "common/errors.h"
#include "common/strings.h"

namespace waggle::ingest {
namespace {

constexpr size_t kChunk = 64 * 1024;

absl::Status TooLarge(size_t max_decoded_bytes) {
  return TooLargeError(StrCat(
      "decompressed body exceeds the limit of ", max_decoded_bytes,
      " bytes; send smaller batches (for example lower the exporter's max batch size)"));
}

absl::StatusOr<std::string> Gunzip(std::string_view in, size_t max_decoded_bytes) {
  z_stream zs{};
  // 16 + MAX_WBITS: expect a gzip header (32 would also take zlib; OTLP says gzip).
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return absl::InternalError("cannot initialise zlib");
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() >= max_decoded_bytes) return TooLarge(max_decoded_bytes);
    size_t old_size = out.size();
    size_t grow = std::min(kChunk, max_decoded_bytes - old_size);
    out.resize(old_size + grow);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
    zs.avail_out = static_cast<uInt>(grow);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(old_size + grow - zs.avail_out);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK) {
      if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
        return absl::InvalidArgumentError("gzip body is truncated");
      }
      return absl::InvalidArgumentError(
          StrCat("gzip body is corrupt: ", zs.msg ? zs.msg : "inflate failed"));
    }
    if (zs.avail_in == 0 && zs.avail_out != 0) {
      return absl::InvalidArgumentError("gzip body is truncated");
    }
  }
  return out;
}

absl::StatusOr<std::string> Unzstd(std::string_view in, size_t max_decoded_bytes) {
  std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream*)> stream(ZSTD_createDStream(),
                                                                  ZSTD_freeDStream);
  if (!stream) return absl::InternalError("cannot initialise zstd");
  ZSTD_initDStream(stream.get());
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::string out;
  size_t last = 1;
  while (input.pos < input.size || last != 0) {
    if (out.size() >= max_decoded_bytes) return TooLarge(max_decoded_bytes);
    size_t old_size = out.size();
    size_t grow = std::min(kChunk, max_decoded_bytes - old_size);
    out.resize(old_size + grow);
    ZSTD_outBuffer output{out.data() + old_size, grow, 0};
    last = ZSTD_decompressStream(stream.get(), &output, &input);
    out.resize(old_size + output.pos);
    if (ZSTD_isError(last)) {
      return absl::InvalidArgumentError(
          StrCat("zstd body is corrupt: ", ZSTD_getErrorName(last)));
    }
    if (input.pos == input.size && last != 0 && output.pos < grow) {
      return absl::InvalidArgumentError("zstd body is truncated");
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> DecodeBody(std::string_view content_encoding, std::string body,
                                       size_t max_decoded_bytes) {
  std::string encoding = AsciiLower(TrimAsciiWhitespace(content_encoding));
  if (encoding.empty() || encoding == "identity") {
    if (body.size() > max_decoded_bytes) return TooLarge(max_decoded_bytes);
    return body;
  }
  if (encoding == "gzip" || encoding == "x-gzip") return Gunzip(body, max_decoded_bytes);
  if (encoding == "zstd") return Unzstd(body, max_decoded_bytes);
  return absl::UnimplementedError(StrCat("unsupported Content-Encoding '", encoding,
                                               "'; use gzip, zstd or none"));
}

}  // namespace waggle::ingest
