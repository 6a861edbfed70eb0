// A query spec's filters as a ClickHouse condition on waggle_events (clickhouse/event_rows.h),
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

#include <string>

#include "query/query_spec.h"

namespace waggle::clickhouse {

// "" when no filter narrows the rows.
std::string FilterCondition(const query::QuerySpec& spec);

}  // namespace waggle::clickhouse
