#include "store/predicate.h"

#include <algorithm>

#include "common/strings.h"
#include "model/event_schema.h"
#include "store/scan_unit.h"

namespace waggle::store {

bool AbsentPasses(PredicateOp op) {
  return op == PredicateOp::kDoesNotExist || op == PredicateOp::kNotEquals || op == PredicateOp::kDoesNotStartWith ||
         op == PredicateOp::kDoesNotEndWith || op == PredicateOp::kDoesNotContain || op == PredicateOp::kNotIn;
}

PreparedLiteral PrepareLiteral(const Literal& l) {
  PreparedLiteral p;
  if (const auto* s = std::get_if<std::string>(&l)) {
    p.is_string = true;
    p.text = *s;
    if (auto n = ParseNumber(*s)) p.is_number = true, p.number = *n;
    if (*s == "true" || *s == "false") p.is_bool = true, p.boolean = *s == "true";
  } else if (const auto* i = std::get_if<int64_t>(&l)) {
    p.is_number = true, p.number = static_cast<double>(*i), p.text = StrCat(*i);
  } else if (const auto* d = std::get_if<double>(&l)) {
    p.is_number = true, p.number = *d, p.text = FormatNumber(*d);
  } else if (const auto* b = std::get_if<bool>(&l)) {
    p.is_bool = true, p.boolean = *b, p.text = *b ? "true" : "false";
  }
  return p;
}

namespace {

bool RangeMayPass(PredicateOp op, double x, double lo, double hi) {
  switch (op) {
    case PredicateOp::kEquals: return x >= lo && x <= hi;
    case PredicateOp::kGreater: return hi > x;
    case PredicateOp::kGreaterOrEqual: return hi >= x;
    case PredicateOp::kLess: return lo < x;
    case PredicateOp::kLessOrEqual: return lo <= x;
    default: return true;
  }
}

bool MayPass(const ScanUnit& unit, const ColumnPredicate& predicate) {
  const PredicateOp op = predicate.op;
  // Only a row with the column can pass the others.
  const bool needs_value = op == PredicateOp::kEquals || op == PredicateOp::kGreater ||
                           op == PredicateOp::kGreaterOrEqual || op == PredicateOp::kLess ||
                           op == PredicateOp::kLessOrEqual || op == PredicateOp::kExists ||
                           op == PredicateOp::kStartsWith || op == PredicateOp::kEndsWith ||
                           op == PredicateOp::kContains || op == PredicateOp::kIn;
  if (!needs_value) return true;
  const bool fixed = model::FindHoneycombSpanField(predicate.column) != nullptr;
  const auto& columns = unit.columns();
  std::vector<size_t> attributes;
  for (size_t c = static_cast<size_t>(FixedColumn::kCount); c < columns.size(); ++c) {
    if (columns[c].key == predicate.column) attributes.push_back(c);
  }
  if (attributes.empty() && !fixed) return false;  // no row has the column

  std::vector<PreparedLiteral> literals;
  for (const Literal& l : predicate.values) literals.push_back(PrepareLiteral(l));
  const bool one_number = literals.size() == 1 && literals[0].is_number;
  if (fixed) {
    // duration_ms alone: the duration column's range, in ms.
    if (predicate.column != "duration_ms" || !attributes.empty() || !one_number) return true;
    auto range = unit.IntRange(static_cast<size_t>(FixedColumn::kDuration));
    return !range || RangeMayPass(op, literals[0].number, static_cast<double>(range->first) / 1e6,
                                  static_cast<double>(range->second) / 1e6);
  }
  // Equality with strings on one string column: its values filter may rule the unit out.
  if (attributes.size() == 1 && columns[attributes[0]].type == model::AttributeType::kString &&
      (op == PredicateOp::kEquals || op == PredicateOp::kIn) && !literals.empty() &&
      std::all_of(literals.begin(), literals.end(), [](const PreparedLiteral& l) { return l.is_string; })) {
    return std::any_of(literals.begin(), literals.end(),
                       [&](const PreparedLiteral& l) { return unit.MayContainString(attributes[0], l.text); });
  }
  // Numeric comparisons against int columns with known ranges.
  if (!one_number) return true;
  for (size_t column : attributes) {
    if (columns[column].type != model::AttributeType::kInt) return true;
    auto range = unit.IntRange(column);
    if (!range) return true;
    if (RangeMayPass(op, literals[0].number, static_cast<double>(range->first), static_cast<double>(range->second))) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool UnitMayPass(const ScanUnit& unit, const RowFilter& filter) {
  auto may_pass = [&](const ColumnPredicate& p) { return MayPass(unit, p); };
  if (filter.any && !filter.empty()) return std::any_of(filter.predicates.begin(), filter.predicates.end(), may_pass);
  return std::all_of(filter.predicates.begin(), filter.predicates.end(), may_pass);
}

}  // namespace waggle::store
