#include "query/query_result_json.h"

#include <cmath>
#include <ctime>

#include "common/json_writer.h"

namespace waggle::query {
namespace {

void WriteGroupValue(JsonWriter& w, const GroupValue& v) {
  switch (v.type) {
    case ValueType::kString: w.String(v.string_value); return;
    case ValueType::kInt: w.Int(v.int_value); return;
    case ValueType::kDouble: w.Double(v.double_value); return;
    case ValueType::kBool: w.Bool(v.int_value != 0); return;
    case ValueType::kAbsent: break;
  }
  w.Null();
}

void WriteNumber(JsonWriter& w, double v, bool integral) {
  if (integral && v == std::floor(v) && std::fabs(v) < 9e15) {
    w.Int(static_cast<int64_t>(v));
  } else {
    w.Double(v);
  }
}

void WriteRowData(JsonWriter& w, const QueryResult& result, const ResultRow& row) {
  w.BeginObject();
  for (size_t b = 0; b < row.group.size() && b < result.spec.breakdowns.size(); ++b) {
    w.Key(result.spec.breakdowns[b]);
    WriteGroupValue(w, row.group[b]);
  }
  for (size_t i = 0; i < row.values.size(); ++i) {
    const Calculation& c = result.spec.calculations[i];
    const CalculationValue& v = row.values[i];
    w.Key(ResultKey(c));
    if (c.op == CalculationOp::kHeatmap) {
      const HeatmapRange& range = result.heatmaps[i];
      w.BeginObject().Key("min").Double(range.min).Key("max").Double(range.max).Key("counts").BeginArray();
      for (double weight : v.heatmap) WriteNumber(w, weight, true);
      w.EndArray().EndObject();
      continue;
    }
    const bool integral = c.op == CalculationOp::kCount || c.op == CalculationOp::kCountDistinct ||
                          c.op == CalculationOp::kConcurrency;
    if (v.number) {
      WriteNumber(w, *v.number, integral);
    } else {
      w.Null();
    }
  }
  w.EndObject();
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

std::string QueryResultData(const QueryResult& result) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("series").BeginArray();
  for (const SeriesRow& s : result.series) {
    w.BeginObject().Key("time").String(FormatRfc3339(s.time)).Key("data");
    WriteRowData(w, result, s.row);
    w.EndObject();
  }
  w.EndArray().Key("results").BeginArray();
  for (const ResultRow& r : result.results) {
    w.BeginObject().Key("data");
    WriteRowData(w, result, r);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

}  // namespace waggle::query
