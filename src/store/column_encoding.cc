#include "store/column_encoding.h"

#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <memory>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "common/strings.h"
#include "store/byte_io.h"

namespace waggle::store {
namespace {

enum IntMode : uint8_t { kFrameOfReference = 0, kDelta = 1, kTraceRelative = 2 };
enum StringMode : uint8_t { kDictionary = 0, kPlain = 1 };
enum FixedMode : uint8_t { kRawBytes = 0, kRunLength = 1, kSpanReference = 2 };

// XXH3 over std::hash: half the time of the whole string column encoding (store_bench).
struct StringHash {
  size_t operator()(std::string_view s) const { return XXH3_64bits(s.data(), s.size()); }
};

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(StrCat("corrupt column chunk: ", what));
}

void EncodePresence(const std::vector<uint8_t>& present, uint32_t rows, size_t present_count,
                    ByteWriter& w) {
  w.Varint(present_count);
  if (present_count == rows) return;
  std::string bitmap((rows + 7) / 8, '\0');
  for (uint32_t r = 0; r < rows; ++r) {
    if (present[r]) bitmap[r / 8] = static_cast<char>(bitmap[r / 8] | (1 << (r % 8)));
  }
  w.Raw(bitmap);
}

// Reads the presence header; returns the number of present rows.
absl::StatusOr<uint32_t> DecodePresence(ByteReader& r, uint32_t rows, ColumnValues* out) {
  uint64_t present_count = r.Varint();
  if (!r.ok() || present_count > rows) return Corrupt("presence count");
  out->present.clear();
  if (present_count == rows) return static_cast<uint32_t>(present_count);
  std::string_view bitmap = r.Raw((rows + 7) / 8);
  if (!r.ok()) return Corrupt("presence bitmap");
  out->present.resize(rows);
  uint32_t counted = 0;
  for (uint32_t i = 0; i < rows; ++i) {
    out->present[i] = (static_cast<uint8_t>(bitmap[i / 8]) >> (i % 8)) & 1;
    counted += out->present[i];
  }
  if (counted != present_count) return Corrupt("presence bitmap disagrees with its count");
  return counted;
}

template <typename T>
void Scatter(const std::vector<T>& dense_present_values, const std::vector<uint8_t>& present,
             uint32_t rows, std::vector<T>* out) {
  if (present.empty()) {
    *out = dense_present_values;
    return;
  }
  out->assign(rows, T{});
  size_t next = 0;
  for (uint32_t r = 0; r < rows; ++r) {
    if (present[r]) (*out)[r] = dense_present_values[next++];
  }
}

}  // namespace

int BitWidth(uint64_t max_value) { return max_value == 0 ? 0 : 64 - std::countl_zero(max_value); }

void PackBits(std::span<const uint64_t> values, int width, std::string* out) {
  if (width == 0) return;
  const size_t total_bytes = (values.size() * static_cast<size_t>(width) + 7) / 8;
  const size_t start = out->size();
  out->resize(start + total_bytes + 8, '\0');  // slack for the last unaligned store
  char* base = out->data() + start;
  const uint64_t mask = width == 64 ? ~0ull : (1ull << width) - 1;
  size_t bit = 0;
  for (uint64_t value : values) {
    value &= mask;
    const size_t byte = bit / 8;
    const int shift = static_cast<int>(bit % 8);
    uint64_t word;
    std::memcpy(&word, base + byte, 8);
    word |= value << shift;
    std::memcpy(base + byte, &word, 8);
    if (shift + width > 64) base[byte + 8] = static_cast<char>(value >> (64 - shift));
    bit += static_cast<size_t>(width);
  }
  out->resize(start + total_bytes);
}

bool UnpackBits(std::string_view data, size_t count, int width, uint64_t* out) {
  if (width == 0) {
    std::fill(out, out + count, 0);
    return true;
  }
  if (width > 64) return false;
  const size_t total_bytes = (count * static_cast<size_t>(width) + 7) / 8;
  if (data.size() < total_bytes) return false;
  const uint64_t mask = width == 64 ? ~0ull : (1ull << width) - 1;
  // Fast path reads 9 bytes at a time; copy the tail into a padded buffer first.
  std::string padded(data.substr(0, total_bytes));
  padded.resize(total_bytes + 16, '\0');
  const auto* base = reinterpret_cast<const uint8_t*>(padded.data());
  size_t bit = 0;
  for (size_t i = 0; i < count; ++i) {
    const size_t byte = bit / 8;
    const int shift = static_cast<int>(bit % 8);
    uint64_t word;
    std::memcpy(&word, base + byte, 8);
    uint64_t value = word >> shift;
    if (shift + width > 64) value |= static_cast<uint64_t>(base[byte + 8]) << (64 - shift);
    out[i] = value & mask;
    bit += static_cast<size_t>(width);
  }
  return true;
}

namespace {

bool StartsTrace(const std::string& trace_ids, size_t row) {
  return row == 0 || std::memcmp(trace_ids.data() + row * 16, trace_ids.data() + (row - 1) * 16, 16) != 0;
}

struct Range {
  uint64_t min = 0;
  uint64_t max = 0;
  size_t count = 0;
  void Add(int64_t v) {
    // Ordered as signed values, kept in their unsigned bits for wrapping subtraction.
    if (count == 0 || v < static_cast<int64_t>(min)) min = static_cast<uint64_t>(v);
    if (count == 0 || v > static_cast<int64_t>(max)) max = static_cast<uint64_t>(v);
    ++count;
  }
  int Width() const { return count == 0 ? 0 : BitWidth(max - min); }
  uint64_t Bits() const { return static_cast<uint64_t>(Width()) * count; }
};

}  // namespace

void EncodeInts(std::span<const int64_t> values, const std::vector<uint8_t>& present,
                uint32_t rows, std::string* out, const std::string* trace_ids) {
  ByteWriter w(out);
  EncodePresence(present, rows, values.size(), w);
  if (values.empty()) return;
  if (trace_ids != nullptr && values.size() == rows && trace_ids->size() == rows * 16ull) {
    Range all, starts, steps, deltas;
    for (size_t i = 0; i < values.size(); ++i) {
      all.Add(values[i]);
      if (i > 0) deltas.Add(static_cast<int64_t>(static_cast<uint64_t>(values[i]) - static_cast<uint64_t>(values[i - 1])));
      if (StartsTrace(*trace_ids, i)) {
        starts.Add(values[i]);
      } else {
        steps.Add(static_cast<int64_t>(static_cast<uint64_t>(values[i]) - static_cast<uint64_t>(values[i - 1])));
      }
    }
    if (starts.Bits() + steps.Bits() < std::min(all.Bits(), deltas.Bits())) {
      w.Byte(kTraceRelative);
      w.Signed(static_cast<int64_t>(starts.min));
      w.Byte(static_cast<uint8_t>(starts.Width()));
      w.Signed(static_cast<int64_t>(steps.min));
      w.Byte(static_cast<uint8_t>(steps.Width()));
      std::vector<uint64_t> packed_starts, packed_steps;
      for (size_t i = 0; i < values.size(); ++i) {
        if (StartsTrace(*trace_ids, i)) {
          packed_starts.push_back(static_cast<uint64_t>(values[i]) - starts.min);
        } else {
          packed_steps.push_back(static_cast<uint64_t>(values[i]) - static_cast<uint64_t>(values[i - 1]) - steps.min);
        }
      }
      PackBits(packed_starts, starts.Width(), out);
      PackBits(packed_steps, steps.Width(), out);
      return;
    }
  }
  // Frame of reference: value - min. Delta: (v[i] - v[i-1]) - min delta. Both in wrapping
  // unsigned arithmetic, so extreme values cannot overflow.
  auto [min_it, max_it] = std::minmax_element(values.begin(), values.end());
  const int64_t min_value = *min_it;
  const uint64_t for_range = static_cast<uint64_t>(*max_it) - static_cast<uint64_t>(min_value);
  int64_t min_delta = std::numeric_limits<int64_t>::max();
  int64_t max_delta = std::numeric_limits<int64_t>::min();
  for (size_t i = 1; i < values.size(); ++i) {
    auto d = static_cast<int64_t>(static_cast<uint64_t>(values[i]) - static_cast<uint64_t>(values[i - 1]));
    min_delta = std::min(min_delta, d);
    max_delta = std::max(max_delta, d);
  }
  const bool use_delta =
      values.size() > 1 &&
      BitWidth(static_cast<uint64_t>(max_delta) - static_cast<uint64_t>(min_delta)) < BitWidth(for_range);
  std::vector<uint64_t> packed;
  if (use_delta) {
    const int width = BitWidth(static_cast<uint64_t>(max_delta) - static_cast<uint64_t>(min_delta));
    w.Byte(kDelta);
    w.Signed(min_delta);
    w.Signed(values[0]);
    w.Byte(static_cast<uint8_t>(width));
    packed.reserve(values.size() - 1);
    for (size_t i = 1; i < values.size(); ++i) {
      uint64_t d = static_cast<uint64_t>(values[i]) - static_cast<uint64_t>(values[i - 1]);
      packed.push_back(d - static_cast<uint64_t>(min_delta));
    }
    PackBits(packed, width, out);
  } else {
    const int width = BitWidth(for_range);
    w.Byte(kFrameOfReference);
    w.Signed(min_value);
    w.Byte(static_cast<uint8_t>(width));
    packed.reserve(values.size());
    for (int64_t v : values) packed.push_back(static_cast<uint64_t>(v) - static_cast<uint64_t>(min_value));
    PackBits(packed, width, out);
  }
}

absl::Status DecodeInts(std::string_view data, uint32_t rows, ColumnValues* out,
                        const std::string* trace_ids) {
  if (rows > kMaxBlockRows) return Corrupt("row count");
  ByteReader r(data);
  auto present_count = DecodePresence(r, rows, out);
  if (!present_count.ok()) return present_count.status();
  std::vector<int64_t> values(*present_count);
  if (*present_count > 0 && data.size() > r.remaining() && r.remaining() > 0 &&
      static_cast<uint8_t>(data[data.size() - r.remaining()]) == kTraceRelative) {
    r.Byte();
    if (trace_ids == nullptr || trace_ids->size() != rows * 16ull || *present_count != rows) {
      return Corrupt("trace-relative integers without the block's trace ids");
    }
    const uint64_t starts_base = static_cast<uint64_t>(r.Signed());
    const int starts_width = r.Byte();
    const uint64_t steps_base = static_cast<uint64_t>(r.Signed());
    const int steps_width = r.Byte();
    if (!r.ok() || starts_width > 64 || steps_width > 64) return Corrupt("trace-relative header");
    size_t nstarts = 0;
    for (size_t i = 0; i < rows; ++i) nstarts += StartsTrace(*trace_ids, i);
    std::vector<uint64_t> starts(nstarts), steps(rows - nstarts);
    std::string_view packed_starts = r.Raw((nstarts * static_cast<size_t>(starts_width) + 7) / 8);
    std::string_view packed_steps = r.Raw(r.remaining());
    if (!r.ok() || !UnpackBits(packed_starts, nstarts, starts_width, starts.data()) ||
        !UnpackBits(packed_steps, steps.size(), steps_width, steps.data())) {
      return Corrupt("trace-relative values");
    }
    size_t next_start = 0, next_step = 0;
    for (size_t i = 0; i < rows; ++i) {
      if (StartsTrace(*trace_ids, i)) {
        values[i] = static_cast<int64_t>(starts[next_start++] + starts_base);
      } else {
        values[i] = static_cast<int64_t>(static_cast<uint64_t>(values[i - 1]) + steps[next_step++] + steps_base);
      }
    }
    out->ints = std::move(values);
    return absl::OkStatus();
  }
  if (*present_count > 0) {
    const uint8_t mode = r.Byte();
    const uint64_t base = static_cast<uint64_t>(r.Signed());
    const uint64_t first = mode == kDelta ? static_cast<uint64_t>(r.Signed()) : 0;
    const int width = r.Byte();
    if (!r.ok() || mode > kDelta || width > 64) return Corrupt("integer header");
    const size_t packed_count = mode == kDelta ? values.size() - 1 : values.size();
    std::vector<uint64_t> packed(packed_count);
    std::string_view rest = r.Raw(r.remaining());
    if (!UnpackBits(rest, packed_count, width, packed.data())) return Corrupt("integer values");
    if (mode == kDelta) {
      uint64_t v = first;
      values[0] = static_cast<int64_t>(v);
      for (size_t i = 0; i < packed_count; ++i) {
        v += packed[i] + base;
        values[i + 1] = static_cast<int64_t>(v);
      }
    } else {
      for (size_t i = 0; i < packed_count; ++i) values[i] = static_cast<int64_t>(packed[i] + base);
    }
  }
  Scatter(values, out->present, rows, &out->ints);
  return absl::OkStatus();
}

void AddIntCodes(ColumnValues* values) {
  const std::vector<int64_t>& ints = values->ints;
  const size_t rows = ints.size();
  if (rows == 0 || rows > kMaxBlockRows) return;  // code_rows holds 16-bit rows
  // The range first (one pass): wide columns (durations, times) leave at once.
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (size_t row = 0; row < rows; ++row) {
    if (!values->Has(row)) continue;
    lo = std::min(lo, ints[row]);
    hi = std::max(hi, ints[row]);
  }
  constexpr uint64_t kMaxSpan = 4096;
  if (lo > hi || static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) >= kMaxSpan) return;
  // Rows per value, then codes by walking the values in order: a range of values is a range
  // of codes.
  const auto span = static_cast<size_t>(hi - lo) + 1;
  std::array<uint16_t, kMaxSpan> code_of{};  // rows of value lo + i, then its code
  std::array<uint32_t, kMaxSpan> count_of{};
  for (size_t row = 0; row < rows; ++row) {
    if (values->Has(row)) ++count_of[static_cast<size_t>(ints[row] - lo)];
  }
  std::vector<int64_t> dictionary;
  std::vector<uint32_t> starts(1, 0);
  for (size_t i = 0; i < span; ++i) {
    if (count_of[i] == 0) continue;
    if (dictionary.size() == kAbsentIntCode) return;  // too many distinct values
    code_of[i] = static_cast<uint16_t>(dictionary.size());
    dictionary.push_back(lo + static_cast<int64_t>(i));
    starts.push_back(starts.back() + count_of[i]);
  }
  std::vector<uint8_t> codes(rows, kAbsentIntCode);
  std::vector<uint16_t> code_rows(starts.back());
  std::vector<uint32_t> next(starts.begin(), starts.end() - 1);
  for (size_t row = 0; row < rows; ++row) {
    if (!values->Has(row)) continue;
    const auto code = static_cast<uint8_t>(code_of[static_cast<size_t>(ints[row] - lo)]);
    codes[row] = code;
    code_rows[next[code]++] = static_cast<uint16_t>(row);
  }
  values->int_dictionary = std::move(dictionary);
  values->int_codes = std::move(codes);
  values->code_starts = std::move(starts);
  values->code_rows = std::move(code_rows);
}

void EncodeDoubles(std::span<const double> values, const std::vector<uint8_t>& present,
                   uint32_t rows, std::string* out) {
  ByteWriter w(out);
  EncodePresence(present, rows, values.size(), w);
  for (double d : values) w.Double(d);
}

absl::Status DecodeDoubles(std::string_view data, uint32_t rows, ColumnValues* out) {
  if (rows > kMaxBlockRows) return Corrupt("row count");
  ByteReader r(data);
  auto present_count = DecodePresence(r, rows, out);
  if (!present_count.ok()) return present_count.status();
  if (r.remaining() != *present_count * 8ull) return Corrupt("double values");
  std::vector<double> values(*present_count);
  for (double& d : values) d = r.Double();
  Scatter(values, out->present, rows, &out->doubles);
  return absl::OkStatus();
}

void EncodeStrings(std::span<const std::string_view> values, const std::vector<uint8_t>& present,
                   uint32_t rows, std::string* out, std::vector<std::string_view>* dictionary_out) {
  ByteWriter w(out);
  // A flat map: std::unordered_map's node per distinct value was a malloc each, most of a
  // flush's time in libc on X-Ray's documents (unique text).
  absl::flat_hash_map<std::string_view, uint32_t, StringHash> codes;
  codes.reserve(values.size() / 4 + 16);
  std::vector<std::string_view> dictionary;
  std::vector<uint32_t> value_codes;
  value_codes.reserve(values.size());
  // A dictionary pays when values repeat; ids and free text go plain, known as soon as half
  // the values are distinct (the rest need no hashing).
  bool plain = false;
  for (std::string_view v : values) {
    auto [it, inserted] = codes.emplace(v, static_cast<uint32_t>(dictionary.size() + 1));
    if (inserted) dictionary.push_back(v);
    value_codes.push_back(it->second);
    if (dictionary.size() * 2 > values.size()) {
      plain = true;
      break;
    }
  }
  if (plain) {
    if (dictionary_out != nullptr) dictionary_out->clear();
    w.Byte(kPlain);
    EncodePresence(present, rows, values.size(), w);
    for (std::string_view v : values) w.String(v);
    return;
  }
  w.Byte(kDictionary);
  w.Varint(dictionary.size());
  for (std::string_view s : dictionary) w.String(s);
  const int width = BitWidth(dictionary.size());
  w.Byte(static_cast<uint8_t>(width));
  std::vector<uint64_t> row_codes(rows, 0);
  size_t next = 0;
  for (uint32_t r = 0; r < rows; ++r) {
    if (present.empty() || present[r]) row_codes[r] = value_codes[next++];
  }
  PackBits(row_codes, width, out);
  if (dictionary_out != nullptr) *dictionary_out = std::move(dictionary);
}

absl::Status DecodeStrings(std::string_view data, uint32_t rows, ColumnValues* out) {
  if (rows > kMaxBlockRows) return Corrupt("row count");
  ByteReader r(data);
  const uint8_t mode = r.Byte();
  out->dictionary.clear();
  out->present.clear();
  if (mode == kPlain) {
    auto present_count = DecodePresence(r, rows, out);
    if (!present_count.ok()) return present_count.status();
    out->dictionary.reserve(*present_count);
    for (uint32_t i = 0; i < *present_count; ++i) out->dictionary.push_back(r.Raw(r.Varint()));
    if (!r.ok() || r.remaining() != 0) return Corrupt("plain strings");
    out->codes.assign(rows, 0);
    uint32_t next = 0;
    for (uint32_t row = 0; row < rows; ++row) {
      if (out->Has(row)) out->codes[row] = ++next;
    }
    return absl::OkStatus();
  }
  if (mode != kDictionary) return Corrupt("string mode");
  const uint64_t dictionary_size = r.Varint();
  if (!r.ok() || dictionary_size > rows) return Corrupt("dictionary size");
  out->dictionary.reserve(dictionary_size);
  for (uint64_t i = 0; i < dictionary_size; ++i) out->dictionary.push_back(r.Raw(r.Varint()));
  const int width = r.Byte();
  if (!r.ok() || width != BitWidth(dictionary_size)) return Corrupt("dictionary");
  std::vector<uint64_t> codes(rows);
  if (!UnpackBits(r.Raw(r.remaining()), rows, width, codes.data())) return Corrupt("string codes");
  out->codes.resize(rows);
  bool any_absent = false;
  for (uint32_t row = 0; row < rows; ++row) {
    if (codes[row] > dictionary_size) return Corrupt("string code out of range");
    out->codes[row] = static_cast<uint32_t>(codes[row]);
    any_absent |= codes[row] == 0;
  }
  if (any_absent) {
    out->present.resize(rows);
    for (uint32_t row = 0; row < rows; ++row) out->present[row] = out->codes[row] != 0;
  }
  return absl::OkStatus();
}

void EncodeFixedBytes(std::string_view bytes, uint32_t width, std::string* out) {
  ByteWriter w(out);
  const size_t rows = width == 0 ? 0 : bytes.size() / width;
  size_t runs = 0;
  for (size_t i = 0; i < rows; ++i) {
    if (i == 0 || bytes.compare(i * width, width, bytes, (i - 1) * width, width) != 0) ++runs;
  }
  if (runs * (width + 2) >= bytes.size()) {
    w.Byte(kRawBytes);
    w.Raw(bytes);
    return;
  }
  w.Byte(kRunLength);
  w.Varint(runs);
  size_t i = 0;
  while (i < rows) {
    size_t j = i + 1;
    while (j < rows && bytes.compare(j * width, width, bytes, i * width, width) == 0) ++j;
    w.Raw(bytes.substr(i * width, width));
    w.Varint(j - i);
    i = j;
  }
}

void EncodeSpanReferences(std::string_view parents, std::string_view span_ids, uint32_t width,
                          std::string* out) {
  ByteWriter w(out);
  w.Byte(kSpanReference);
  const size_t rows = parents.size() / width;
  absl::flat_hash_map<std::string_view, uint32_t, StringHash> row_of;  // see EncodeStrings
  row_of.reserve(rows);
  for (size_t r = 0; r < rows && (r + 1) * width <= span_ids.size(); ++r) {
    row_of.emplace(span_ids.substr(r * width, width), static_cast<uint32_t>(r));
  }
  const std::string zero(width, '\0');
  for (size_t r = 0; r < rows; ++r) {
    std::string_view parent = parents.substr(r * width, width);
    if (parent == zero) {
      w.Varint(0);
    } else if (auto it = row_of.find(parent); it != row_of.end()) {
      const int64_t distance = static_cast<int64_t>(r) - static_cast<int64_t>(it->second);
      w.Varint(((static_cast<uint64_t>(distance) << 1) ^ static_cast<uint64_t>(distance >> 63)) + 2);
    } else {
      w.Varint(1);
      w.Raw(parent);
    }
  }
}

absl::Status DecodeFixedBytes(std::string_view data, uint32_t rows, uint32_t width,
                              ColumnValues* out, const std::string* references) {
  if (rows > kMaxBlockRows || width == 0 || width > 64) return Corrupt("row count or width");
  ByteReader r(data);
  const uint8_t mode = r.Byte();
  out->width = width;
  out->present.clear();
  const size_t total = static_cast<size_t>(rows) * width;
  if (mode == kRawBytes) {
    if (r.remaining() != total) return Corrupt("fixed-width bytes");
    out->fixed.assign(r.Raw(total));
    return absl::OkStatus();
  }
  if (mode == kSpanReference) {
    if (references == nullptr || references->size() != total) return Corrupt("span references without span ids");
    out->fixed.assign(total, '\0');
    for (uint32_t row = 0; row < rows; ++row) {
      const uint64_t code = r.Varint();
      if (!r.ok()) return Corrupt("span reference");
      if (code == 0) continue;
      if (code == 1) {
        std::string_view literal = r.Raw(width);
        if (!r.ok()) return Corrupt("span reference literal");
        out->fixed.replace(static_cast<size_t>(row) * width, width, literal);
        continue;
      }
      const uint64_t zigzag = code - 2;
      const auto distance = static_cast<int64_t>((zigzag >> 1) ^ (~(zigzag & 1) + 1));
      // Checked before subtracting: a corrupt distance near INT64_MIN would overflow (fuzzing found it).
      if (distance > static_cast<int64_t>(row) || distance <= static_cast<int64_t>(row) - static_cast<int64_t>(rows)) {
        return Corrupt("span reference out of the block");
      }
      const int64_t target = static_cast<int64_t>(row) - distance;
      out->fixed.replace(static_cast<size_t>(row) * width, width, *references,
                         static_cast<size_t>(target) * width, width);
    }
    if (r.remaining() != 0) return Corrupt("trailing bytes after span references");
    return absl::OkStatus();
  }
  if (mode != kRunLength) return Corrupt("fixed-width mode");
  const uint64_t runs = r.Varint();
  if (!r.ok() || runs > rows) return Corrupt("run count");
  out->fixed.clear();
  out->fixed.reserve(total);
  for (uint64_t i = 0; i < runs; ++i) {
    std::string_view value = r.Raw(width);
    const uint64_t length = r.Varint();
    if (!r.ok() || length == 0 || length > rows - out->fixed.size() / width) return Corrupt("run");
    for (uint64_t k = 0; k < length; ++k) out->fixed.append(value);
  }
  if (out->fixed.size() != total || r.remaining() != 0) return Corrupt("runs do not cover the block");
  return absl::OkStatus();
}

std::string CompressChunk(std::string_view raw, int level) {
  // A context per thread, kept: ZSTD_compress sets one up for every call.
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> context(ZSTD_createCCtx(), ZSTD_freeCCtx);
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  size_t n = ZSTD_compressCCtx(context.get(), out.data(), out.size(), raw.data(), raw.size(), level);
  // Compression of an in-memory buffer into a buffer of ZSTD_compressBound cannot fail.
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

absl::StatusOr<std::string> DecompressChunk(std::string_view compressed, size_t max_size) {
  unsigned long long size = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > max_size) {
    return Corrupt("zstd frame header");
  }
  std::string out(size, '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(n) || n != size) return Corrupt(ZSTD_getErrorName(n));
  return out;
}

}  // namespace waggle::store
