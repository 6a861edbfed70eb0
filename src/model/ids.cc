#include "model/ids.h"

#include <cstring>

namespace waggle::model {
namespace {

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string HexEncode(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(raw.size() * 2, '0');
  for (size_t i = 0; i < raw.size(); ++i) {
    auto b = static_cast<uint8_t>(raw[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xf];
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexDigitValue(hex[2 * i]);
    int lo = HexDigitValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

template <size_t N>
std::string ByteId<N>::ToHex() const {
  return HexEncode(AsBytes());
}

template <size_t N>
std::optional<ByteId<N>> ByteId<N>::FromBytes(std::string_view raw) {
  if (raw.size() != N) return std::nullopt;
  ByteId id;
  std::memcpy(id.bytes.data(), raw.data(), N);
  return id;
}

template <size_t N>
std::optional<ByteId<N>> ByteId<N>::FromHex(std::string_view hex) {
  if (hex.size() != 2 * N) return std::nullopt;
  // Into the id's bytes: a 16-byte string is past std::string's inline buffer (a malloc per
  // X-Ray trace id).
  ByteId id;
  for (size_t i = 0; i < N; ++i) {
    const int hi = HexDigitValue(hex[2 * i]);
    const int lo = HexDigitValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    id.bytes[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return id;
}

template struct ByteId<16>;
template struct ByteId<8>;

size_t TraceIdHash::operator()(const TraceId& id) const {
  uint64_t a;
  uint64_t b;
  std::memcpy(&a, id.bytes.data(), 8);
  std::memcpy(&b, id.bytes.data() + 8, 8);
  return static_cast<size_t>(a ^ (b * 0x9e3779b97f4a7c15ULL));
}

}  // namespace waggle::model
