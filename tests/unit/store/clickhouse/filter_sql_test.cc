#include "store/clickhouse/filter_sql.h"

#include <gtest/gtest.h>

namespace waggle::clickhouse {
namespace {

using Filter = store::ColumnPredicate;
using FilterOp = store::PredicateOp;

store::RowFilter Spec(std::vector<Filter> filters, bool any = false) { return store::RowFilter{std::move(filters), any}; }

TEST(FilterSqlTest, RootSpansAreThoseWithoutAParent) {
  EXPECT_EQ(FilterCondition(Spec({Filter{"trace.parent_id", FilterOp::kDoesNotExist, {}}})),
            "(((annotation_type = 3 OR parent_span_id = unhex('0000000000000000')) AND "
            "NOT has(attr_keys, 'trace.parent_id')))");
}

TEST(FilterSqlTest, ATraceIdUsesTheColumnAndStillAllowsAnAttribute) {
  const std::string sql = FilterCondition(
      Spec({Filter{"trace.trace_id", FilterOp::kEquals, {std::string("0af7651916cd43dd8448eb211c80319c")}}}));
  EXPECT_NE(sql.find("trace_id IN (unhex('0af7651916cd43dd8448eb211c80319c'))"), std::string::npos) << sql;
  EXPECT_NE(sql.find("k = 'trace.trace_id'"), std::string::npos) << sql;
}

TEST(FilterSqlTest, NumbersAreComparedWithAMargin) {
  const std::string sql = FilterCondition(Spec({Filter{"http.status_code", FilterOp::kGreaterOrEqual, {int64_t{500}}}}));
  EXPECT_NE(sql.find("f >= 499.99999999"), std::string::npos) << sql;
  // A string attribute may read as a number: strings are let through.
  EXPECT_NE(sql.find("t = 0"), std::string::npos) << sql;
}

TEST(FilterSqlTest, NegationsDoNotNarrowAndMakeAnOrNarrowNothing) {
  const Filter negation{"http.route", FilterOp::kNotEquals, {std::string("/health")}};
  const Filter equals{"http.route", FilterOp::kEquals, {std::string("/cart")}};
  EXPECT_EQ(FilterCondition(Spec({negation})), "");
  EXPECT_EQ(FilterCondition(Spec({negation, equals}, /*filter_or=*/true)), "");
  EXPECT_EQ(FilterCondition(Spec({negation, equals})),
            "(arrayExists((k, t, s, f) -> k = 'http.route' AND (t = 0 AND s = '/cart'), attr_keys, attr_types, "
            "attr_strings, attr_floats))");
}

TEST(FilterSqlTest, LiteralsAreQuoted) {
  const std::string sql =
      FilterCondition(Spec({Filter{"name", FilterOp::kContains, {std::string("it's \\ here")}}}));
  EXPECT_NE(sql.find("'it\\'s \\\\ here'"), std::string::npos) << sql;
}

// Every span field the schema table derives as a plain function of its column is pushed
// down with the column and the rows it applies to, from the table, not a list here.
TEST(FilterSqlTest, SpanFieldsComeFromTheSchemaTable) {
  auto sure = [](const std::string& field, FilterOp op, store::Literal value) {
    return SureFilterCondition(Spec({Filter{field, op, {value}}})).value_or("(none)");
  };
  EXPECT_NE(sure("duration_ms", FilterOp::kGreater, int64_t{5}).find("(duration_ns / 1e6) > 5"), std::string::npos)
      << sure("duration_ms", FilterOp::kGreater, int64_t{5});
  const std::string events = sure("span.num_events", FilterOp::kGreaterOrEqual, int64_t{2});
  EXPECT_NE(events.find("num_events"), std::string::npos) << events;
  EXPECT_NE(events.find("annotation_type = 0"), std::string::npos) << events;  // spans only
  const std::string link = sure("trace.link.span_id", FilterOp::kEquals, std::string("00f067aa0ba902b7"));
  EXPECT_NE(link.find("lower(hex(link_span_id))"), std::string::npos) << link;
  EXPECT_NE(link.find("annotation_type = 2"), std::string::npos) << link;  // links only
  EXPECT_NE(sure("span.kind", FilterOp::kEquals, std::string("server")).find("transform(kind, [0, 1, 2, 3, 4, 5]"),
            std::string::npos);
  // Absent-when-empty fields are not a plain function of their column: decided after the fetch.
  EXPECT_EQ(sure("status_message", FilterOp::kEquals, std::string("x")), "(none)");
}

}  // namespace
}  // namespace waggle::clickhouse
