// What a reader wants of rows, in a vocabulary every store understands (DuckDB's
// table_filter.hpp is the model): predicates on a column of the flat event view (a field
// name: a span field such as duration_ms or service.name, or an attribute key), each an
// operator and its literals. A store uses what it can (the embedded store rules out blocks
// from their statistics, the ClickHouse store turns them into SQL) and may hand over rows
// that fail them: the query engine evaluates them again on every row it reads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace waggle::store {

class ScanUnit;

enum class PredicateOp : uint8_t {
  kEquals, kNotEquals, kGreater, kGreaterOrEqual, kLess, kLessOrEqual,
  kStartsWith, kDoesNotStartWith, kEndsWith, kDoesNotEndWith,
  kExists, kDoesNotExist, kContains, kDoesNotContain, kIn, kNotIn,
};

// A literal: what JSON can hold.
using Literal = std::variant<std::monostate, std::string, int64_t, double, bool>;

struct ColumnPredicate {
  std::string column;
  PredicateOp op = PredicateOp::kEquals;
  std::vector<Literal> values;  // one value; a list for in / not-in; none for (does-not-)exist
};

// Every predicate holds (all), or at least one (any).
struct RowFilter {
  std::vector<ColumnPredicate> predicates;
  bool any = false;
  bool empty() const { return predicates.empty(); }
};

// Whether a row without the column passes: negations do, as in Honeycomb.
bool AbsentPasses(PredicateOp op);

// A literal as it compares: a string that reads as a number or a bool compares as one with
// numbers or bools, and as text with strings.
struct PreparedLiteral {
  bool is_number = false;
  double number = 0;
  bool is_bool = false;
  bool boolean = false;
  bool is_string = false;  // the literal was a string (compare text with strings)
  std::string text;
};
PreparedLiteral PrepareLiteral(const Literal& literal);

// False when no row of the unit can pass `filter`, known from what the unit says without
// reading rows (int column ranges, values filters of string columns, columns it lacks). For
// units whose columns are known without loading them (the embedded store's).
bool UnitMayPass(const ScanUnit& unit, const RowFilter& filter);

}  // namespace waggle::store
