#include "clickhouse/filter_sql.h"

#include <gtest/gtest.h>

namespace waggle::clickhouse {
namespace {

using query::Filter;
using query::FilterOp;

query::QuerySpec Spec(std::vector<Filter> filters, bool filter_or = false) {
  query::QuerySpec spec;
  spec.filters = std::move(filters);
  spec.filter_or = filter_or;
  return spec;
}

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

}  // namespace
}  // namespace waggle::clickhouse
