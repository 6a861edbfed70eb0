// Encodings of one column of one block of a part (store/part_format.h). Each encoder writes a
// self-describing byte string that the part writer then compresses with zstd; the decoders
// check every length and value against the block's row count, so corrupt input yields an
// error, never a crash or an oversized allocation.
//
//   presence := varint(present_count) [bitmap of ceil(rows/8) bytes, when some row is absent]
//   ints     := presence [u8 mode(0 frame-of-reference | 1 delta) signed(base) [signed(first)]
//                         u8(bit width) bit-packed values]
//             | presence u8(2: trace-relative) signed(base) u8(width) signed(delta base) u8(width)
//                         bit-packed trace starts, bit-packed deltas from the previous row
//   doubles  := presence f64*
//   strings  := u8(0) varint(dictionary size) string* u8(width) bit-packed codes (0 = absent)
//             | u8(1) presence string*                      (plain, when values rarely repeat)
//   fixed    := u8(0) bytes(rows * width) | u8(1) varint(runs) (bytes(width) varint(run))*
//             | u8(2) reference*      (parent span ids, given the block's span ids)
//   reference := varint(0: all-zero id | 1: literal, bytes(width) follow
//                       | zigzag(row - referenced row) + 2: the span id of another row)
//
// Values are bit-packed at the smallest width that holds (value - base): frame of reference
// for unordered values such as durations, delta for sorted ones, and trace-relative for
// start times in a part sorted by trace: the first span of each trace against the block's
// earliest, the others as the (small) step from the previous span of the same trace.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace waggle::store {

// Blocks hold at most this many rows; a decoder refuses larger counts.
inline constexpr uint32_t kMaxBlockRows = 1u << 16;

// A decoded column of one block. Every vector is indexed by row (absent rows hold zero or
// code 0); only the vectors of the column's physical type are filled.
struct ColumnValues {
  std::vector<uint8_t> present;  // one byte per row; empty when every row has a value
  std::vector<int64_t> ints;
  std::vector<double> doubles;
  // Strings: codes index the dictionary, minus one. The views point into the decoded bytes,
  // which `storage` keeps alive (PartReader sets it, as do event batches; a caller of
  // DecodeStrings keeps the input alive itself): no allocation per string.
  std::vector<std::string_view> dictionary;
  std::shared_ptr<const void> storage;
  std::vector<uint32_t> codes;          // strings: 0 = absent
  std::string fixed;                    // fixed-width bytes: rows * width
  uint32_t width = 0;
  // Ints of few distinct values (a status code), also as a byte a row (AddIntCodes):
  // int_codes[row] indexes int_dictionary (ascending), or is kAbsentIntCode. Empty otherwise.
  // Filters test each distinct value once, then read a byte a row instead of eight; a range
  // of values is a range of codes.
  std::vector<int64_t> int_dictionary;
  std::vector<uint8_t> int_codes;
  // The rows of each of those codes, ascending (an inverted index of the block): code c's
  // rows are code_rows[code_starts[c] .. code_starts[c + 1]). A selective filter (status >=
  // 500) takes its rows from here instead of testing every row.
  std::vector<uint32_t> code_starts;
  std::vector<uint16_t> code_rows;

  bool Has(size_t row) const { return present.empty() || present[row] != 0; }
};

inline constexpr uint8_t kAbsentIntCode = 255;

// Fills int_dictionary, int_codes, code_starts and code_rows when the present values of an int
// column span less than 4096 and hold at most 255 distinct values; otherwise leaves them empty.
void AddIntCodes(ColumnValues* values);

// `present` has one byte per row, or is empty when every row has a value; `values` holds
// the values of the present rows only, in row order.
// `trace_ids` (16 bytes a row), when given, allows the trace-relative mode.
void EncodeInts(std::span<const int64_t> values, const std::vector<uint8_t>& present,
                uint32_t rows, std::string* out, const std::string* trace_ids = nullptr);
void EncodeDoubles(std::span<const double> values, const std::vector<uint8_t>& present,
                   uint32_t rows, std::string* out);
// `dictionary`, when given, gets the distinct values of a dictionary-encoded column (left
// empty when the column went plain).
void EncodeStrings(std::span<const std::string_view> values, const std::vector<uint8_t>& present,
                   uint32_t rows, std::string* out, std::vector<std::string_view>* dictionary = nullptr);
// `bytes` holds rows * width bytes; runs of equal values are run-length encoded when that
// is smaller (trace ids, sorted within a part, repeat once per span of the trace).
void EncodeFixedBytes(std::string_view bytes, uint32_t width, std::string* out);

absl::Status DecodeInts(std::string_view data, uint32_t rows, ColumnValues* out,
                        const std::string* trace_ids = nullptr);
absl::Status DecodeDoubles(std::string_view data, uint32_t rows, ColumnValues* out);
absl::Status DecodeStrings(std::string_view data, uint32_t rows, ColumnValues* out);
// Parent span ids mostly name another row's span id in the same block (rows are sorted by
// trace): each becomes a small row distance instead of 8 random bytes.
void EncodeSpanReferences(std::string_view parents, std::string_view span_ids, uint32_t width,
                          std::string* out);
// `references` is the block's span id column, needed by mode 2 only.
absl::Status DecodeFixedBytes(std::string_view data, uint32_t rows, uint32_t width,
                              ColumnValues* out, const std::string* references = nullptr);

// Bit packing of unsigned values at `width` bits each (0..64), little-endian bit order.
void PackBits(std::span<const uint64_t> values, int width, std::string* out);
// Reads `count` values; false when `data` is too short.
bool UnpackBits(std::string_view data, size_t count, int width, uint64_t* out);
int BitWidth(uint64_t max_value);

// zstd, one frame per column chunk.
std::string CompressChunk(std::string_view raw, int level);
absl::StatusOr<std::string> DecompressChunk(std::string_view compressed, size_t max_size);

}  // namespace waggle::store
