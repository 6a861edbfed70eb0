#include "query/value_column.h"

#include <algorithm>
#include <cmath>

#include <xxhash.h>

#include "common/status_macros.h"
#include "common/strings.h"
#include "model/event.h"
#include "model/event_schema.h"
#include "query/query_spec.h"

namespace waggle::query {
namespace {

using store::ColumnValues;
using store::FixedColumn;
using model::AnnotationType;

ValueType ValueTypeOf(model::DerivedType type) {
  switch (type) {
    case model::DerivedType::kString: return ValueType::kString;
    case model::DerivedType::kInt: return ValueType::kInt;
    case model::DerivedType::kDouble: return ValueType::kDouble;
    case model::DerivedType::kBool: return ValueType::kBool;
  }
  return ValueType::kString;
}

constexpr size_t Index(FixedColumn c) { return static_cast<size_t>(c); }

std::string_view StringAt(const ColumnValues& v, size_t row) {
  const uint32_t code = v.codes[row];
  return code == 0 ? std::string_view() : v.dictionary[code - 1];
}

}  // namespace

std::string TextOf(const CellValue& v) {
  switch (v.type) {
    case ValueType::kString: return std::string(v.s);
    case ValueType::kInt: return StrCat(v.i);
    case ValueType::kDouble: return FormatNumber(v.d);
    case ValueType::kBool: return v.i ? "true" : "false";
    case ValueType::kAbsent: break;
  }
  return "";
}

uint64_t HashValue(const CellValue& v) {
  switch (v.type) {
    case ValueType::kString: return XXH3_64bits_withSeed(v.s.data(), v.s.size(), 3);
    case ValueType::kDouble: {
      // An integral double equals the same int: count them as one value.
      if (v.d == std::floor(v.d) && std::fabs(v.d) < 9e18) {
        int64_t i = static_cast<int64_t>(v.d);
        return XXH3_64bits_withSeed(&i, sizeof(i), 1);
      }
      return XXH3_64bits_withSeed(&v.d, sizeof(v.d), 2);
    }
    case ValueType::kInt: return XXH3_64bits_withSeed(&v.i, sizeof(v.i), 1);
    case ValueType::kBool: return XXH3_64bits_withSeed(&v.i, sizeof(v.i), 4);
    case ValueType::kAbsent: break;
  }
  return 0;
}

void AppendGroupKey(const CellValue& v, std::string& key) {
  key.push_back(static_cast<char>(v.type));
  switch (v.type) {
    case ValueType::kString:
      key.append(v.s);
      key.push_back('\0');
      break;
    case ValueType::kDouble:
      if (v.d == std::floor(v.d) && std::fabs(v.d) < 9e18) {
        key.back() = static_cast<char>(ValueType::kInt);
        const auto i = static_cast<int64_t>(v.d);
        key.append(reinterpret_cast<const char*>(&i), sizeof(i));
      } else {
        key.append(reinterpret_cast<const char*>(&v.d), sizeof(v.d));
      }
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      key.append(reinterpret_cast<const char*>(&v.i), sizeof(v.i));
      break;
    case ValueType::kAbsent:
      break;
  }
}

bool IsFixedField(std::string_view name) { return model::FindHoneycombSpanField(name) != nullptr; }

const std::vector<std::pair<std::string, ValueType>>& FixedFields() {
  static const std::vector<std::pair<std::string, ValueType>> kFields = [] {
    std::vector<std::pair<std::string, ValueType>> fields;
    for (const model::HoneycombSpanField& f : model::kHoneycombSpanFields) {
      fields.emplace_back(std::string(f.name), ValueTypeOf(f.type));
    }
    return fields;
  }();
  return kFields;
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

BlockColumns::BlockColumns(const store::ScanUnit& unit) : unit_(unit) {}

const ColumnSources& BlockColumns::Sources(const std::string& name) const {
  // Found when first asked (a query reads a few names of a unit's tens of columns; indexing
  // every column for each unit cost more than the few lookups).
  for (const auto& [known, sources] : sources_) {
    if (known == name) return sources;
  }
  ColumnSources sources;
  const auto& columns = unit_.columns();
  for (size_t c = Index(FixedColumn::kCount); c < columns.size(); ++c) {
    if (columns[c].key == name) sources.attributes.push_back(c);
  }
  // Later origins win (derived > span > scope > resource), as in HoneycombFields.
  std::stable_sort(sources.attributes.begin(), sources.attributes.end(),
                   [&](size_t a, size_t b) { return columns[a].origin > columns[b].origin; });
  sources.fixed = IsFixedField(name);
  return sources_.emplace_back(name, std::move(sources)).second;
}

absl::StatusOr<const ColumnValues*> BlockColumns::Physical(size_t column) {
  auto it = physical_.find(column);
  if (it != physical_.end()) return it->second.get();
  ASSIGN_OR_RETURN(std::shared_ptr<const ColumnValues> values, unit_.Read(column));
  bytes_ += values->ints.size() * 8 + values->doubles.size() * 8 + values->codes.size() * 4 + values->fixed.size() + values->int_codes.size() +
            values->code_rows.size() * 2 + values->code_starts.size() * 4 +
            values->present.size();
  for (std::string_view s : values->dictionary) bytes_ += s.size();
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
  const model::HoneycombSpanField* field = model::FindHoneycombSpanField(name);
  if (field == nullptr) return absl::OkStatus();
  const size_t rows = unit_.rows();
  ASSIGN_OR_RETURN(const ColumnValues* annotations, Physical(Index(FixedColumn::kAnnotationType)));
  const ColumnValues* source = nullptr;
  if (field->source != FixedColumn::kCount) {
    ASSIGN_OR_RETURN(source, Physical(Index(field->source)));
  }
  // Sets the rows the field applies to that have no value yet, where value(row) says so.
  auto fill = [&](ValueType type, auto value) {
    for (size_t row = 0; row < rows; ++row) {
      if (out.types[row] != ValueType::kAbsent) continue;
      if (!model::Applies(field->applies, static_cast<AnnotationType>(annotations->ints[row]))) continue;
      if (value(row)) out.types[row] = type;
    }
  };
  switch (field->derived) {
    case model::DerivedAs::kHexId:
    case model::DerivedAs::kHexIdNonZero: {
      const size_t width = model::FixedFieldInfoOf(field->source).width;
      if (source->fixed.size() < rows * width) return absl::DataLossError("id column shorter than its block");
      const bool skip_zero = field->derived == model::DerivedAs::kHexIdNonZero;
      auto arena = std::make_unique<std::string>(rows * width * 2, '\0');
      static const char kHex[] = "0123456789abcdef";
      fill(ValueType::kString, [&](size_t row) {
        const std::string_view id(source->fixed.data() + row * width, width);
        if (skip_zero && id.find_first_not_of('\0') == std::string_view::npos) return false;
        char* dst = arena->data() + row * width * 2;
        for (size_t i = 0; i < width; ++i) {
          dst[2 * i] = kHex[static_cast<uint8_t>(id[i]) >> 4];
          dst[2 * i + 1] = kHex[static_cast<uint8_t>(id[i]) & 15];
        }
        out.strings[row] = std::string_view(dst, width * 2);
        return true;
      });
      bytes_ += arena->size();
      owned_strings_.push_back(std::move(arena));
      break;
    }
    case model::DerivedAs::kString:
    case model::DerivedAs::kStringNonEmpty: {
      *dictionary = source;
      const bool skip_empty = field->derived == model::DerivedAs::kStringNonEmpty;
      fill(ValueType::kString, [&](size_t row) {
        out.strings[row] = StringAt(*source, row);
        return !skip_empty || !out.strings[row].empty();
      });
      break;
    }
    case model::DerivedAs::kKindName:
      fill(ValueType::kString, [&](size_t row) {
        out.strings[row] = model::SpanKindName(
            model::FromStoredInt<model::SpanKind>(source->ints[row], static_cast<int64_t>(model::SpanKind::kConsumer)));
        return true;
      });
      break;
    case model::DerivedAs::kMillis:
      fill(ValueType::kDouble, [&](size_t row) {
        out.doubles[row] = static_cast<double>(source->ints[row]) / 1e6;
        return true;
      });
      break;
    case model::DerivedAs::kInt:
      fill(ValueType::kInt, [&](size_t row) {
        out.ints[row] = source->ints[row];
        return true;
      });
      break;
    case model::DerivedAs::kTrueIfError:
    case model::DerivedAs::kTrueIfNonZero: {
      const bool error = field->derived == model::DerivedAs::kTrueIfError;
      fill(ValueType::kBool, [&](size_t row) {
        const int64_t v = source->ints[row];
        if (error ? v != static_cast<int64_t>(model::StatusCode::kError) : v == 0) return false;
        out.ints[row] = 1;
        return true;
      });
      break;
    }
    case model::DerivedAs::kAnnotationName:
      fill(ValueType::kString, [&](size_t row) {
        out.strings[row] = model::AnnotationName(static_cast<AnnotationType>(source->ints[row]));
        return !out.strings[row].empty();
      });
      break;
    case model::DerivedAs::kSignalType:
      fill(ValueType::kString, [&](size_t row) {
        out.strings[row] = "trace";
        return true;
      });
      break;
  }
  return absl::OkStatus();
}

// The fixed field of `name` when it has no attribute of the name here and applies to every
// row of the unit (known from the annotation types' range), else null.
const model::HoneycombSpanField* BlockColumns::WholeFixedField(const std::string& name, const ColumnSources& sources) const {
  if (!sources.fixed || !sources.attributes.empty()) return nullptr;
  const model::HoneycombSpanField* field = model::FindHoneycombSpanField(name);
  if (field == nullptr || field->source == FixedColumn::kCount) return nullptr;
  const auto annotations = unit_.IntRange(Index(FixedColumn::kAnnotationType));
  if (!annotations) return nullptr;
  for (int64_t t = annotations->first; t <= annotations->second; ++t) {
    if (t < 0 || t > 16 || !model::Applies(field->applies, static_cast<AnnotationType>(t))) return nullptr;
  }
  return field;
}

absl::StatusOr<std::optional<NumericView>> BlockColumns::Numbers(const std::string& name) {
  const ColumnSources& sources = Sources(name);
  NumericView view;
  if (!sources.fixed && sources.attributes.size() == 1) {
    const size_t column = sources.attributes[0];
    const model::AttributeType type = unit_.columns()[column].type;
    if (type != model::AttributeType::kInt && type != model::AttributeType::kDouble) return std::nullopt;
    ASSIGN_OR_RETURN(const ColumnValues* values, Physical(column));
    if (type == model::AttributeType::kInt) {
      view.ints = values->ints.data();
      if (!values->int_codes.empty()) view.coded = values;
    } else {
      view.doubles = values->doubles.data();
    }
    view.present = &values->present;
    return view;
  }
  if (!sources.fixed || !sources.attributes.empty()) return std::nullopt;
  const model::HoneycombSpanField* field = model::FindHoneycombSpanField(name);
  if (field == nullptr || field->source == FixedColumn::kCount ||
      (field->derived != model::DerivedAs::kMillis && field->derived != model::DerivedAs::kInt)) {
    return std::nullopt;
  }
  ASSIGN_OR_RETURN(const ColumnValues* values, Physical(Index(field->source)));
  view.ints = values->ints.data();
  view.divisor = field->derived == model::DerivedAs::kMillis ? 1e6 : 1;
  static const std::vector<uint8_t> kEveryRow;
  if (WholeFixedField(name, sources) != nullptr) {
    view.present = &kEveryRow;
    if (view.divisor == 1 && !values->int_codes.empty()) view.coded = values;
    return view;
  }
  // The field exists on some rows only (duration_ms on spans, not on their span events and
  // links): those rows are the present ones.
  std::vector<uint8_t>& mask = applies_masks_[static_cast<int>(field->applies)];
  if (mask.empty()) {
    ASSIGN_OR_RETURN(const ColumnValues* types, Physical(Index(FixedColumn::kAnnotationType)));
    mask.resize(unit_.rows());
    for (size_t row = 0; row < mask.size(); ++row) {
      mask[row] = model::Applies(field->applies, static_cast<AnnotationType>(types->ints[row]));
    }
    bytes_ += mask.size();
  }
  view.present = &mask;
  return view;
}

absl::StatusOr<std::optional<StringCodesView>> BlockColumns::StringCodes(const std::string& name) {
  const ColumnSources& sources = Sources(name);
  if (!sources.fixed && sources.attributes.size() == 1) {
    if (unit_.columns()[sources.attributes[0]].type != model::AttributeType::kString) return std::nullopt;
    ASSIGN_OR_RETURN(const ColumnValues* values, Physical(sources.attributes[0]));
    return StringCodesView{values, false};
  }
  const model::HoneycombSpanField* field = WholeFixedField(name, sources);
  if (field != nullptr && field->derived == model::DerivedAs::kString) {
    ASSIGN_OR_RETURN(const ColumnValues* values, Physical(Index(field->source)));
    return StringCodesView{values, true};
  }
  // A span field sent as an attribute too (service.name as a resource attribute): the
  // attribute's value where it has one, else the span field's. Both dictionaries in one,
  // codes made once per block; a string in both has two codes, which readers treat alike.
  if (!sources.fixed || sources.attributes.size() != 1 ||
      unit_.columns()[sources.attributes[0]].type != model::AttributeType::kString) {
    return std::nullopt;
  }
  field = model::FindHoneycombSpanField(name);
  if (field == nullptr || field->source == FixedColumn::kCount || field->derived != model::DerivedAs::kString) {
    return std::nullopt;
  }
  if (auto it = merged_.find(name); it != merged_.end()) return StringCodesView{it->second.get(), false};
  ASSIGN_OR_RETURN(const ColumnValues* attribute, Physical(sources.attributes[0]));
  ASSIGN_OR_RETURN(const ColumnValues* span, Physical(Index(field->source)));
  ASSIGN_OR_RETURN(const ColumnValues* annotations, Physical(Index(FixedColumn::kAnnotationType)));
  auto merged = std::make_unique<ColumnValues>();
  const auto a = static_cast<uint32_t>(attribute->dictionary.size());
  const auto f = static_cast<uint32_t>(span->dictionary.size());
  merged->dictionary.reserve(a + f + 1);
  merged->dictionary.insert(merged->dictionary.end(), attribute->dictionary.begin(), attribute->dictionary.end());
  merged->dictionary.insert(merged->dictionary.end(), span->dictionary.begin(), span->dictionary.end());
  merged->dictionary.emplace_back();  // the span field's "" (its code 0)
  const uint32_t rows = unit_.rows();
  merged->codes.resize(rows);
  for (uint32_t row = 0; row < rows; ++row) {
    const uint32_t code = attribute->codes[row];
    if (code != 0) {
      merged->codes[row] = code;
    } else if (!model::Applies(field->applies, static_cast<AnnotationType>(annotations->ints[row]))) {
      merged->codes[row] = 0;
    } else {
      merged->codes[row] = span->codes[row] != 0 ? a + span->codes[row] : a + f + 1;
    }
  }
  bytes_ += merged->codes.size() * 4 + merged->dictionary.size() * sizeof(std::string_view);
  const ColumnValues* raw = merged.get();
  merged_.emplace(name, std::move(merged));
  return StringCodesView{raw, false};
}

absl::StatusOr<const ValueColumn*> BlockColumns::Column(const std::string& name) {
  if (auto it = columns_.find(name); it != columns_.end()) return it->second.get();
  const size_t rows = unit_.rows();
  auto out = std::make_unique<ValueColumn>();
  const ColumnSources& sources = Sources(name);
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
  if (sources.fixed) need(ValueTypeOf(model::FindHoneycombSpanField(name)->type));
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
