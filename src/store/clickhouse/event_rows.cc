#include "store/clickhouse/event_rows.h"

#include <algorithm>
#include <array>

#include "store/clickhouse/clickhouse_client.h"
#include "store/clickhouse/row_binary.h"
#include "common/strings.h"
#include "model/event_schema.h"

namespace waggle::clickhouse {

using model::Event;
using store::FixedColumn;

namespace {

struct ColumnSql {
  std::string_view name;
  std::string_view type;
};

template <typename T>
constexpr std::string_view ClickHouseType() {
  if constexpr (std::is_same_v<T, std::string>) return "String";
  else if constexpr (model::kIsId<T>) return T::kSize == 16 ? "FixedString(16)" : "FixedString(8)";
  else if constexpr (std::is_same_v<T, int64_t>) return "Int64";
  else if constexpr (std::is_same_v<T, uint32_t>) return "UInt32";
  else return "UInt8";  // enums and bools
}

// The fixed fields' columns, in id order (model/event_schema.h).
constexpr std::array<ColumnSql, model::kFixedFieldCount> kFixedColumns = [] {
  std::array<ColumnSql, model::kFixedFieldCount> columns{};
  model::ForEachFixedField([&](const auto& def) {
    using T = typename std::decay_t<decltype(def)>::Type;
    columns[static_cast<size_t>(def.id)] = {def.name, ClickHouseType<T>()};
  });
  return columns;
}();

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

template <typename Def>
bool ReadFixed(RowBinaryReader& reader, const Def& def, Event& e) {
  using T = typename Def::Type;
  T& v = e.*def.member;
  if constexpr (model::kIsId<T>) return ReadId(reader, &v);
  else if constexpr (std::is_same_v<T, std::string>) return ReadString(reader, &v);
  else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint32_t>) return ReadNumber<T>(reader, &v);
  else {
    uint8_t stored = 0;
    if (!reader.Fixed(&stored) || stored > def.max) return false;
    v = model::FromStoredInt<T>(stored, def.max);
    return true;
  }
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
  model::ForEachFixedFieldById([&](const auto& def) {
    using T = typename std::decay_t<decltype(def)>::Type;
    const T& v = e.*def.member;
    if constexpr (model::kIsId<T>) out->append(v.AsBytes());
    else if constexpr (std::is_same_v<T, std::string>) PutString(out, v);
    else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint32_t>) PutFixed<T>(out, v);
    else PutFixed<uint8_t>(out, static_cast<uint8_t>(model::ToStoredInt(v)));
  });
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
    model::ForEachFixedFieldById([&](const auto& def) {
      if (ok && (projection.whole || projection.fixed.test(static_cast<size_t>(def.id)))) ok = ReadFixed(reader, def, e);
    });
    if (ok && attributes) ok = ReadAttributes(reader, e);
    if (!ok) return absl::DataLossError(StrCat("ClickHouse sent a malformed event row (row ", events.size(), ")"));
  }
  return events;
}

}  // namespace waggle::clickhouse
