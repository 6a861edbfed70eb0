// waggle query: runs a query on a running Waggle through its Honeycomb API (POST
// /1/queries, POST /1/query_results, then polls) and prints an aligned table, HEATMAP
// values as a terminal heat strip, or the result JSON with --json. The query is a JSON spec
// or the text form of query/query_text.h.
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/http_client.h"
#include "common/strings.h"
#include "common/wall_clock.h"
#include "query/query_spec.h"
#include "query/query_text.h"

namespace waggle::cli {
namespace {

namespace http = boost::beast::http;
using Json = nlohmann::json;


// Eight shades from empty to full, scaled to the fullest bucket of the strip.
std::string HeatStrip(const Json& heatmap) {
  static const char* const kShades[] = {" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
  const Json& counts = heatmap["counts"];
  double most = 0;
  for (const Json& c : counts) most = std::max(most, c.get<double>());
  std::string strip = "|";
  for (const Json& c : counts) {
    const double v = c.get<double>();
    const int shade = v <= 0 || most <= 0 ? 0 : 1 + static_cast<int>(std::min(7.0, 7.99 * v / most));
    strip += kShades[shade];
  }
  strip += "|";
  return fmt::format("{:g} {} {:g}", heatmap.value("min", 0.0), strip, heatmap.value("max", 0.0));
}

std::string Cell(const Json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("counts")) return HeatStrip(v);
  if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
  return v.dump();
}

// The display width of UTF-8 text (one column per code point).
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void PrintTable(const Json& spec, const Json& data) {
  std::vector<std::string> columns;
  for (const Json& b : spec.value("breakdowns", Json::array())) columns.push_back(b.get<std::string>());
  for (const Json& c : spec.value("calculations", Json::array({{{"op", "COUNT"}}}))) {
    const std::string op = c["op"].get<std::string>();
    columns.push_back(c.contains("column") ? StrCat(op, "(", c["column"].get<std::string>(), ")") : op);
  }
  std::vector<std::vector<std::string>> rows;
  for (const Json& r : data["results"]) {
    std::vector<std::string> row;
    for (const std::string& c : columns) row.push_back(Cell(r["data"].value(c, Json())));
    rows.push_back(std::move(row));
  }
  std::vector<size_t> widths(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    widths[i] = Width(columns[i]);
    for (const auto& row : rows) widths[i] = std::max(widths[i], Width(row[i]));
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - Width(row[i]) + 2, ' ');
    }
    fmt::print("{}\n", line);
  };
  print_row(columns);
  std::vector<std::string> rule;
  for (size_t w : widths) rule.push_back(std::string(w, '-'));
  print_row(rule);
  for (const auto& row : rows) print_row(row);
  if (rows.empty()) fmt::print("(no events matched)\n");
}

}  // namespace

int RunQuery(const QueryFlags& flags) {
  std::string text = flags.query;
  if (!flags.file.empty()) {
    std::ifstream in(flags.file);
    if (!in) {
      fmt::print(stderr, "waggle query: cannot read {}\n", flags.file);
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  if (TrimAsciiWhitespace(text).empty()) {
    fmt::print(stderr, "waggle query: give a query, e.g. waggle query -d backend 'P99(duration_ms) GROUP BY name LAST 1h'\n");
    return 2;
  }
  std::string spec_json;
  if (TrimAsciiWhitespace(text).starts_with("{")) {
    auto spec = query::ParseQuerySpec(text, UnixSecondsNow());
    if (!spec.ok()) {
      fmt::print(stderr, "waggle query: {}\n", std::string(spec.status().message()));
      return 2;
    }
    spec_json = text;
  } else {
    auto spec = query::ParseQueryText(text, UnixSecondsNow());
    if (!spec.ok()) {
      fmt::print(stderr, "waggle query: {}\n  {}\n", std::string(spec.status().message()), text);
      return 2;
    }
    spec_json = query::QuerySpecToJson(*spec);
  }
  const std::string dataset = flags.dataset;
  auto fail = [&](const absl::StatusOr<HttpAnswer>& answer, http::status expected) -> bool {
    if (!answer.ok()) {
      fmt::print(stderr, "waggle query: {}\n", std::string(answer.status().message()));
      return true;
    }
    if (answer->result() != expected) {
      auto body = Json::parse(answer->body(), nullptr, false);
      const std::string message = body.is_object() && body.contains("error") ? body["error"].get<std::string>() : answer->body();
      fmt::print(stderr, "waggle query: {}: {}\n", answer->result_int(), message);
      return true;
    }
    return false;
  };
  auto created = HttpCall(flags.server, http::verb::post, "/1/queries/" + dataset, flags.api_key, spec_json);
  if (fail(created, http::status::ok)) return 1;
  const Json query = Json::parse(created->body());
  Json request = {{"query_id", query["id"]}, {"disable_series", !flags.series}};
  auto started = HttpCall(flags.server, http::verb::post, "/1/query_results/" + dataset, flags.api_key, request.dump());
  if (fail(started, http::status::created)) return 1;
  const std::string result_id = Json::parse(started->body())["id"].get<std::string>();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(flags.timeout_seconds);
  Json result;
  while (true) {
    auto polled = HttpCall(flags.server, http::verb::get, "/1/query_results/" + dataset + "/" + result_id, flags.api_key);
    if (fail(polled, http::status::ok)) return 1;
    result = Json::parse(polled->body());
    if (result.value("complete", false)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      fmt::print(stderr, "waggle query: no result after {} s\n", flags.timeout_seconds);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (flags.json) {
    fmt::print("{}\n", result.dump(2));
    return 0;
  }
  PrintTable(Json::parse(spec_json), result["data"]);
  const Json& stats = result.value("stats", Json::object());
  fmt::print("\n{} rows scanned, {} matched, {:.3f} s\n", stats.value("rows_scanned", 0), stats.value("rows_matched", 0),
             stats.value("seconds", 0.0));
  return 0;
}

}  // namespace waggle::cli
