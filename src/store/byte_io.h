// Little-endian byte writer and bounds-checked reader shared by the store's encodings (the
// write-ahead log's event batches, part columns and footers). A Reader never reads past its
// input: a short or corrupt input turns ok() false and yields zeros.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace waggle::store {

class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void Signed(int64_t v) { Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Byte(uint8_t b) { out_->push_back(static_cast<char>(b)); }
  void Raw(std::string_view s) { out_->append(s); }
  void String(std::string_view s) {
    Varint(s.size());
    out_->append(s);
  }
  void Fixed32(uint32_t v) { out_->append(reinterpret_cast<const char*>(&v), 4); }
  void Fixed64(uint64_t v) { out_->append(reinterpret_cast<const char*>(&v), 8); }
  void Double(double d) {
    char buf[8];
    std::memcpy(buf, &d, 8);
    out_->append(buf, 8);
  }

 private:
  std::string* out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool AtEnd() const { return in_.empty(); }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return Fail();
      auto b = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();
  }
  int64_t Signed() {
    uint64_t v = Varint();
    return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  uint8_t Byte() {
    if (in_.empty()) return static_cast<uint8_t>(Fail());
    auto b = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return b;
  }
  std::string_view Raw(size_t n) {
    if (in_.size() < n) {
      Fail();
      return {};
    }
    std::string_view s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }
  std::string String() { return std::string(Raw(Varint())); }
  double Double() {
    std::string_view s = Raw(8);
    double d = 0;
    if (s.size() == 8) std::memcpy(&d, s.data(), 8);
    return d;
  }
  uint32_t Fixed32() {
    uint32_t v = 0;
    std::string_view s = Raw(4);
    if (s.size() == 4) std::memcpy(&v, s.data(), 4);
    return v;
  }
  uint64_t Fixed64() {
    uint64_t v = 0;
    std::string_view s = Raw(8);
    if (s.size() == 8) std::memcpy(&v, s.data(), 8);
    return v;
  }
  size_t remaining() const { return in_.size(); }
  // Marks the input corrupt (a value out of its domain), so callers check ok() once.
  void Invalidate() { Fail(); }

  template <typename Id>
  Id ReadId() {
    std::string_view raw = Raw(Id::kSize);
    auto id = Id::FromBytes(raw);
    return id ? *id : Id{};
  }

 private:
  uint64_t Fail() {
    ok_ = false;
    in_ = {};
    return 0;
  }
  std::string_view in_;
  bool ok_ = true;
};


}  // namespace waggle::store
