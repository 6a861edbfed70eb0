#include "query/query_result_json.h"

#include <cmath>
#include <ctime>

namespace waggle::query {
namespace {

using Json = nlohmann::json;

Json GroupValueJson(const GroupValue& v) {
  switch (v.type) {
    case ValueType::kString: return v.string_value;
    case ValueType::kInt: return v.int_value;
    case ValueType::kDouble: return v.double_value;
    case ValueType::kBool: return v.int_value != 0;
    case ValueType::kAbsent: break;
  }
  return nullptr;
}

Json NumberJson(double v, bool integral) {
  if (integral && v == std::floor(v) && std::fabs(v) < 9e15) return static_cast<int64_t>(v);
  return v;
}

Json RowData(const QueryResult& result, const ResultRow& row) {
  Json data = Json::object();
  for (size_t b = 0; b < row.group.size() && b < result.spec.breakdowns.size(); ++b) {
    data[result.spec.breakdowns[b]] = GroupValueJson(row.group[b]);
  }
  for (size_t i = 0; i < row.values.size(); ++i) {
    const Calculation& c = result.spec.calculations[i];
    const CalculationValue& v = row.values[i];
    if (c.op == CalculationOp::kHeatmap) {
      const HeatmapRange& range = result.heatmaps[i];
      Json counts = Json::array();
      for (double w : v.heatmap) counts.push_back(NumberJson(w, true));
      data[ResultKey(c)] = {{"min", range.min}, {"max", range.max}, {"counts", std::move(counts)}};
      continue;
    }
    const bool integral = c.op == CalculationOp::kCount || c.op == CalculationOp::kCountDistinct ||
                          c.op == CalculationOp::kConcurrency;
    data[ResultKey(c)] = v.number ? NumberJson(*v.number, integral) : Json(nullptr);
  }
  return data;
}

}  // namespace

std::string FormatRfc3339(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Json QueryResultData(const QueryResult& result) {
  Json series = Json::array();
  for (const SeriesRow& s : result.series) {
    series.push_back({{"time", FormatRfc3339(s.time)}, {"data", RowData(result, s.row)}});
  }
  Json results = Json::array();
  for (const ResultRow& r : result.results) results.push_back({{"data", RowData(result, r)}});
  return {{"series", std::move(series)}, {"results", std::move(results)}};
}

}  // namespace waggle::query
