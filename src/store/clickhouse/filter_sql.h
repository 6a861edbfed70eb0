// A row filter (store/predicate.h) as a ClickHouse condition on waggle_events (clickhouse/event_rows.h),
// so ClickHouse sends only the rows a query may select.
//
// The condition is a superset, never a subset: Waggle's executor filters the rows again, so a
// filter SQL cannot express exactly (a string that must parse as a number, a field derived
// from several columns) is widened or left out, and numbers are compared with a margin of a
// few ulps, since ClickHouse need not parse a decimal literal to the same double C++ does.
// A field an event has both as a span field (name, duration_ms) and as an attribute takes
// the attribute's value in Honeycomb's flat view, so a fixed field's condition is "the
// column matches OR an attribute of that key matches".
#pragma once

#include <optional>
#include <string>

#include "store/predicate.h"

namespace waggle::clickhouse {

// "" when no filter narrows the rows.
std::string FilterCondition(const store::RowFilter& filter);

// The opposite bound, for counting in ClickHouse (store/count_pushdown.h): a condition only
// rows that pass the filters meet ("1" without filters), or nullopt when it cannot name any.
// Exact cases only: a field with one value in the row (one attribute of its key, or a span
// field no attribute overrides), plain-text or integer literals.
std::optional<std::string> SureFilterCondition(const store::RowFilter& filter);

// A breakdown's value as ClickHouse computes it, exactly as the engine would: `decided` is
// where it can (elsewhere the row goes to the engine); the columns give, in order, UInt8
// present, UInt8 model::AttributeType, String, Int64 and Float64 values.
struct BreakdownSql {
  std::string decided;
  std::string present, type, text, integer, real;
};
// nullopt for a field ClickHouse never computes (the engine counts those queries).
std::optional<BreakdownSql> BreakdownValueSql(const std::string& field);

}  // namespace waggle::clickhouse
