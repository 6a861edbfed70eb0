#include "query/value_column.h"

#include <algorithm>

#include "common/status_macros.h"
#include "model/event.h"
#include "query/query_spec.h"

namespace waggle::query {
namespace {

using store::ColumnValues;
using store::FixedColumn;
using model::AnnotationType;

const std::vector<std::pair<std::string, ValueType>> kFixedFields = {
    {"trace.trace_id", ValueType::kString},   {"trace.span_id", ValueType::kString},
    {"trace.parent_id", ValueType::kString},  {"name", ValueType::kString},
    {"service.name", ValueType::kString},     {"error", ValueType::kBool},
    {"type", ValueType::kString},             {"span.kind", ValueType::kString},
    {"duration_ms", ValueType::kDouble},      {"status_code", ValueType::kInt},
    {"status_message", ValueType::kString},   {"span.num_events", ValueType::kInt},
    {"span.num_links", ValueType::kInt},      {"meta.signal_type", ValueType::kString},
    {"meta.invalid_duration", ValueType::kBool}, {"library.name", ValueType::kString},
    {"library.version", ValueType::kString},  {"meta.annotation_type", ValueType::kString},
    {"trace.link.trace_id", ValueType::kString}, {"trace.link.span_id", ValueType::kString},
};

constexpr size_t Index(FixedColumn c) { return static_cast<size_t>(c); }

std::string_view StringAt(const ColumnValues& v, size_t row) {
  const uint32_t code = v.codes[row];
  return code == 0 ? std::string_view() : v.dictionary[code - 1];
}

}  // namespace

bool IsFixedField(std::string_view name) {
  return std::any_of(kFixedFields.begin(), kFixedFields.end(), [&](const auto& f) { return f.first == name; });
}

const std::vector<std::pair<std::string, ValueType>>& FixedFields() { return kFixedFields; }

// Kept beside FillFixed, which reads these; the ClickHouse golden cases fail if they part.
std::vector<FixedColumn> FixedColumnsOf(std::string_view name) {
  static const std::unordered_map<std::string_view, std::vector<FixedColumn>> kColumns = {
      {"trace.trace_id", {FixedColumn::kTraceId}},
      {"trace.span_id", {FixedColumn::kSpanId}},
      {"trace.parent_id", {FixedColumn::kParentSpanId}},
      {"trace.link.trace_id", {FixedColumn::kLinkTraceId}},
      {"trace.link.span_id", {FixedColumn::kLinkSpanId}},
      {"name", {FixedColumn::kName}},
      {"service.name", {FixedColumn::kServiceName}},
      {"status_message", {FixedColumn::kStatusMessage}},
      {"library.name", {FixedColumn::kScopeName}},
      {"library.version", {FixedColumn::kScopeVersion}},
      {"type", {FixedColumn::kKind}},
      {"span.kind", {FixedColumn::kKind}},
      {"status_code", {FixedColumn::kStatusCode}},
      {"error", {FixedColumn::kStatusCode}},
      {"span.num_events", {FixedColumn::kNumEvents}},
      {"span.num_links", {FixedColumn::kNumLinks}},
      {"meta.invalid_duration", {FixedColumn::kInvalidDuration}},
  };
  auto it = kColumns.find(name);
  return it == kColumns.end() ? std::vector<FixedColumn>{} : it->second;
}

std::vector<std::string> FieldsOf(const QuerySpec& spec) {
  std::vector<std::string> fields;
  auto add = [&](const std::string& name) {
    if (!name.empty() && std::find(fields.begin(), fields.end(), name) == fields.end()) fields.push_back(name);
  };
  for (const Calculation& c : spec.calculations) add(c.column);
  for (const Filter& f : spec.filters) add(f.column);
  for (const std::string& b : spec.breakdowns) add(b);
  for (const Order& o : spec.orders) add(o.column);
  for (const Having& h : spec.havings) add(h.column);
  return fields;
}

BlockColumns::BlockColumns(const store::ScanUnit& unit) : unit_(unit) {
  const auto& columns = unit.columns();
  for (size_t c = Index(FixedColumn::kCount); c < columns.size(); ++c) {
    attributes_by_key_[columns[c].key].push_back(c);
  }
  // Later origins win (derived > span > scope > resource), as in HoneycombFields.
  for (auto& [key, list] : attributes_by_key_) {
    std::stable_sort(list.begin(), list.end(),
                     [&](size_t a, size_t b) { return columns[a].origin > columns[b].origin; });
  }
}

ColumnSources BlockColumns::Sources(const std::string& name) const {
  ColumnSources sources;
  if (auto it = attributes_by_key_.find(name); it != attributes_by_key_.end()) sources.attributes = it->second;
  sources.fixed = IsFixedField(name);
  return sources;
}

absl::StatusOr<const ColumnValues*> BlockColumns::Physical(size_t column) {
  auto it = physical_.find(column);
  if (it != physical_.end()) return it->second.get();
  ASSIGN_OR_RETURN(std::shared_ptr<const ColumnValues> values, unit_.Read(column));
  bytes_ += values->ints.size() * 8 + values->doubles.size() * 8 + values->codes.size() * 4 + values->fixed.size() +
            values->present.size() + (values->storage ? values->storage->size() : 0);
  const ColumnValues* raw = values.get();
  physical_.emplace(column, std::move(values));
  return raw;
}

absl::StatusOr<const std::vector<int64_t>*> BlockColumns::Times() {
  ASSIGN_OR_RETURN(const ColumnValues* v, Physical(Index(FixedColumn::kTime)));
  return &v->ints;
}

absl::StatusOr<const std::vector<int64_t>*> BlockColumns::SampleRates() {
  ASSIGN_OR_RETURN(const ColumnValues* v, Physical(Index(FixedColumn::kSampleRate)));
  return &v->ints;
}

absl::StatusOr<const std::vector<int64_t>*> BlockColumns::Durations() {
  ASSIGN_OR_RETURN(const ColumnValues* v, Physical(Index(FixedColumn::kDuration)));
  return &v->ints;
}

absl::Status BlockColumns::FillFixed(const std::string& name, ValueColumn& out, const ColumnValues** dictionary) {
  const size_t rows = unit_.rows();
  ASSIGN_OR_RETURN(const ColumnValues* annotations, Physical(Index(FixedColumn::kAnnotationType)));
  auto type_of = [&](size_t row) { return static_cast<AnnotationType>(annotations->ints[row]); };
  auto is_span = [&](size_t row) { return type_of(row) == AnnotationType::kSpan; };
  auto not_event = [&](size_t row) { return type_of(row) != AnnotationType::kEvent; };

  auto hex_ids = [&](FixedColumn column, auto wanted) -> absl::Status {
    ASSIGN_OR_RETURN(const ColumnValues* ids, Physical(Index(column)));
    const size_t width = column == FixedColumn::kTraceId || column == FixedColumn::kLinkTraceId ? 16 : 8;
    if (ids->fixed.size() < rows * width) return absl::DataLossError("id column shorter than its block");
    auto arena = std::make_unique<std::string>(rows * width * 2, '\0');
    static const char kHex[] = "0123456789abcdef";
    for (size_t row = 0; row < rows; ++row) {
      if (out.types[row] != ValueType::kAbsent || !wanted(row)) continue;
      const auto* raw = reinterpret_cast<const uint8_t*>(ids->fixed.data() + row * width);
      char* dst = arena->data() + row * width * 2;
      for (size_t i = 0; i < width; ++i) {
        dst[2 * i] = kHex[raw[i] >> 4];
        dst[2 * i + 1] = kHex[raw[i] & 15];
      }
      out.types[row] = ValueType::kString;
      out.strings[row] = std::string_view(dst, width * 2);
    }
    bytes_ += arena->size();
    owned_strings_.push_back(std::move(arena));
    return absl::OkStatus();
  };
  auto strings = [&](FixedColumn column, auto wanted) -> absl::Status {
    ASSIGN_OR_RETURN(const ColumnValues* v, Physical(Index(column)));
    *dictionary = v;
    for (size_t row = 0; row < rows; ++row) {
      if (out.types[row] != ValueType::kAbsent || !wanted(row)) continue;
      out.types[row] = ValueType::kString;
      out.strings[row] = StringAt(*v, row);
    }
    return absl::OkStatus();
  };
  auto ints = [&](FixedColumn column, ValueType type, auto wanted, auto transform) -> absl::Status {
    ASSIGN_OR_RETURN(const ColumnValues* v, Physical(Index(column)));
    for (size_t row = 0; row < rows; ++row) {
      if (out.types[row] != ValueType::kAbsent || !wanted(row, v->ints[row])) continue;
      out.types[row] = type;
      transform(row, v->ints[row]);
    }
    return absl::OkStatus();
  };
  auto constant = [&](std::string_view value, auto wanted) {
    for (size_t row = 0; row < rows; ++row) {
      if (out.types[row] != ValueType::kAbsent || !wanted(row)) continue;
      out.types[row] = ValueType::kString;
      out.strings[row] = value;
    }
  };
  auto span_row = [&](size_t row, int64_t) { return is_span(row); };
  auto set_int = [&](size_t row, int64_t v) { out.ints[row] = v; };

  if (name == "trace.trace_id") return hex_ids(FixedColumn::kTraceId, not_event);
  if (name == "trace.span_id") return hex_ids(FixedColumn::kSpanId, is_span);
  if (name == "trace.parent_id") {
    ASSIGN_OR_RETURN(const ColumnValues* parents, Physical(Index(FixedColumn::kParentSpanId)));
    auto has_parent = [&](size_t row) {
      if (!not_event(row)) return false;
      std::string_view id(parents->fixed.data() + row * 8, 8);
      return id.find_first_not_of('\0') != std::string_view::npos;
    };
    if (parents->fixed.size() < rows * 8) return absl::DataLossError("id column shorter than its block");
    return hex_ids(FixedColumn::kParentSpanId, has_parent);
  }
  if (name == "trace.link.trace_id") {
    return hex_ids(FixedColumn::kLinkTraceId, [&](size_t row) { return type_of(row) == AnnotationType::kLink; });
  }
  if (name == "trace.link.span_id") {
    return hex_ids(FixedColumn::kLinkSpanId, [&](size_t row) { return type_of(row) == AnnotationType::kLink; });
  }
  if (name == "name") return strings(FixedColumn::kName, not_event);
  if (name == "service.name") return strings(FixedColumn::kServiceName, not_event);
  if (name == "status_message") {
    ASSIGN_OR_RETURN(const ColumnValues* v, Physical(Index(FixedColumn::kStatusMessage)));
    return strings(FixedColumn::kStatusMessage, [&](size_t row) { return is_span(row) && !StringAt(*v, row).empty(); });
  }
  if (name == "library.name" || name == "library.version") {
    const FixedColumn c = name == "library.name" ? FixedColumn::kScopeName : FixedColumn::kScopeVersion;
    ASSIGN_OR_RETURN(const ColumnValues* v, Physical(Index(c)));
    return strings(c, [&](size_t row) { return is_span(row) && !StringAt(*v, row).empty(); });
  }
  if (name == "type" || name == "span.kind") {
    return ints(FixedColumn::kKind, ValueType::kString, span_row, [&](size_t row, int64_t kind) {
      out.strings[row] = model::SpanKindName(static_cast<model::SpanKind>(std::clamp<int64_t>(kind, 0, 5)));
    });
  }
  if (name == "duration_ms") {
    return ints(FixedColumn::kDuration, ValueType::kDouble, span_row,
                [&](size_t row, int64_t ns) { out.doubles[row] = static_cast<double>(ns) / 1e6; });
  }
  if (name == "status_code") return ints(FixedColumn::kStatusCode, ValueType::kInt, span_row, set_int);
  if (name == "span.num_events") return ints(FixedColumn::kNumEvents, ValueType::kInt, span_row, set_int);
  if (name == "span.num_links") return ints(FixedColumn::kNumLinks, ValueType::kInt, span_row, set_int);
  if (name == "error") {
    return ints(FixedColumn::kStatusCode, ValueType::kBool,
                [&](size_t row, int64_t code) { return not_event(row) && code == static_cast<int64_t>(model::StatusCode::kError); },
                [&](size_t row, int64_t) { out.ints[row] = 1; });
  }
  if (name == "meta.invalid_duration") {
    return ints(FixedColumn::kInvalidDuration, ValueType::kBool,
                [&](size_t row, int64_t invalid) { return is_span(row) && invalid != 0; },
                [&](size_t row, int64_t) { out.ints[row] = 1; });
  }
  if (name == "meta.signal_type") {
    constant("trace", is_span);
    return absl::OkStatus();
  }
  if (name == "meta.annotation_type") {
    constant("span_event", [&](size_t row) { return type_of(row) == AnnotationType::kSpanEvent; });
    constant("link", [&](size_t row) { return type_of(row) == AnnotationType::kLink; });
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::StatusOr<const ValueColumn*> BlockColumns::Column(const std::string& name) {
  if (auto it = columns_.find(name); it != columns_.end()) return it->second.get();
  const size_t rows = unit_.rows();
  auto out = std::make_unique<ValueColumn>();
  const ColumnSources sources = Sources(name);
  const auto& descriptors = unit_.columns();
  // Only the arrays of the types this name has here (a value array per row is 8-16 bytes).
  bool need_ints = false, need_doubles = false, need_strings = false;
  auto need = [&](ValueType type) {
    need_ints |= type == ValueType::kInt || type == ValueType::kBool;
    need_doubles |= type == ValueType::kDouble;
    need_strings |= type == ValueType::kString;
  };
  for (size_t column : sources.attributes) {
    switch (descriptors[column].type) {
      case model::AttributeType::kString: need(ValueType::kString); break;
      case model::AttributeType::kInt: need(ValueType::kInt); break;
      case model::AttributeType::kDouble: need(ValueType::kDouble); break;
      case model::AttributeType::kBool: need(ValueType::kBool); break;
    }
  }
  for (const auto& [field, type] : kFixedFields) {
    if (sources.fixed && field == name) need(type);
  }
  out->types.assign(rows, ValueType::kAbsent);
  if (need_ints) out->ints.assign(rows, 0);
  if (need_doubles) out->doubles.assign(rows, 0);
  if (need_strings) out->strings.assign(rows, std::string_view());
  size_t sources_with_values = 0;
  const ColumnValues* only_strings = nullptr;
  for (size_t column : sources.attributes) {
    ASSIGN_OR_RETURN(const ColumnValues* v, Physical(column));
    const model::AttributeType type = descriptors[column].type;
    size_t filled = 0;
    for (size_t row = 0; row < rows; ++row) {
      if (out->types[row] != ValueType::kAbsent || !v->Has(row)) continue;
      switch (type) {
        case model::AttributeType::kString:
          if (v->codes[row] == 0) continue;
          out->types[row] = ValueType::kString;
          out->strings[row] = v->dictionary[v->codes[row] - 1];
          break;
        case model::AttributeType::kInt:
          out->types[row] = ValueType::kInt;
          out->ints[row] = v->ints[row];
          break;
        case model::AttributeType::kDouble:
          out->types[row] = ValueType::kDouble;
          out->doubles[row] = v->doubles[row];
          break;
        case model::AttributeType::kBool:
          out->types[row] = ValueType::kBool;
          out->ints[row] = v->ints[row] != 0 ? 1 : 0;
          break;
      }
      ++filled;
    }
    if (filled > 0) {
      ++sources_with_values;
      only_strings = type == model::AttributeType::kString ? v : nullptr;
    }
  }
  if (sources.fixed) {
    const size_t before = static_cast<size_t>(std::count(out->types.begin(), out->types.end(), ValueType::kAbsent));
    const ColumnValues* fixed_dictionary = nullptr;
    RETURN_IF_NOT_OK(FillFixed(name, *out, &fixed_dictionary));
    const size_t after = static_cast<size_t>(std::count(out->types.begin(), out->types.end(), ValueType::kAbsent));
    if (after != before) ++sources_with_values, only_strings = fixed_dictionary;
  }
  if (sources_with_values == 1 && only_strings != nullptr) out->dictionary = only_strings;
  bytes_ += out->types.size() + out->ints.size() * 8 + out->doubles.size() * 8 + out->strings.size() * sizeof(std::string_view);
  const ValueColumn* raw = out.get();
  columns_.emplace(name, std::move(out));
  return raw;
}

}  // namespace waggle::query
