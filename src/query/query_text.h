// The short text form of a query, for the CLI and golden tests:
//
//   HEATMAP(duration_ms) P99(duration_ms) WHERE http.status_code >= 500 AND name exists
//   GROUP BY name ORDER BY P99(duration_ms) DESC HAVING COUNT > 10 LIMIT 10 LAST 1h
//   GRANULARITY 1m
//
// Calculations first (COUNT when none), then clauses in any order: WHERE (filters joined by
// AND or by OR, not both), GROUP BY, ORDER BY, HAVING, LIMIT, LAST <duration> or
// START/END <RFC 3339 or unix seconds>, GRANULARITY <duration>. Values are numbers,
// true/false, or strings (quoted when they hold spaces); `in` / `not-in` take (a, b, c).
// Keywords are case-insensitive. Errors give the character position at fault.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "query/query_spec.h"

namespace waggle::query {

absl::StatusOr<QuerySpec> ParseQueryText(std::string_view text, int64_t now);

// "30s", "10m", "1h", "7d", "2w" or plain seconds.
absl::StatusOr<int64_t> ParseDurationSeconds(std::string_view text);

}  // namespace waggle::query
