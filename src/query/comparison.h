// A numeric comparison of the filter vocabulary (= != > >= < <=), shared by the filters that
// test a few values at a time (a coded column's distinct values) and by HAVING.
#pragma once

#include "query/query_spec.h"

namespace waggle::query {

inline bool NumberComparisonHolds(FilterOp op, double value, double literal) {
  switch (op) {
    case FilterOp::kEquals: return value == literal;
    case FilterOp::kNotEquals: return value != literal;
    case FilterOp::kGreater: return value > literal;
    case FilterOp::kGreaterOrEqual: return value >= literal;
    case FilterOp::kLess: return value < literal;
    case FilterOp::kLessOrEqual: return value <= literal;
    default: return false;
  }
}

}  // namespace waggle::query
