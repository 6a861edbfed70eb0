// waggle trace <id>: fetches /api/traces/<id> from a running server and prints the spans as
// an indented tree (service, name, duration, status), children under their parents.
#include <algorithm>
#include <map>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/http_client.h"

namespace waggle::cli {
namespace {

namespace http = boost::beast::http;

struct SpanNode {
  std::string span_id, parent_id, service, name;
  double start_ns = 0, duration_ms = 0;
  int status = 0;
  std::vector<std::string> events;
};

void PrintTree(const std::map<std::string, std::vector<const SpanNode*>>& children,
               const std::string& parent, int depth) {
  auto it = children.find(parent);
  if (it == children.end()) return;
  for (const SpanNode* span : it->second) {
    fmt::print("{:{}}{}  {}  {:.3f} ms{}\n", "", depth * 2, span->service, span->name, span->duration_ms,
               span->status == 2 ? "  [error]" : "");
    for (const std::string& event : span->events) fmt::print("{:{}}  * {}\n", "", depth * 2, event);
    PrintTree(children, span->span_id, depth + 1);
  }
}

}  // namespace

int RunTrace(const TraceFlags& flags) {
  auto answer = HttpCall(flags.server, http::verb::get, "/api/traces/" + flags.trace_id, flags.api_key);
  if (!answer.ok()) {
    fmt::print(stderr, "waggle trace: {}\n", std::string(answer.status().message()));
    return answer.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  const HttpAnswer& response = *answer;
  if (response.result() != http::status::ok) {
    fmt::print(stderr, "waggle trace: {} {}: {}\n", response.result_int(), std::string(response.reason()), response.body());
    return 1;
  }

  auto body = nlohmann::json::parse(response.body(), nullptr, false);
  std::vector<SpanNode> spans;
  for (const auto& rs : body.value("resourceSpans", nlohmann::json::array())) {
    std::string service;
    for (const auto& attr : rs["resource"].value("attributes", nlohmann::json::array())) {
      if (attr.value("key", "") == "service.name") service = attr["value"].value("stringValue", "");
    }
    for (const auto& ss : rs.value("scopeSpans", nlohmann::json::array())) {
      for (const auto& s : ss.value("spans", nlohmann::json::array())) {
        SpanNode node;
        node.span_id = s.value("spanId", "");
        node.parent_id = s.value("parentSpanId", "");
        node.service = service;
        node.name = s.value("name", "");
        double start = std::stod(s.value("startTimeUnixNano", "0"));
        double end = std::stod(s.value("endTimeUnixNano", "0"));
        node.start_ns = start;
        node.duration_ms = (end - start) / 1e6;
        node.status = s["status"].value("code", 0);
        for (const auto& e : s.value("events", nlohmann::json::array())) {
          double t = std::stod(e.value("timeUnixNano", "0"));
          node.events.push_back(fmt::format("{} +{:.3f} ms", e.value("name", ""), (t - start) / 1e6));
        }
        spans.push_back(std::move(node));
      }
    }
  }
  std::map<std::string, const SpanNode*> by_id;
  for (const SpanNode& s : spans) by_id[s.span_id] = &s;
  std::map<std::string, std::vector<const SpanNode*>> children;
  for (const SpanNode& s : spans) {
    // A span whose parent is not in the trace is shown as a root.
    std::string parent = by_id.count(s.parent_id) ? s.parent_id : "";
    children[parent].push_back(&s);
  }
  for (auto& [_, list] : children) {
    std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->start_ns < b->start_ns; });
  }
  fmt::print("trace {} ({} spans)\n", flags.trace_id, spans.size());
  PrintTree(children, "", 0);
  return 0;
}

}  // namespace waggle::cli
