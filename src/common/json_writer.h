// Appends JSON text straight to a string, for responses too large to build as a DOM first:
// nlohmann's tree took about 1 s of the 1.3 s that GET /api/traces/<id> spent on a trace of
// 100,000 spans (perf, 2026-11-28); writing directly takes a tenth of that. Each byte that
// is not part of valid UTF-8 becomes U+FFFD, so the output is always valid JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace waggle {

// `s` as a quoted JSON string.
void AppendJsonString(std::string* out, std::string_view s);

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);  // non-finite values as null
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // A value already written as JSON (by another JsonWriter), placed as it is.
  JsonWriter& Raw(std::string_view json);

 private:
  JsonWriter& Open(char c);
  JsonWriter& Close(char c);
  void Separate();

  std::string* out_;
  bool first_ = true;       // no value yet in the current container
  bool after_key_ = false;  // the next value follows a key
};

}  // namespace waggle
