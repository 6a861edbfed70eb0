#include "ingest/honeycomb_events.h"

#include <charconv>
#include <cmath>
#include <ctime>

#include <nlohmann/json.hpp>

#include "common/status_macros.h"
#include "common/strings.h"

namespace waggle::ingest {
namespace {

using Json = nlohmann::json;

constexpr int64_t kNanos = 1000000000;

bool AllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

absl::StatusOr<int64_t> ParseRfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  auto bad = [&] {
    return absl::InvalidArgumentError(StrCat("time '", s.substr(0, 64),
                                             "' is not RFC 3339 (e.g. 2026-11-27T20:00:00.123Z) or unix seconds/ms/µs/ns"));
  };
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
      s[16] != ':') {
    return bad();
  }
  auto num = [&](size_t pos, size_t len, int* out) {
    auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, *out);
    return ec == std::errc() && end == s.data() + pos + len;
  };
  std::tm tm{};
  int year, month, day, hour, minute, second;
  if (!num(0, 4, &year) || !num(5, 2, &month) || !num(8, 2, &day) || !num(11, 2, &hour) || !num(14, 2, &minute) ||
      !num(17, 2, &second)) {
    return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return bad();
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  int64_t seconds = timegm(&tm);
  int64_t nanos = 0;
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int64_t scale = kNanos / 10;
    size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (scale > 0) nanos += (s[pos] - '0') * scale, scale /= 10;
      ++pos, ++digits;
    }
    if (digits == 0) return bad();
  }
  if (pos == s.size()) return bad();
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (pos + 6 > s.size() || s[pos + 3] != ':' || !num(pos + 1, 2, &oh) || !num(pos + 4, 2, &om)) return bad();
    const int64_t offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    seconds -= offset;
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  int64_t total = 0;  // years far from now overflow int64 nanoseconds (fuzzing found it)
  if (__builtin_mul_overflow(seconds, kNanos, &total) || __builtin_add_overflow(total, nanos, &total)) return bad();
  return total;
}

std::string JsonText(const Json& v) {
  std::string out = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (out.size() > kMaxFieldStringBytes) out.resize(kMaxFieldStringBytes);
  return out;
}

absl::StatusOr<model::Event> EventFromObject(const Json& data, const EventDefaults& defaults, int64_t time,
                                             int64_t sample_rate) {
  if (!data.is_object()) return absl::InvalidArgumentError("an event must be a JSON object of fields");
  if (data.size() > kMaxEventFields) {
    return absl::InvalidArgumentError(StrCat("the event has ", data.size(), " fields; at most ", kMaxEventFields, " are allowed"));
  }
  model::Event e;
  e.annotation_type = model::AnnotationType::kEvent;
  e.dataset = defaults.dataset;
  e.time_unix_nano = time;
  e.sample_rate = std::max<int64_t>(1, sample_rate);
  e.fields.reserve(data.size());
  for (auto it = data.begin(); it != data.end(); ++it) {
    const Json& v = it.value();
    model::Field f;
    f.key = it.key();
    f.origin = model::FieldOrigin::kSpan;
    if (f.key.empty()) continue;
    if (v.is_null()) continue;
    if (v.is_string()) {
      std::string s = v.get<std::string>();
      if (s.size() > kMaxFieldStringBytes) s.resize(kMaxFieldStringBytes);
      f.value = std::move(s);
    } else if (v.is_boolean()) {
      f.value = v.get<bool>();
    } else if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      f.value = static_cast<double>(v.get<uint64_t>());
    } else if (v.is_number_integer()) {
      f.value = v.get<int64_t>();
    } else if (v.is_number_float()) {
      const double d = v.get<double>();
      if (!std::isfinite(d)) continue;
      f.value = d;
    } else {
      f.value = JsonText(v);  // objects, arrays, binary
    }
    e.fields.push_back(std::move(f));
  }
  return e;
}

absl::StatusOr<Json> ParseBody(std::string_view body, EventsEncoding encoding) {
  Json doc;
  if (encoding == EventsEncoding::kMsgpack) {
    doc = Json::from_msgpack(body.begin(), body.end(), true, false);
    if (doc.is_discarded()) return absl::InvalidArgumentError("the body is not valid msgpack");
  } else {
    doc = Json::parse(body.begin(), body.end(), nullptr, false);
    if (doc.is_discarded()) return absl::InvalidArgumentError("the body is not valid JSON");
  }
  return doc;
}

// A batch element's time: RFC 3339 or unix time as a string or number, or a msgpack timestamp.
absl::StatusOr<int64_t> TimeOf(const Json& v, int64_t fallback) {
  if (v.is_null()) return fallback;
  if (v.is_string()) {
    if (v.get<std::string>().empty()) return fallback;
    return ParseEventTime(v.get<std::string>());
  }
  if (v.is_number()) return ParseEventTime(v.dump());
  if (v.is_binary()) {
    // msgpack timestamp extension (type -1): 32-bit seconds; 30-bit ns + 34-bit seconds;
    // or 32-bit ns + 64-bit seconds, big-endian.
    const auto& b = v.get_binary();
    auto be = [&](size_t pos, size_t len) {
      uint64_t x = 0;
      for (size_t i = 0; i < len; ++i) x = (x << 8) | b[pos + i];
      return x;
    };
    if (b.size() == 4) return static_cast<int64_t>(be(0, 4)) * kNanos;
    if (b.size() == 8) {
      const uint64_t x = be(0, 8);
      return static_cast<int64_t>(x & 0x3ffffffffull) * kNanos + static_cast<int64_t>(x >> 34);
    }
    if (b.size() == 12) return static_cast<int64_t>(be(4, 8)) * kNanos + static_cast<int64_t>(be(0, 4));
  }
  return absl::InvalidArgumentError("time must be an RFC 3339 string or unix time");
}

}  // namespace

absl::StatusOr<int64_t> ParseEventTime(std::string_view text) {
  text = TrimAsciiWhitespace(text);
  if (AllDigits(text)) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc()) return absl::InvalidArgumentError(StrCat("time '", text.substr(0, 64), "' is out of range"));
    // Seconds, milliseconds or microseconds by length; past year 2262 the nanoseconds would
    // overflow int64 (fuzzing found it).
    const int64_t scale = text.size() <= 10 ? kNanos : text.size() <= 13 ? 1000000 : text.size() <= 16 ? 1000 : 1;
    int64_t nanos = 0;
    if (__builtin_mul_overflow(v, scale, &nanos)) {
      return absl::InvalidArgumentError(StrCat("time '", text.substr(0, 64), "' is out of range"));
    }
    return nanos;
  }
  if (!text.empty() && text.find_first_not_of("0123456789.") == std::string_view::npos) {
    double seconds = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec == std::errc() && end == text.data() + text.size() && seconds < 9e9) {
      return static_cast<int64_t>(std::llround(seconds * 1e9));
    }
  }
  return ParseRfc3339(text);
}

absl::StatusOr<model::Event> ParseSingleEvent(std::string_view body, EventsEncoding encoding,
                                              const EventDefaults& defaults) {
  if (body.size() > kMaxEventBytes) {
    return absl::InvalidArgumentError(StrCat("the event is ", body.size(), " bytes; at most ", kMaxEventBytes, " are allowed"));
  }
  ASSIGN_OR_RETURN(Json doc, ParseBody(body, encoding));
  return EventFromObject(doc, defaults, defaults.time_unix_nano, defaults.sample_rate);
}

absl::StatusOr<std::vector<absl::StatusOr<model::Event>>> ParseEventBatch(std::string_view body,
                                                                          EventsEncoding encoding,
                                                                          const EventDefaults& defaults) {
  ASSIGN_OR_RETURN(Json doc, ParseBody(body, encoding));
  if (!doc.is_array()) {
    return absl::InvalidArgumentError("a batch must be a JSON array of {\"data\":{...},\"time\":...,\"samplerate\":N}");
  }
  std::vector<absl::StatusOr<model::Event>> out;
  out.reserve(doc.size());
  for (const Json& item : doc) {
    if (!item.is_object()) {
      out.push_back(absl::InvalidArgumentError("a batch element must be an object {\"data\":{...}}"));
      continue;
    }
    auto data = item.find("data");
    if (data == item.end() || !data->is_object()) {
      out.push_back(absl::InvalidArgumentError("a batch element needs \"data\": an object of fields"));
      continue;
    }
    auto time = TimeOf(item.value("time", Json()), defaults.time_unix_nano);
    if (!time.ok()) {
      out.push_back(time.status());
      continue;
    }
    int64_t sample_rate = defaults.sample_rate;
    if (auto sr = item.find("samplerate"); sr != item.end() && sr->is_number()) {
      sample_rate = sr->is_number_integer() ? sr->get<int64_t>() : static_cast<int64_t>(sr->get<double>());
    }
    // Only a body over the limit can hold an event over it: no second serialization otherwise.
    if (body.size() > kMaxEventBytes && data->dump().size() > kMaxEventBytes) {
      out.push_back(absl::InvalidArgumentError(StrCat("the event is over ", kMaxEventBytes, " bytes")));
      continue;
    }
    out.push_back(EventFromObject(*data, defaults, *time, sample_rate));
  }
  return out;
}

}  // namespace waggle::ingest
