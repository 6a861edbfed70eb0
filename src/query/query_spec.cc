#include "query/query_spec.h"

#include <cmath>
#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

#include "common/json_writer.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace waggle::query {
namespace {

using Json = nlohmann::json;

constexpr std::array<std::pair<CalculationOp, const char*>, 24> kCalculationOps = {{
    {CalculationOp::kCount, "COUNT"},       {CalculationOp::kConcurrency, "CONCURRENCY"},
    {CalculationOp::kSum, "SUM"},           {CalculationOp::kAvg, "AVG"},
    {CalculationOp::kCountDistinct, "COUNT_DISTINCT"},
    {CalculationOp::kMax, "MAX"},           {CalculationOp::kMin, "MIN"},
    {CalculationOp::kP001, "P001"},         {CalculationOp::kP01, "P01"},
    {CalculationOp::kP05, "P05"},           {CalculationOp::kP10, "P10"},
    {CalculationOp::kP20, "P20"},           {CalculationOp::kP25, "P25"},
    {CalculationOp::kP50, "P50"},           {CalculationOp::kP75, "P75"},
    {CalculationOp::kP80, "P80"},           {CalculationOp::kP90, "P90"},
    {CalculationOp::kP95, "P95"},           {CalculationOp::kP99, "P99"},
    {CalculationOp::kP999, "P999"},         {CalculationOp::kHeatmap, "HEATMAP"},
    {CalculationOp::kRateAvg, "RATE_AVG"},  {CalculationOp::kRateSum, "RATE_SUM"},
    {CalculationOp::kRateMax, "RATE_MAX"},
}};

constexpr std::array<std::pair<FilterOp, const char*>, 16> kFilterOps = {{
    {FilterOp::kEquals, "="},
    {FilterOp::kNotEquals, "!="},
    {FilterOp::kGreater, ">"},
    {FilterOp::kGreaterOrEqual, ">="},
    {FilterOp::kLess, "<"},
    {FilterOp::kLessOrEqual, "<="},
    {FilterOp::kStartsWith, "starts-with"},
    {FilterOp::kDoesNotStartWith, "does-not-start-with"},
    {FilterOp::kEndsWith, "ends-with"},
    {FilterOp::kDoesNotEndWith, "does-not-end-with"},
    {FilterOp::kExists, "exists"},
    {FilterOp::kDoesNotExist, "does-not-exist"},
    {FilterOp::kContains, "contains"},
    {FilterOp::kDoesNotContain, "does-not-contain"},
    {FilterOp::kIn, "in"},
    {FilterOp::kNotIn, "not-in"},
}};

std::string AllCalculationOps() {
  std::string out;
  for (const auto& [op, name] : kCalculationOps) StrAppend(&out, out.empty() ? "" : ", ", name);
  return out;
}

std::string AllFilterOps() {
  std::string out;
  for (const auto& [op, name] : kFilterOps) StrAppend(&out, out.empty() ? "" : ", ", name);
  return out;
}

absl::Status FieldError(std::string_view field, std::string_view message) {
  return absl::InvalidArgumentError(StrCat(field, ": ", message));
}

absl::StatusOr<Literal> LiteralOf(const Json& v, std::string_view field) {
  if (v.is_string()) return Literal(v.get<std::string>());
  if (v.is_boolean()) return Literal(v.get<bool>());
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return Literal(static_cast<double>(v.get<uint64_t>()));
    }
    return Literal(v.get<int64_t>());
  }
  if (v.is_number_float()) return Literal(v.get<double>());
  return FieldError(field, "must be a string, number or boolean");
}

absl::StatusOr<std::string> StringField(const Json& object, const char* key, std::string_view path, bool required) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) return FieldError(StrCat(path, ".", key), "is required");
    return std::string();
  }
  if (!it->is_string()) return FieldError(StrCat(path, ".", key), "must be a string");
  return it->get<std::string>();
}

absl::StatusOr<int64_t> IntField(const Json& v, std::string_view path) {
  if (v.is_number_integer()) return v.get<int64_t>();
  // Range first: casting a double outside int64 is undefined (fuzzing found 1.7e122).
  if (v.is_number_float() && std::abs(v.get<double>()) < 9e18 &&
      v.get<double>() == static_cast<double>(static_cast<int64_t>(v.get<double>()))) {
    return static_cast<int64_t>(v.get<double>());
  }
  return FieldError(path, "must be an integer");
}

bool SameCalculation(CalculationOp op, const std::string& column, const Calculation& c) {
  return c.op == op && (!NeedsColumn(op) || c.column == column);
}

}  // namespace

const char* CalculationOpName(CalculationOp op) {
  for (const auto& [o, name] : kCalculationOps) {
    if (o == op) return name;
  }
  return "?";
}

std::optional<CalculationOp> ParseCalculationOp(std::string_view name) {
  const std::string upper = [&] {
    std::string s(name);
    for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return s;
  }();
  for (const auto& [op, n] : kCalculationOps) {
    if (upper == n) return op;
  }
  return std::nullopt;
}

const char* FilterOpName(FilterOp op) {
  for (const auto& [o, name] : kFilterOps) {
    if (o == op) return name;
  }
  return "?";
}

std::optional<FilterOp> ParseFilterOp(std::string_view name) {
  const std::string lower = AsciiLower(name);
  for (const auto& [op, n] : kFilterOps) {
    if (lower == n) return op;
  }
  return std::nullopt;
}

bool NeedsColumn(CalculationOp op) { return op != CalculationOp::kCount && op != CalculationOp::kConcurrency; }

bool IsPercentile(CalculationOp op) { return op >= CalculationOp::kP001 && op <= CalculationOp::kP999; }

double PercentileOf(CalculationOp op) {
  switch (op) {
    case CalculationOp::kP001: return 0.001;
    case CalculationOp::kP01: return 0.01;
    case CalculationOp::kP05: return 0.05;
    case CalculationOp::kP10: return 0.10;
    case CalculationOp::kP20: return 0.20;
    case CalculationOp::kP25: return 0.25;
    case CalculationOp::kP50: return 0.50;
    case CalculationOp::kP75: return 0.75;
    case CalculationOp::kP80: return 0.80;
    case CalculationOp::kP90: return 0.90;
    case CalculationOp::kP95: return 0.95;
    case CalculationOp::kP99: return 0.99;
    case CalculationOp::kP999: return 0.999;
    default: return 0;
  }
}

std::string ResultKey(const Calculation& c) {
  if (!NeedsColumn(c.op)) return CalculationOpName(c.op);
  return StrCat(CalculationOpName(c.op), "(", c.column, ")");
}

int64_t DefaultGranularity(int64_t time_range) {
  static constexpr int64_t kSteps[] = {1,    2,    5,    10,    15,    30,    60,     120,    300,    600,
                                       900,  1800, 3600, 7200,  10800, 21600, 43200, 86400, 172800, 604800};
  for (int64_t step : kSteps) {
    if (time_range / step <= 300) return step;
  }
  return std::max<int64_t>(1, time_range / 300);
}

absl::Status ValidateQuerySpec(QuerySpec& spec, bool time_range_given, bool start_given, bool end_given,
                               int64_t now) {
  if (spec.calculations.empty()) spec.calculations.push_back({CalculationOp::kCount, ""});
  for (size_t i = 0; i < spec.calculations.size(); ++i) {
    Calculation& c = spec.calculations[i];
    const std::string path = StrCat("calculations[", i, "]");
    if (NeedsColumn(c.op) && c.column.empty()) {
      return FieldError(StrCat(path, ".column"), StrCat(CalculationOpName(c.op), " needs a column, e.g. ",
                                                        CalculationOpName(c.op), "(duration_ms)"));
    }
    if (!NeedsColumn(c.op)) c.column.clear();
  }
  for (size_t i = 0; i < spec.filters.size(); ++i) {
    const Filter& f = spec.filters[i];
    const std::string path = StrCat("filters[", i, "]");
    if (f.column.empty()) return FieldError(StrCat(path, ".column"), "is required");
    const bool no_value = f.op == FilterOp::kExists || f.op == FilterOp::kDoesNotExist;
    const bool list = f.op == FilterOp::kIn || f.op == FilterOp::kNotIn;
    if (!no_value && f.values.empty()) {
      return FieldError(StrCat(path, ".value"), StrCat("is required for op '", FilterOpName(f.op), "'"));
    }
    if (!no_value && !list && f.values.size() != 1) {
      return FieldError(StrCat(path, ".value"), StrCat("op '", FilterOpName(f.op), "' takes one value, not a list"));
    }
  }
  for (size_t i = 0; i < spec.breakdowns.size(); ++i) {
    if (spec.breakdowns[i].empty()) return FieldError(StrCat("breakdowns[", i, "]"), "must not be empty");
  }
  for (size_t i = 0; i < spec.orders.size(); ++i) {
    const Order& o = spec.orders[i];
    const std::string path = StrCat("orders[", i, "]");
    if (o.op) {
      if (*o.op == CalculationOp::kHeatmap) return FieldError(StrCat(path, ".op"), "cannot order by HEATMAP");
      if (NeedsColumn(*o.op) && o.column.empty()) {
        return FieldError(StrCat(path, ".column"), StrCat("ordering by ", CalculationOpName(*o.op), " needs a column"));
      }
      bool found = std::any_of(spec.calculations.begin(), spec.calculations.end(),
                               [&](const Calculation& c) { return SameCalculation(*o.op, o.column, c); });
      if (!found) {
        return FieldError(path, StrCat("orders by ", ResultKey({*o.op, o.column}), ", which is not among the calculations"));
      }
    } else {
      if (o.column.empty()) return FieldError(path, "needs an op or a column");
      if (std::find(spec.breakdowns.begin(), spec.breakdowns.end(), o.column) == spec.breakdowns.end()) {
        return FieldError(StrCat(path, ".column"), StrCat("'", o.column, "' is not a breakdown; order by a breakdown or a calculation"));
      }
    }
  }
  for (size_t i = 0; i < spec.havings.size(); ++i) {
    const Having& h = spec.havings[i];
    const std::string path = StrCat("havings[", i, "]");
    if (h.calculate_op == CalculationOp::kHeatmap) return FieldError(StrCat(path, ".calculate_op"), "HEATMAP cannot be used in a having");
    switch (h.op) {
      case FilterOp::kEquals: case FilterOp::kNotEquals: case FilterOp::kGreater:
      case FilterOp::kGreaterOrEqual: case FilterOp::kLess: case FilterOp::kLessOrEqual:
        break;
      default:
        return FieldError(StrCat(path, ".op"), "must be one of = != > >= < <=");
    }
    bool found = std::any_of(spec.calculations.begin(), spec.calculations.end(),
                             [&](const Calculation& c) { return SameCalculation(h.calculate_op, h.column, c); });
    if (!found) {
      return FieldError(path, StrCat(ResultKey({h.calculate_op, h.column}), " is not among the calculations"));
    }
  }
  if (spec.limit < 1 || spec.limit > 1000) return FieldError("limit", "must be between 1 and 1000");

  if (time_range_given && spec.time_range <= 0) return FieldError("time_range", "must be a positive number of seconds");
  if (start_given && end_given) {
    if (spec.end_time <= spec.start_time) return FieldError("end_time", "must be after start_time");
    if (time_range_given && spec.end_time - spec.start_time != spec.time_range) {
      return FieldError("time_range", "give at most two of time_range, start_time and end_time");
    }
    spec.time_range = spec.end_time - spec.start_time;
  } else if (start_given) {
    spec.end_time = spec.start_time + spec.time_range;
  } else if (end_given) {
    spec.start_time = spec.end_time - spec.time_range;
  } else {
    spec.relative = true;
    ResolveTimes(spec, now);
  }
  if (spec.granularity == 0) {
    spec.granularity = DefaultGranularity(spec.time_range);
  } else {
    const int64_t lowest = std::max<int64_t>(1, spec.time_range / 1000);
    const int64_t highest = std::max<int64_t>(1, spec.time_range / 10);
    if (spec.granularity < lowest || spec.granularity > highest) {
      return FieldError("granularity", StrCat("must be between ", lowest, " and ", highest,
                                              " seconds for a time range of ", spec.time_range, " s"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<QuerySpec> ParseQuerySpec(std::string_view text, int64_t now) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("the query spec is not valid JSON");
  if (!doc.is_object()) return absl::InvalidArgumentError("the query spec must be a JSON object");
  QuerySpec spec;
  static const char* const kKnown[] = {"calculations", "filters", "filter_combination", "breakdowns", "orders",
                                       "havings", "limit", "time_range", "start_time", "end_time", "granularity",
                                       "id", "query_id"};
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (std::none_of(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return it.key() == k; })) {
      return FieldError(it.key(), "unknown field of a query spec");
    }
  }
  if (auto it = doc.find("calculations"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return FieldError("calculations", "must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& c = (*it)[i];
      const std::string path = StrCat("calculations[", i, "]");
      if (!c.is_object()) return FieldError(path, "must be an object like {\"op\":\"COUNT\"}");
      ASSIGN_OR_RETURN(std::string op_name, StringField(c, "op", path, true));
      auto op = ParseCalculationOp(op_name);
      if (!op) return FieldError(StrCat(path, ".op"), StrCat("unknown op '", op_name, "'; use one of ", AllCalculationOps()));
      ASSIGN_OR_RETURN(std::string column, StringField(c, "column", path, false));
      spec.calculations.push_back({*op, std::move(column)});
    }
  }
  if (auto it = doc.find("filters"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return FieldError("filters", "must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& f = (*it)[i];
      const std::string path = StrCat("filters[", i, "]");
      if (!f.is_object()) return FieldError(path, "must be an object like {\"column\":\"name\",\"op\":\"=\",\"value\":\"x\"}");
      Filter filter;
      ASSIGN_OR_RETURN(filter.column, StringField(f, "column", path, true));
      ASSIGN_OR_RETURN(std::string op_name, StringField(f, "op", path, true));
      auto op = ParseFilterOp(op_name);
      if (!op) return FieldError(StrCat(path, ".op"), StrCat("unknown op '", op_name, "'; use one of ", AllFilterOps()));
      filter.op = *op;
      if (auto v = f.find("value"); v != f.end() && !v->is_null()) {
        const bool list = filter.op == FilterOp::kIn || filter.op == FilterOp::kNotIn;
        if (v->is_array()) {
          if (!list) return FieldError(StrCat(path, ".value"), StrCat("op '", op_name, "' takes one value, not a list"));
          for (size_t j = 0; j < v->size(); ++j) {
            ASSIGN_OR_RETURN(Literal l, LiteralOf((*v)[j], StrCat(path, ".value[", j, "]")));
            filter.values.push_back(std::move(l));
          }
        } else {
          ASSIGN_OR_RETURN(Literal l, LiteralOf(*v, StrCat(path, ".value")));
          // Honeycomb accepts "a,b" as the list of in / not-in.
          if (list && std::holds_alternative<std::string>(l)) {
            std::string_view s = std::get<std::string>(l);
            while (true) {
              size_t comma = s.find(',');
              filter.values.emplace_back(std::string(TrimAsciiWhitespace(s.substr(0, comma))));
              if (comma == std::string_view::npos) break;
              s.remove_prefix(comma + 1);
            }
          } else {
            filter.values.push_back(std::move(l));
          }
        }
      }
      spec.filters.push_back(std::move(filter));
    }
  }
  if (auto it = doc.find("filter_combination"); it != doc.end() && !it->is_null()) {
    if (!it->is_string()) return FieldError("filter_combination", "must be \"AND\" or \"OR\"");
    const std::string v = AsciiLower(it->get<std::string>());
    if (v != "and" && v != "or") return FieldError("filter_combination", "must be \"AND\" or \"OR\"");
    spec.filter_or = v == "or";
  }
  if (auto it = doc.find("breakdowns"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return FieldError("breakdowns", "must be an array of column names");
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) return FieldError(StrCat("breakdowns[", i, "]"), "must be a column name");
      spec.breakdowns.push_back((*it)[i].get<std::string>());
    }
  }
  if (auto it = doc.find("orders"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return FieldError("orders", "must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& o = (*it)[i];
      const std::string path = StrCat("orders[", i, "]");
      if (!o.is_object()) return FieldError(path, "must be an object like {\"op\":\"COUNT\",\"order\":\"descending\"}");
      Order order;
      ASSIGN_OR_RETURN(std::string op_name, StringField(o, "op", path, false));
      if (!op_name.empty()) {
        order.op = ParseCalculationOp(op_name);
        if (!order.op) return FieldError(StrCat(path, ".op"), StrCat("unknown op '", op_name, "'"));
      }
      ASSIGN_OR_RETURN(order.column, StringField(o, "column", path, false));
      ASSIGN_OR_RETURN(std::string direction, StringField(o, "order", path, false));
      direction = AsciiLower(direction);
      if (direction != "" && direction != "ascending" && direction != "descending") {
        return FieldError(StrCat(path, ".order"), "must be \"ascending\" or \"descending\"");
      }
      order.descending = direction == "descending";
      spec.orders.push_back(std::move(order));
    }
  }
  if (auto it = doc.find("havings"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return FieldError("havings", "must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& h = (*it)[i];
      const std::string path = StrCat("havings[", i, "]");
      if (!h.is_object()) return FieldError(path, "must be an object");
      Having having;
      ASSIGN_OR_RETURN(std::string op_name, StringField(h, "calculate_op", path, true));
      auto calc = ParseCalculationOp(op_name);
      if (!calc) return FieldError(StrCat(path, ".calculate_op"), StrCat("unknown op '", op_name, "'"));
      having.calculate_op = *calc;
      ASSIGN_OR_RETURN(having.column, StringField(h, "column", path, false));
      ASSIGN_OR_RETURN(std::string cmp, StringField(h, "op", path, true));
      auto op = ParseFilterOp(cmp);
      if (!op) return FieldError(StrCat(path, ".op"), "must be one of = != > >= < <=");
      having.op = *op;
      auto v = h.find("value");
      if (v == h.end() || !v->is_number()) return FieldError(StrCat(path, ".value"), "must be a number");
      having.value = v->get<double>();
      spec.havings.push_back(std::move(having));
    }
  }
  if (auto it = doc.find("limit"); it != doc.end() && !it->is_null()) {
    ASSIGN_OR_RETURN(int64_t limit, IntField(*it, "limit"));
    if (limit < 1 || limit > 1000) return FieldError("limit", "must be between 1 and 1000");
    spec.limit = static_cast<int>(limit);
  }
  bool range_given = false, start_given = false, end_given = false;
  if (auto it = doc.find("time_range"); it != doc.end() && !it->is_null()) {
    ASSIGN_OR_RETURN(spec.time_range, IntField(*it, "time_range"));
    range_given = true;
  }
  if (auto it = doc.find("start_time"); it != doc.end() && !it->is_null()) {
    ASSIGN_OR_RETURN(spec.start_time, IntField(*it, "start_time"));
    start_given = true;
  }
  if (auto it = doc.find("end_time"); it != doc.end() && !it->is_null()) {
    ASSIGN_OR_RETURN(spec.end_time, IntField(*it, "end_time"));
    end_given = true;
  }
  if (auto it = doc.find("granularity"); it != doc.end() && !it->is_null()) {
    ASSIGN_OR_RETURN(spec.granularity, IntField(*it, "granularity"));
    if (spec.granularity <= 0) return FieldError("granularity", "must be a positive number of seconds");
  }
  RETURN_IF_NOT_OK(ValidateQuerySpec(spec, range_given, start_given, end_given, now));
  return spec;
}

void ResolveTimes(QuerySpec& spec, int64_t now) {
  if (!spec.relative) return;
  // Relative to now, including events of the second under way.
  spec.end_time = now + 1;
  spec.start_time = spec.end_time - spec.time_range;
}

namespace {

void WriteLiteral(JsonWriter& w, const Literal& l) {
  std::visit(
      [&w](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          w.Null();
        } else if constexpr (std::is_same_v<T, std::string>) {
          w.String(v);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          w.Int(v);
        } else if constexpr (std::is_same_v<T, double>) {
          w.Double(v);
        } else {
          w.Bool(v);
        }
      },
      l);
}

}  // namespace

std::string QuerySpecToJson(const QuerySpec& spec, std::string_view id) {
  // JsonWriter turns invalid UTF-8 (column names from the text form) into U+FFFD.
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  if (!id.empty()) w.Key("id").String(id);
  w.Key("calculations").BeginArray();
  for (const Calculation& c : spec.calculations) {
    w.BeginObject().Key("op").String(CalculationOpName(c.op));
    if (!c.column.empty()) w.Key("column").String(c.column);
    w.EndObject();
  }
  w.EndArray();
  if (!spec.filters.empty()) {
    w.Key("filters").BeginArray();
    for (const Filter& f : spec.filters) {
      w.BeginObject().Key("column").String(f.column).Key("op").String(FilterOpName(f.op));
      if (f.op == FilterOp::kIn || f.op == FilterOp::kNotIn) {
        w.Key("value").BeginArray();
        for (const Literal& l : f.values) WriteLiteral(w, l);
        w.EndArray();
      } else if (!f.values.empty()) {
        w.Key("value");
        WriteLiteral(w, f.values.front());
      }
      w.EndObject();
    }
    w.EndArray().Key("filter_combination").String(spec.filter_or ? "OR" : "AND");
  }
  if (!spec.breakdowns.empty()) {
    w.Key("breakdowns").BeginArray();
    for (const std::string& b : spec.breakdowns) w.String(b);
    w.EndArray();
  }
  if (!spec.orders.empty()) {
    w.Key("orders").BeginArray();
    for (const Order& o : spec.orders) {
      w.BeginObject();
      if (o.op) w.Key("op").String(CalculationOpName(*o.op));
      if (!o.column.empty()) w.Key("column").String(o.column);
      w.Key("order").String(o.descending ? "descending" : "ascending").EndObject();
    }
    w.EndArray();
  }
  if (!spec.havings.empty()) {
    w.Key("havings").BeginArray();
    for (const Having& h : spec.havings) {
      w.BeginObject().Key("calculate_op").String(CalculationOpName(h.calculate_op));
      if (!h.column.empty()) w.Key("column").String(h.column);
      w.Key("op").String(FilterOpName(h.op)).Key("value").Double(h.value).EndObject();
    }
    w.EndArray();
  }
  w.Key("limit").Int(spec.limit);
  if (spec.relative) {
    w.Key("time_range").Int(spec.time_range);
  } else {
    w.Key("start_time").Int(spec.start_time).Key("end_time").Int(spec.end_time);
  }
  w.Key("granularity").Int(spec.granularity).EndObject();
  return out;
}

}  // namespace waggle::query
