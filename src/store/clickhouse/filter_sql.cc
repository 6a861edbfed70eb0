#include "store/clickhouse/filter_sql.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

#include "store/clickhouse/clickhouse_client.h"
#include "common/strings.h"
#include "model/ids.h"
#include "model/event_schema.h"

namespace waggle::clickhouse {
namespace {

using FilterOp = store::PredicateOp;
using store::PreparedLiteral;

bool IsSpanField(std::string_view name) { return model::FindHoneycombSpanField(name) != nullptr; }

// nullopt: the filter cannot narrow the rows in SQL (every row may match).
using Condition = std::optional<std::string>;

// Where a value comes from: an attribute in arrayExists (its type is `t`), or a fixed column
// of one known type.
struct ValueSql {
  bool may_string = false;
  bool may_number = false;
  bool may_bool = false;
  bool attribute = false;  // the type is in `type`
  std::string text;        // SQL of the string value
  std::string number;      // SQL of the numeric value (Float64)
  std::string type = "t";  // SQL of the attribute's type (the lambda's argument by default)
};

constexpr int kString = static_cast<int>(model::AttributeType::kString);
constexpr int kInt = static_cast<int>(model::AttributeType::kInt);
constexpr int kDouble = static_cast<int>(model::AttributeType::kDouble);
constexpr int kBool = static_cast<int>(model::AttributeType::kBool);

std::string Or(const std::vector<std::string>& parts) {
  if (parts.empty()) return "0";
  if (std::find(parts.begin(), parts.end(), "1") != parts.end()) return "1";
  if (parts.size() == 1) return parts[0];
  std::string out = "(";
  for (size_t i = 0; i < parts.size(); ++i) StrAppend(&out, i ? " OR " : "", parts[i]);
  return out + ")";
}

std::string And(const std::string& type_test, const std::string& value_test) {
  if (type_test == "1") return value_test;
  return StrCat("(", type_test, " AND ", value_test, ")");
}

std::string IsString(const ValueSql& v) { return v.attribute ? StrCat(v.type, " = ", kString) : "1"; }
std::string IsNumber(const ValueSql& v) { return v.attribute ? StrCat(v.type, " IN (", kInt, ", ", kDouble, ")") : "1"; }
std::string IsBool(const ValueSql& v) { return v.attribute ? StrCat(v.type, " = ", kBool) : "1"; }

std::string DoubleSql(double x) {
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%.17g", x);
  return buffer;
}

// x widened by a few ulps each way.
double Lower(double x) { return x - std::max(std::fabs(x) * 1e-12, 1e-300); }
double Upper(double x) { return x + std::max(std::fabs(x) * 1e-12, 1e-300); }

// The number test for `value op x`, widened; "1" when x is not finite.
std::string NumberTest(const ValueSql& v, FilterOp op, double x) {
  if (!std::isfinite(x)) return "1";
  switch (op) {
    case FilterOp::kEquals:
    case FilterOp::kIn:
      return StrCat("(", v.number, " >= ", DoubleSql(Lower(x)), " AND ", v.number, " <= ", DoubleSql(Upper(x)), ")");
    case FilterOp::kGreater:
    case FilterOp::kGreaterOrEqual: return StrCat(v.number, " >= ", DoubleSql(Lower(x)));
    case FilterOp::kLess:
    case FilterOp::kLessOrEqual: return StrCat(v.number, " <= ", DoubleSql(Upper(x)));
    default: return "1";
  }
}

const char* TextOperator(FilterOp op) {
  switch (op) {
    case FilterOp::kGreater: return " > ";
    case FilterOp::kGreaterOrEqual: return " >= ";
    case FilterOp::kLess: return " < ";
    default: return " <= ";
  }
}

// What a present value must satisfy to pass a filter that needs one (as the engine's Matches
// in query/row_selector.cc decides); "1" for any value.
std::string ValueTest(const store::ColumnPredicate& filter, const std::vector<PreparedLiteral>& literals, const ValueSql& v) {
  std::vector<std::string> parts;
  switch (filter.op) {
    case FilterOp::kExists: return "1";
    case FilterOp::kEquals:
    case FilterOp::kIn:
      for (const PreparedLiteral& l : literals) {
        if (v.may_number && l.is_number) parts.push_back(And(IsNumber(v), NumberTest(v, filter.op, l.number)));
        if (v.may_bool && (l.is_bool || l.is_number)) parts.push_back(IsBool(v));
        if (v.may_string) {
          // A string literal compares as text with strings; a number or bool one matches a
          // string that reads as it (which SQL is not asked to decide).
          if (l.is_string || l.is_bool) {
            parts.push_back(And(IsString(v), StrCat(v.text, " = ", SqlString(l.text))));
          } else if (l.is_number) {
            parts.push_back(IsString(v));
          }
        }
      }
      return Or(parts);
    case FilterOp::kGreater:
    case FilterOp::kGreaterOrEqual:
    case FilterOp::kLess:
    case FilterOp::kLessOrEqual: {
      const PreparedLiteral& l = literals.at(0);
      if (v.may_number && l.is_number) parts.push_back(And(IsNumber(v), NumberTest(v, filter.op, l.number)));
      if (v.may_string) {
        if (l.is_number) {
          parts.push_back(IsString(v));  // a string that reads as a number compares as one
        } else if (l.is_string) {
          parts.push_back(And(IsString(v), StrCat(v.text, TextOperator(filter.op), SqlString(l.text))));
        }
      }
      return Or(parts);
    }
    case FilterOp::kStartsWith:
    case FilterOp::kEndsWith:
    case FilterOp::kContains: {
      const std::string& needle = literals.at(0).text;
      if (needle.empty()) return "1";
      // Numbers and bools are tested as their text: let them all through.
      if (v.may_number || v.may_bool) parts.push_back(v.attribute ? StrCat(v.type, " != ", kString) : "1");
      if (v.may_string) parts.push_back(And(IsString(v), StrCat("position(", v.text, ", ", SqlString(needle), ") > 0")));
      return Or(parts);
    }
    default: return "1";
  }
}

// An attribute of the filter's key passes.
std::string AttributeTest(const store::ColumnPredicate& filter, const std::vector<PreparedLiteral>& literals) {
  const ValueSql v{true, true, true, true, "s", "f"};
  const std::string test = ValueTest(filter, literals, v);
  if (test == "1") return StrCat("has(attr_keys, ", SqlString(filter.column), ")");
  if (test == "0") return "0";
  return StrCat("arrayExists((k, t, s, f) -> k = ", SqlString(filter.column), " AND ", test,
                ", attr_keys, attr_types, attr_strings, attr_floats)");
}

// A span field's column where no attribute overrides it: its value SQL and where it is present.
struct SpanFieldSql {
  ValueSql value;
  std::string present;
  int type;  // model::AttributeType
  std::string integer;
};

// The rows a span field exists on, as SQL over annotation_type.
std::string AppliesSql(model::AppliesTo applies) {
  auto type = [](model::AnnotationType t) { return static_cast<int>(t); };
  switch (applies) {
    case model::AppliesTo::kTraceRows: return StrCat("annotation_type != ", type(model::AnnotationType::kEvent));
    case model::AppliesTo::kSpans: return StrCat("annotation_type = ", type(model::AnnotationType::kSpan));
    case model::AppliesTo::kAnnotations:
      return StrCat("annotation_type IN (", type(model::AnnotationType::kSpanEvent), ", ",
                    type(model::AnnotationType::kLink), ")");
    case model::AppliesTo::kLinks: return StrCat("annotation_type = ", type(model::AnnotationType::kLink));
  }
  return "0";
}

// From the schema table (model/event_schema.h): the span fields whose value is a plain
// function of their column on every row they apply to. The others (absent when zero or
// empty, true-or-absent, constants) are decided by the engine after the fetch.
std::optional<SpanFieldSql> SpanField(const std::string& name) {
  const model::HoneycombSpanField* field = model::FindHoneycombSpanField(name);
  if (field == nullptr || field->source == model::FixedField::kCount) return std::nullopt;
  const std::string column(model::FixedFieldInfoOf(field->source).name);
  const std::string present = AppliesSql(field->applies);
  auto text = [&](const std::string& sql) {
    return SpanFieldSql{ValueSql{true, false, false, false, sql, ""}, present, kString, "0"};
  };
  switch (field->derived) {
    case model::DerivedAs::kString: return text(column);
    case model::DerivedAs::kHexId: return text(StrCat("lower(hex(", column, "))"));
    case model::DerivedAs::kKindName: {
      std::string codes, names;
      for (int k = 0; k <= static_cast<int>(model::SpanKind::kConsumer); ++k) {
        StrAppend(&codes, k ? ", " : "", k);
        StrAppend(&names, k ? ", " : "", SqlString(model::SpanKindName(static_cast<model::SpanKind>(k))));
      }
      return text(StrCat("transform(", column, ", [", codes, "], [", names, "], '')"));
    }
    case model::DerivedAs::kMillis:
      return SpanFieldSql{ValueSql{false, true, false, false, "", StrCat("(", column, " / 1e6)")}, present, kDouble,
                          "0"};
    case model::DerivedAs::kInt:
      return SpanFieldSql{ValueSql{false, true, false, false, "", StrCat("toFloat64(", column, ")")}, present, kInt,
                          StrCat("toInt64(", column, ")")};
    default: return std::nullopt;
  }
}

// The span field's own column passes (an attribute of the same name may override it).
Condition FixedTest(const store::ColumnPredicate& filter, const std::vector<PreparedLiteral>& literals) {
  const std::string& name = filter.column;
  auto typed = [&](ValueSql v) -> Condition {
    std::string test = ValueTest(filter, literals, v);
    if (test == "1") return std::nullopt;
    return test;
  };
  if (name == "error") {
    // true on a span or annotation whose status is ERROR, else absent.
    const std::string error = StrCat("status_code = ", static_cast<int>(model::StatusCode::kError));
    if (filter.op == FilterOp::kEquals || filter.op == FilterOp::kIn) {
      for (const PreparedLiteral& l : literals) {
        if ((l.is_bool && l.boolean) || (l.is_number && l.number == 1)) return error;
      }
      return std::string("0");
    }
    if (filter.op == FilterOp::kExists || filter.op == FilterOp::kStartsWith || filter.op == FilterOp::kEndsWith ||
        filter.op == FilterOp::kContains) {
      return error;
    }
    return std::string("0");  // bools are not ordered
  }
  if (name == "trace.trace_id" && (filter.op == FilterOp::kEquals || filter.op == FilterOp::kIn)) {
    // The primary key: a lookup by trace id reads one granule.
    std::vector<std::string> ids;
    for (const PreparedLiteral& l : literals) {
      if (!l.is_string || l.is_number) return std::nullopt;  // digits alone also compare as a number
      auto id = model::TraceId::FromHex(l.text);
      if (id && id->ToHex() == l.text) ids.push_back(StrCat("unhex('", l.text, "')"));
    }
    if (ids.empty()) return std::string("0");
    std::string list;
    for (const std::string& id : ids) StrAppend(&list, list.empty() ? "" : ", ", id);
    return StrCat("trace_id IN (", list, ")");
  }
  if (auto field = SpanField(name)) return typed(field->value);
  return std::nullopt;
}

bool NeedsValue(FilterOp op) {
  return op == FilterOp::kEquals || op == FilterOp::kIn || op == FilterOp::kExists || op == FilterOp::kGreater ||
         op == FilterOp::kGreaterOrEqual || op == FilterOp::kLess || op == FilterOp::kLessOrEqual ||
         op == FilterOp::kStartsWith || op == FilterOp::kEndsWith || op == FilterOp::kContains;
}

Condition FilterTest(const store::ColumnPredicate& filter) {
  std::vector<PreparedLiteral> literals;
  for (const store::Literal& l : filter.values) literals.push_back(store::PrepareLiteral(l));
  const bool fixed = IsSpanField(filter.column);
  if (filter.op == FilterOp::kDoesNotExist) {
    const std::string no_attribute = StrCat("NOT has(attr_keys, ", SqlString(filter.column), ")");
    if (!fixed) return no_attribute;
    if (filter.column == "trace.parent_id") {  // a root span, or a plain event
      return StrCat("((annotation_type = ", static_cast<int>(model::AnnotationType::kEvent),
                    " OR parent_span_id = unhex('0000000000000000')) AND ", no_attribute, ")");
    }
    return std::nullopt;
  }
  if (!NeedsValue(filter.op)) return std::nullopt;  // negations also hold where the field is absent
  if (filter.op != FilterOp::kExists && literals.empty()) return std::nullopt;
  const std::string attribute = AttributeTest(filter, literals);
  if (!fixed) return attribute;
  Condition column = FixedTest(filter, literals);
  if (!column) return std::nullopt;
  if (attribute == "0") return column;
  return StrCat("(", *column, " OR ", attribute, ")");
}

// ---- Exact conditions, for counting -------------------------------------------------------

// A literal compared as plain text: not one that also reads as a number or bool.
bool PlainText(const PreparedLiteral& l) { return l.is_string && !l.is_number && !l.is_bool; }

// A number literal ClickHouse reads exactly (an integer of at most 2^53).
bool ExactInteger(const PreparedLiteral& l) {
  return !l.is_string && l.is_number && std::fabs(l.number) <= 9007199254740992.0 && l.number == std::floor(l.number);
}

std::string IntegerSql(double x) { return StrCat(static_cast<int64_t>(x)); }

template <typename Test>
std::optional<std::string> ListSql(const std::vector<PreparedLiteral>& literals, Test test,
                                   std::string (*format)(const PreparedLiteral&)) {
  if (literals.empty()) return std::nullopt;
  std::string list;
  for (const PreparedLiteral& l : literals) {
    if (!test(l)) return std::nullopt;
    StrAppend(&list, list.empty() ? "" : ", ", format(l));
  }
  return list;
}

std::string QuotedText(const PreparedLiteral& l) { return SqlString(l.text); }
std::string IntegerText(const PreparedLiteral& l) { return IntegerSql(l.number); }

const char* NumberOperator(FilterOp op) {
  switch (op) {
    case FilterOp::kGreater: return " > ";
    case FilterOp::kGreaterOrEqual: return " >= ";
    case FilterOp::kLess: return " < ";
    case FilterOp::kLessOrEqual: return " <= ";
    default: return nullptr;
  }
}

// A single value of known presence and type (`value` of ValueSql): the exact test for the
// filter ops that need a value, or nullopt. `present` says whether the row has it.
std::optional<std::string> SureValueTest(const store::ColumnPredicate& filter, const std::vector<PreparedLiteral>& literals,
                                         const std::string& present, const ValueSql& v) {
  const FilterOp op = filter.op;
  if (op == FilterOp::kExists) return present;
  if (op == FilterOp::kDoesNotExist) return StrCat("NOT ", present);
  auto when_present = [&](const std::string& test) { return StrCat("(", present, " AND ", test, ")"); };
  if (op == FilterOp::kEquals || op == FilterOp::kIn) {
    if (v.may_string) {
      if (auto list = ListSql(literals, PlainText, QuotedText)) {
        return when_present(And(IsString(v), StrCat(v.text, " IN (", *list, ")")));
      }
    }
    if (v.may_number) {
      if (auto list = ListSql(literals, ExactInteger, IntegerText)) {
        return when_present(And(IsNumber(v), StrCat(v.number, " IN (", *list, ")")));
      }
    }
    return std::nullopt;
  }
  if ((op == FilterOp::kNotEquals || op == FilterOp::kNotIn) && v.may_string) {
    // Absent, or any value but those strings (a plain literal equals strings only).
    if (auto list = ListSql(literals, PlainText, QuotedText)) {
      return StrCat("(NOT ", present, " OR NOT ", And(IsString(v), StrCat(v.text, " IN (", *list, ")")), ")");
    }
    return std::nullopt;
  }
  if (const char* cmp = NumberOperator(op); cmp != nullptr && v.may_number && literals.size() == 1 &&
                                            ExactInteger(literals[0])) {
    return when_present(And(IsNumber(v), StrCat(v.number, cmp, IntegerSql(literals[0].number))));
  }
  if ((op == FilterOp::kContains || op == FilterOp::kStartsWith) && v.may_string && literals.size() == 1 &&
      PlainText(literals[0]) && !literals[0].text.empty()) {
    const std::string& needle = literals[0].text;
    const std::string test =
        op == FilterOp::kContains ? StrCat("position(", v.text, ", ", SqlString(needle), ") > 0")
                                  : StrCat("substring(", v.text, ", 1, ", needle.size(), ") = ", SqlString(needle));
    return when_present(And(IsString(v), test));
  }
  return std::nullopt;
}

// The attribute of a key, where a row has exactly one (else the row is undecided).
ValueSql SingleAttribute(const std::string& key, std::string* decided, std::string* present) {
  const std::string index = StrCat("indexOf(attr_keys, ", SqlString(key), ")");
  *decided = StrCat("countEqual(attr_keys, ", SqlString(key), ") <= 1");
  *present = StrCat("(", index, " > 0)");
  return ValueSql{true, true, true, true, StrCat("attr_strings[", index, "]"), StrCat("attr_floats[", index, "]"),
                  StrCat("attr_types[", index, "]")};
}

std::optional<std::string> SureFilterTest(const store::ColumnPredicate& filter) {
  std::vector<PreparedLiteral> literals;
  for (const store::Literal& l : filter.values) literals.push_back(store::PrepareLiteral(l));
  if (!IsSpanField(filter.column)) {
    std::string decided, present;
    const ValueSql v = SingleAttribute(filter.column, &decided, &present);
    auto test = SureValueTest(filter, literals, present, v);
    if (!test) return std::nullopt;
    if (filter.op == FilterOp::kExists || filter.op == FilterOp::kDoesNotExist) return test;  // any count will do
    return StrCat("(", decided, " AND ", *test, ")");
  }
  const std::string no_attribute = StrCat("NOT has(attr_keys, ", SqlString(filter.column), ")");
  if (filter.column == "trace.parent_id" && filter.op == FilterOp::kDoesNotExist) return FilterTest(filter);
  auto field = SpanField(filter.column);
  if (!field) return std::nullopt;
  auto test = SureValueTest(filter, literals, StrCat("(", field->present, ")"), field->value);
  if (!test) return std::nullopt;
  return StrCat("(", no_attribute, " AND ", *test, ")");
}

}  // namespace

std::optional<std::string> SureFilterCondition(const store::RowFilter& filter) {
  if (filter.empty()) return "1";
  std::vector<std::string> tests;
  for (const store::ColumnPredicate& predicate : filter.predicates) {
    auto test = SureFilterTest(predicate);
    if (test) {
      tests.push_back(*test);
    } else if (!filter.any) {
      return std::nullopt;  // every filter must surely pass
    }
  }
  if (tests.empty()) return std::nullopt;
  std::string out = "(";
  for (size_t i = 0; i < tests.size(); ++i) StrAppend(&out, i ? (filter.any ? " OR " : " AND ") : "", tests[i]);
  return out + ")";
}

std::optional<BreakdownSql> BreakdownValueSql(const std::string& field) {
  BreakdownSql out;
  if (!IsSpanField(field)) {
    const ValueSql v = SingleAttribute(field, &out.decided, &out.present);
    const std::string index = StrCat("indexOf(attr_keys, ", SqlString(field), ")");
    out.type = v.type;
    out.text = v.text;
    out.integer = StrCat("attr_ints[", index, "]");
    out.real = v.number;
    return out;
  }
  auto span_field = SpanField(field);
  if (!span_field) return std::nullopt;
  out.decided = StrCat("NOT has(attr_keys, ", SqlString(field), ")");
  out.present = StrCat("(", span_field->present, ")");
  out.type = StrCat("toUInt8(", span_field->type, ")");
  out.text = span_field->value.may_string ? span_field->value.text : "''";
  out.integer = span_field->integer;
  out.real = span_field->value.may_number ? span_field->value.number : "toFloat64(0)";
  return out;
}

std::string FilterCondition(const store::RowFilter& filter) {
  std::vector<std::string> tests;
  for (const store::ColumnPredicate& predicate : filter.predicates) {
    Condition test = FilterTest(predicate);
    if (!test) {
      if (filter.any) return "";  // one filter that cannot narrow: any row may match
      continue;
    }
    tests.push_back(*test);
  }
  if (tests.empty()) return "";
  std::string out = "(";
  for (size_t i = 0; i < tests.size(); ++i) StrAppend(&out, i ? (filter.any ? " OR " : " AND ") : "", tests[i]);
  return out + ")";
}

}  // namespace waggle::clickhouse
