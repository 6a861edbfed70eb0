#include "clickhouse/event_rows.h"

#include <algorithm>
#include <array>

#include "clickhouse/clickhouse_client.h"
#include "clickhouse/row_binary.h"
#include "common/strings.h"

namespace waggle::clickhouse {

using model::Event;
using store::FixedColumn;

namespace {

struct ColumnSql {
  const char* name;
  const char* type;
};

// In FixedColumn order.
constexpr std::array<ColumnSql, static_cast<size_t>(FixedColumn::kCount)> kFixedColumns = {{
    {"start_ns", "Int64"},
    {"duration_ns", "Int64"},
    {"sample_rate", "Int64"},
    {"annotation_type", "UInt8"},
    {"kind", "UInt8"},
    {"status_code", "UInt8"},
    {"invalid_duration", "UInt8"},
    {"flags", "UInt32"},
    {"num_events", "UInt32"},
    {"num_links", "UInt32"},
    {"trace_id", "FixedString(16)"},
    {"span_id", "FixedString(8)"},
    {"parent_span_id", "FixedString(8)"},
    {"link_trace_id", "FixedString(16)"},
    {"link_span_id", "FixedString(8)"},
    {"name", "String"},
    {"service", "String"},
    {"status_message", "String"},
    {"scope_name", "String"},
    {"scope_version", "String"},
    {"trace_state", "String"},
}};

constexpr std::array<ColumnSql, 6> kAttributeColumns = {{
    {"attr_keys", "Array(String)"},
    {"attr_origins", "Array(UInt8)"},
    {"attr_types", "Array(UInt8)"},
    {"attr_strings", "Array(String)"},
    {"attr_ints", "Array(Int64)"},
    {"attr_floats", "Array(Float64)"},
}};

constexpr size_t kFixedCount = kFixedColumns.size();

template <typename Id>
bool ReadId(RowBinaryReader& reader, Id* id) {
  std::string_view raw;
  if (!reader.Bytes(Id::kSize, &raw)) return false;
  auto parsed = Id::FromBytes(raw);
  if (!parsed) return false;
  *id = *parsed;
  return true;
}

bool ReadString(RowBinaryReader& reader, std::string* out) {
  std::string_view s;
  if (!reader.String(&s)) return false;
  out->assign(s);
  return true;
}

template <typename Wire, typename T>
bool ReadNumber(RowBinaryReader& reader, T* out) {
  Wire v{};
  if (!reader.Fixed(&v)) return false;
  *out = static_cast<T>(v);
  return true;
}

template <typename Enum>
bool ReadEnum(RowBinaryReader& reader, uint8_t max, Enum* out) {
  uint8_t v = 0;
  if (!reader.Fixed(&v) || v > max) return false;
  *out = static_cast<Enum>(v);
  return true;
}

bool ReadFixed(RowBinaryReader& reader, FixedColumn column, Event& e) {
  switch (column) {
    case FixedColumn::kTime: return ReadNumber<int64_t>(reader, &e.time_unix_nano);
    case FixedColumn::kDuration: return ReadNumber<int64_t>(reader, &e.duration_nano);
    case FixedColumn::kSampleRate: return ReadNumber<int64_t>(reader, &e.sample_rate);
    case FixedColumn::kAnnotationType: return ReadEnum(reader, model::kMaxAnnotationType, &e.annotation_type);
    case FixedColumn::kKind: return ReadEnum(reader, static_cast<uint8_t>(model::SpanKind::kConsumer), &e.kind);
    case FixedColumn::kStatusCode: return ReadEnum(reader, static_cast<uint8_t>(model::StatusCode::kError), &e.status_code);
    case FixedColumn::kInvalidDuration: {
      uint8_t v = 0;
      if (!reader.Fixed(&v) || v > 1) return false;
      e.invalid_duration = v != 0;
      return true;
    }
    case FixedColumn::kFlags: return ReadNumber<uint32_t>(reader, &e.flags);
    case FixedColumn::kNumEvents: return ReadNumber<uint32_t>(reader, &e.num_events);
    case FixedColumn::kNumLinks: return ReadNumber<uint32_t>(reader, &e.num_links);
    case FixedColumn::kTraceId: return ReadId(reader, &e.trace_id);
    case FixedColumn::kSpanId: return ReadId(reader, &e.span_id);
    case FixedColumn::kParentSpanId: return ReadId(reader, &e.parent_span_id);
    case FixedColumn::kLinkTraceId: return ReadId(reader, &e.link_trace_id);
    case FixedColumn::kLinkSpanId: return ReadId(reader, &e.link_span_id);
    case FixedColumn::kName: return ReadString(reader, &e.name);
    case FixedColumn::kServiceName: return ReadString(reader, &e.service_name);
    case FixedColumn::kStatusMessage: return ReadString(reader, &e.status_message);
    case FixedColumn::kScopeName: return ReadString(reader, &e.scope_name);
    case FixedColumn::kScopeVersion: return ReadString(reader, &e.scope_version);
    case FixedColumn::kTraceState: return ReadString(reader, &e.trace_state);
    case FixedColumn::kCount: break;
  }
  return false;
}

// The six attribute arrays of one row, into e.fields.
bool ReadAttributes(RowBinaryReader& reader, Event& e) {
  uint64_t n = 0;
  if (!reader.Varint(&n) || n > reader.remaining()) return false;  // each key takes a byte at least
  e.fields.resize(n);
  for (model::Field& f : e.fields) {
    if (!ReadString(reader, &f.key)) return false;
  }
  auto same_length = [&] {
    uint64_t m = 0;
    return reader.Varint(&m) && m == n;
  };
  if (!same_length()) return false;
  for (model::Field& f : e.fields) {
    if (!ReadEnum(reader, static_cast<uint8_t>(model::FieldOrigin::kDerived), &f.origin)) return false;
  }
  if (!same_length()) return false;
  std::vector<model::AttributeType> types(n);
  for (auto& t : types) {
    if (!ReadEnum(reader, static_cast<uint8_t>(model::AttributeType::kBool), &t)) return false;
  }
  if (!same_length()) return false;
  for (size_t i = 0; i < n; ++i) {
    std::string_view s;
    if (!reader.String(&s)) return false;
    if (types[i] == model::AttributeType::kString) e.fields[i].value = std::string(s);
  }
  if (!same_length()) return false;
  for (size_t i = 0; i < n; ++i) {
    int64_t v = 0;
    if (!reader.Fixed(&v)) return false;
    if (types[i] == model::AttributeType::kInt) e.fields[i].value = v;
    if (types[i] == model::AttributeType::kBool) e.fields[i].value = v != 0;
  }
  if (!same_length()) return false;
  for (size_t i = 0; i < n; ++i) {
    double v = 0;
    if (!reader.Fixed(&v)) return false;
    if (types[i] == model::AttributeType::kDouble) e.fields[i].value = v;
  }
  return true;
}

}  // namespace

RowProjection RowProjection::Minimal() {
  RowProjection p;
  p.whole = false;
  p.attribute_keys.emplace();
  for (FixedColumn c : {FixedColumn::kTime, FixedColumn::kDuration, FixedColumn::kSampleRate, FixedColumn::kAnnotationType}) {
    p.Add(c);
  }
  return p;
}

std::string EventColumnDefinitions() {
  std::string out;
  for (const ColumnSql& c : kFixedColumns) StrAppend(&out, "  ", c.name, " ", c.type, ",\n");
  for (size_t i = 0; i < kAttributeColumns.size(); ++i) {
    StrAppend(&out, "  ", kAttributeColumns[i].name, " ", kAttributeColumns[i].type,
              i + 1 < kAttributeColumns.size() ? ",\n" : "\n");
  }
  return out;
}

std::string EventInsertColumns() {
  std::string out = "team, dataset, hour";
  for (const ColumnSql& c : kFixedColumns) StrAppend(&out, ", ", c.name);
  for (const ColumnSql& c : kAttributeColumns) StrAppend(&out, ", ", c.name);
  return out;
}

void AppendEventRow(std::string_view team, uint32_t hour, const Event& e, std::string* out) {
  PutString(out, team);
  PutString(out, e.dataset);
  PutFixed<uint32_t>(out, hour);
  PutFixed<int64_t>(out, e.time_unix_nano);
  PutFixed<int64_t>(out, e.duration_nano);
  PutFixed<int64_t>(out, e.sample_rate);
  PutFixed<uint8_t>(out, static_cast<uint8_t>(e.annotation_type));
  PutFixed<uint8_t>(out, static_cast<uint8_t>(e.kind));
  PutFixed<uint8_t>(out, static_cast<uint8_t>(e.status_code));
  PutFixed<uint8_t>(out, e.invalid_duration ? 1 : 0);
  PutFixed<uint32_t>(out, e.flags);
  PutFixed<uint32_t>(out, e.num_events);
  PutFixed<uint32_t>(out, e.num_links);
  out->append(e.trace_id.AsBytes());
  out->append(e.span_id.AsBytes());
  out->append(e.parent_span_id.AsBytes());
  out->append(e.link_trace_id.AsBytes());
  out->append(e.link_span_id.AsBytes());
  for (const std::string* s : {&e.name, &e.service_name, &e.status_message, &e.scope_name, &e.scope_version, &e.trace_state}) {
    PutString(out, *s);
  }
  const uint64_t n = e.fields.size();
  PutVarint(out, n);
  for (const model::Field& f : e.fields) PutString(out, f.key);
  PutVarint(out, n);
  for (const model::Field& f : e.fields) PutFixed<uint8_t>(out, static_cast<uint8_t>(f.origin));
  PutVarint(out, n);
  for (const model::Field& f : e.fields) PutFixed<uint8_t>(out, static_cast<uint8_t>(model::TypeOf(f.value)));
  PutVarint(out, n);
  for (const model::Field& f : e.fields) {
    const auto* s = std::get_if<std::string>(&f.value);
    PutString(out, s ? std::string_view(*s) : std::string_view());
  }
  PutVarint(out, n);
  for (const model::Field& f : e.fields) {
    int64_t v = 0;
    if (const auto* i = std::get_if<int64_t>(&f.value)) v = *i;
    if (const auto* b = std::get_if<bool>(&f.value)) v = *b ? 1 : 0;
    PutFixed<int64_t>(out, v);
  }
  PutVarint(out, n);
  for (const model::Field& f : e.fields) {
    double v = 0;
    if (const auto* d = std::get_if<double>(&f.value)) v = *d;
    if (const auto* i = std::get_if<int64_t>(&f.value)) v = static_cast<double>(*i);
    PutFixed<double>(out, v);
  }
}

std::string SelectList(const RowProjection& projection) {
  std::string out = "dataset";
  for (size_t c = 0; c < kFixedCount; ++c) {
    if (projection.whole || projection.fixed.test(c)) StrAppend(&out, ", ", kFixedColumns[c].name);
  }
  if (projection.whole || !projection.attribute_keys) {
    for (const ColumnSql& c : kAttributeColumns) StrAppend(&out, ", ", c.name);
  } else if (!projection.attribute_keys->empty()) {
    std::string keys;
    for (const std::string& k : *projection.attribute_keys) StrAppend(&keys, keys.empty() ? "[" : ", ", SqlString(k));
    keys += "]";
    for (const ColumnSql& c : kAttributeColumns) {
      StrAppend(&out, ", arrayFilter((x, k) -> has(", keys, ", k), ", c.name, ", attr_keys)");
    }
  }
  return out;
}

absl::StatusOr<std::vector<Event>> DecodeEventRows(std::string_view data, const RowProjection& projection,
                                                   size_t expected_rows) {
  const bool attributes =
      projection.whole || !projection.attribute_keys || !projection.attribute_keys->empty();
  std::vector<Event> events;
  // Bounded by the bytes: a row is at least its dataset's length byte.
  events.reserve(std::min(expected_rows, data.size()));
  RowBinaryReader reader(data);
  while (!reader.done()) {
    Event& e = events.emplace_back();
    bool ok = ReadString(reader, &e.dataset);
    for (size_t c = 0; ok && c < kFixedCount; ++c) {
      if (projection.whole || projection.fixed.test(c)) ok = ReadFixed(reader, static_cast<FixedColumn>(c), e);
    }
    if (ok && attributes) ok = ReadAttributes(reader, e);
    if (!ok) return absl::DataLossError(StrCat("ClickHouse sent a malformed event row (row ", events.size(), ")"));
  }
  return events;
}

}  // namespace waggle::clickhouse
