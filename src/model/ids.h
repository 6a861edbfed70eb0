// Trace and span identifiers: fixed-size byte arrays, shown as lowercase hex everywhere
// (OTLP/JSON, Honeycomb's trace.trace_id, the trace lookup URL).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace waggle::model {

template <size_t N>
struct ByteId {
  std::array<uint8_t, N> bytes{};

  static constexpr size_t kSize = N;

  bool IsZero() const {
    for (uint8_t b : bytes) {
      if (b != 0) return false;
    }
    return true;
  }
  std::string ToHex() const;
  std::string_view AsBytes() const {
    return {reinterpret_cast<const char*>(bytes.data()), N};
  }
  // Exactly N raw bytes, else nullopt.
  static std::optional<ByteId> FromBytes(std::string_view raw);
  // Exactly 2N hex digits (either case), else nullopt.
  static std::optional<ByteId> FromHex(std::string_view hex);

  friend bool operator==(const ByteId&, const ByteId&) = default;
  friend auto operator<=>(const ByteId&, const ByteId&) = default;
};

using TraceId = ByteId<16>;
using SpanId = ByteId<8>;

struct TraceIdHash {
  size_t operator()(const TraceId& id) const;
};

// Hex of arbitrary bytes, lowercase.
std::string HexEncode(std::string_view raw);
// nullopt unless `hex` has an even number of hex digits.
std::optional<std::string> HexDecode(std::string_view hex);

}  // namespace waggle::model
