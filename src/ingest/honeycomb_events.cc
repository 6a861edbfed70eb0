#include "ingest/honeycomb_events.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>

#include <nlohmann/json.hpp>

#include "common/status_macros.h"
#include "common/strings.h"
#include "model/event_schema.h"

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

// Adds the event as a row, or says why it cannot be one (before anything is added).
absl::Status AddEvent(const Json& data, const EventDefaults& defaults, int64_t time, int64_t sample_rate,
                      store::EventBatchBuilder& out) {
  if (!data.is_object()) return absl::InvalidArgumentError("an event must be a JSON object of fields");
  if (data.size() > kMaxEventFields) {
    return absl::InvalidArgumentError(StrCat("the event has ", data.size(), " fields; at most ", kMaxEventFields, " are allowed"));
  }
  using model::FixedField;
  constexpr auto kSpan = model::FieldOrigin::kSpan;
  out.StartRow(defaults.dataset);
  out.SetInt(FixedField::kAnnotationType, model::ToStoredInt(model::AnnotationType::kEvent));
  out.SetInt(FixedField::kTime, time);
  out.SetInt(FixedField::kSampleRate, std::max<int64_t>(1, sample_rate));
  for (auto it = data.begin(); it != data.end(); ++it) {
    const Json& v = it.value();
    const std::string& key = it.key();
    if (key.empty() || v.is_null()) continue;
    if (v.is_string()) {
      const std::string& text = v.get_ref<const std::string&>();
      out.AddString(kSpan, key, std::string_view(text).substr(0, kMaxFieldStringBytes));
    } else if (v.is_boolean()) {
      out.AddBool(kSpan, key, v.get<bool>());
    } else if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      out.AddDouble(kSpan, key, static_cast<double>(v.get<uint64_t>()));
    } else if (v.is_number_integer()) {
      out.AddInt(kSpan, key, v.get<int64_t>());
    } else if (v.is_number_float()) {
      const double d = v.get<double>();
      if (std::isfinite(d)) out.AddDouble(kSpan, key, d);
    } else {
      out.AddString(kSpan, key, JsonText(v));  // objects, arrays, binary
    }
  }
  return absl::OkStatus();
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

absl::Status ParseSingleEvent(std::string_view body, EventsEncoding encoding, const EventDefaults& defaults,
                              store::EventBatchBuilder& out) {
  if (body.size() > kMaxEventBytes) {
    return absl::InvalidArgumentError(StrCat("the event is ", body.size(), " bytes; at most ", kMaxEventBytes, " are allowed"));
  }
  ASSIGN_OR_RETURN(Json doc, ParseBody(body, encoding));
  return AddEvent(doc, defaults, defaults.time_unix_nano, defaults.sample_rate, out);
}

absl::StatusOr<std::vector<absl::Status>> ParseEventBatch(std::string_view body, EventsEncoding encoding,
                                                          const EventDefaults& defaults, store::EventBatchBuilder& out) {
  ASSIGN_OR_RETURN(Json doc, ParseBody(body, encoding));
  if (!doc.is_array()) {
    return absl::InvalidArgumentError("a batch must be a JSON array of {\"data\":{...},\"time\":...,\"samplerate\":N}");
  }
  std::vector<absl::Status> out_statuses;
  out_statuses.reserve(doc.size());
  out.ReserveRows(static_cast<uint32_t>(std::min<size_t>(doc.size(), UINT32_MAX)));
  for (const Json& item : doc) {
    if (!item.is_object()) {
      out_statuses.push_back(absl::InvalidArgumentError("a batch element must be an object {\"data\":{...}}"));
      continue;
    }
    auto data = item.find("data");
    if (data == item.end() || !data->is_object()) {
      out_statuses.push_back(absl::InvalidArgumentError("a batch element needs \"data\": an object of fields"));
      continue;
    }
    auto time = TimeOf(item.value("time", Json()), defaults.time_unix_nano);
    if (!time.ok()) {
      out_statuses.push_back(time.status());
      continue;
    }
    int64_t sample_rate = defaults.sample_rate;
    if (auto sr = item.find("samplerate"); sr != item.end() && sr->is_number()) {
      sample_rate = sr->is_number_integer() ? sr->get<int64_t>() : static_cast<int64_t>(sr->get<double>());
    }
    // Only a body over the limit can hold an event over it: no second serialization otherwise.
    if (body.size() > kMaxEventBytes && data->dump().size() > kMaxEventBytes) {
      out_statuses.push_back(absl::InvalidArgumentError(StrCat("the event is over ", kMaxEventBytes, " bytes")));
      continue;
    }
    out_statuses.push_back(AddEvent(*data, defaults, *time, sample_rate, out));
  }
  return out_statuses;
}

absl::StatusOr<model::Event> ParseSingleEvent(std::string_view body, EventsEncoding encoding,
                                              const EventDefaults& defaults) {
  store::EventBatchBuilder builder;
  RETURN_IF_NOT_OK(ParseSingleEvent(body, encoding, defaults, builder));
  return std::move(store::BatchEvents(builder.Finish()).front());
}

absl::StatusOr<std::vector<absl::StatusOr<model::Event>>> ParseEventBatch(std::string_view body,
                                                                          EventsEncoding encoding,
                                                                          const EventDefaults& defaults) {
  store::EventBatchBuilder builder;
  ASSIGN_OR_RETURN(std::vector<absl::Status> statuses, ParseEventBatch(body, encoding, defaults, builder));
  std::vector<model::Event> events = store::BatchEvents(builder.Finish());
  std::vector<absl::StatusOr<model::Event>> out;
  out.reserve(statuses.size());
  size_t next = 0;
  for (absl::Status& status : statuses) {
    if (status.ok()) out.push_back(std::move(events.at(next++)));
    else out.push_back(std::move(status));
  }
  return out;
}

}  // namespace waggle::ingest
