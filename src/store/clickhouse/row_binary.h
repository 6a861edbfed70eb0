// ClickHouse's RowBinary format, the pieces Waggle writes and reads: strings as a varint
// length and the bytes, fixed-width numbers little-endian (as on every machine Waggle runs on).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace waggle::clickhouse {

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

template <typename T>
void PutFixed(std::string* out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out->append(bytes, sizeof(T));
}

// Reads values off the front of `data`; each call is false (reading nothing) on truncation.
class RowBinaryReader {
 public:
  explicit RowBinaryReader(std::string_view data) : data_(data) {}

  bool done() const { return data_.empty(); }
  size_t remaining() const { return data_.size(); }

  // Exactly `size` bytes (a FixedString).
  bool Bytes(size_t size, std::string_view* value) {
    if (data_.size() < size) return false;
    *value = data_.substr(0, size);
    data_.remove_prefix(size);
    return true;
  }

  bool Varint(uint64_t* value) {
    uint64_t v = 0;
    for (size_t i = 0; i < data_.size() && i < 10; ++i) {
      const auto byte = static_cast<uint8_t>(data_[i]);
      v |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if (!(byte & 0x80)) {
        data_.remove_prefix(i + 1);
        *value = v;
        return true;
      }
    }
    return false;
  }

  bool String(std::string_view* value) {
    std::string_view before = data_;
    uint64_t length = 0;
    if (!Varint(&length) || length > data_.size()) {
      data_ = before;
      return false;
    }
    *value = data_.substr(0, length);
    data_.remove_prefix(length);
    return true;
  }

  template <typename T>
  bool Fixed(T* value) {
    if (data_.size() < sizeof(T)) return false;
    std::memcpy(value, data_.data(), sizeof(T));
    data_.remove_prefix(sizeof(T));
    return true;
  }

 private:
  std::string_view data_;
};

}  // namespace waggle::clickhouse
