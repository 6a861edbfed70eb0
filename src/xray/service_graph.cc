#include "xray/service_graph.h"

#include <cmath>
#include <map>
#include <set>

#include "common/strings.h"
#include "xray/segment_document.h"

namespace waggle::xray {
namespace {

using Json = nlohmann::json;

std::string InferredType(const XrayNode& x) {
  if (x.namespace_ == "aws") return StrCat("AWS::", x.CalleeName());
  if (x.namespace_ == "remote") return "remote";
  return "";
}

struct Statistics {
  int64_t ok = 0;
  int64_t error_other = 0;
  int64_t throttle = 0;
  int64_t fault = 0;
  int64_t total = 0;
  double total_response = 0;
  std::map<int64_t, int64_t> histogram;  // milliseconds -> count

  void Add(const XrayNode& n) {
    ++total;
    if (n.fault) {
      ++fault;
    } else if (n.throttle) {
      ++throttle;
    } else if (n.error) {
      ++error_other;
    } else {
      ++ok;
    }
    total_response += n.Duration();
    ++histogram[std::llround(n.Duration() * 1000)];
  }

  Json Summary() const {
    return {{"OkCount", ok},
            {"ErrorStatistics", {{"ThrottleCount", throttle}, {"OtherCount", error_other}, {"TotalCount", throttle + error_other}}},
            {"FaultStatistics", {{"OtherCount", fault}, {"TotalCount", fault}}},
            {"TotalCount", total},
            {"TotalResponseTime", std::round(total_response * 1e6) / 1e6}};
  }
  Json Histogram() const {
    Json out = Json::array();
    for (const auto& [ms, count] : histogram) out.push_back({{"Value", static_cast<double>(ms) / 1000.0}, {"Count", count}});
    return out;
  }
};

struct GraphNode {
  int reference_id = 0;
  std::string name;
  std::string type;
  bool root = false;
  bool inferred = false;
  bool client = false;
  double start = 0;
  double end = 0;
  Statistics stats;
  std::map<int, Statistics> edges;  // callee reference id -> the caller's view of the calls
  std::map<int, std::pair<double, double>> edge_times;
};

class Graph {
 public:
  GraphNode& Node(const std::string& name, const std::string& type) {
    auto [it, inserted] = index_.emplace(std::make_pair(name, type), static_cast<int>(nodes_.size()));
    if (inserted) {
      nodes_.emplace_back();
      nodes_.back().reference_id = it->second;
      nodes_.back().name = name;
      nodes_.back().type = type;
    }
    return nodes_[it->second];
  }
  void Edge(GraphNode& from, const GraphNode& to, const XrayNode& call) {
    Statistics& s = from.edges[to.reference_id];
    s.Add(call);
    auto [it, inserted] = from.edge_times.emplace(to.reference_id, std::make_pair(call.start, call.end));
    if (!inserted) {
      it->second.first = std::min(it->second.first, call.start);
      it->second.second = std::max(it->second.second, call.end);
    }
  }
  static void Widen(GraphNode& n, const XrayNode& x) {
    if (n.stats.total == 0 && n.start == 0) {
      n.start = x.start;
      n.end = x.end;
    }
    n.start = std::min(n.start, x.start);
    n.end = std::max(n.end, x.end);
  }

  void AddTrace(const XrayTrace& trace) {
    std::vector<int> node_of(trace.nodes.size(), -1);
    for (size_t i = 0; i < trace.nodes.size(); ++i) {
      const XrayNode& x = trace.nodes[i];
      if (!x.is_segment) continue;
      GraphNode& n = Node(x.name, x.origin);
      Widen(n, x);
      n.stats.Add(x);
      node_of[i] = n.reference_id;
    }
    if (const XrayNode* root = trace.Root()) {
      GraphNode& service = nodes_[node_of[trace.root]];
      service.root = true;
      GraphNode& client = Node("client", "client");
      client.client = true;
      Widen(client, *root);
      Edge(client, nodes_[node_of[trace.root]], *root);
    }
    for (size_t i = 0; i < trace.nodes.size(); ++i) {
      const XrayNode& x = trace.nodes[i];
      if (x.segment < 0 || node_of[x.segment] < 0) continue;
      const int caller = node_of[x.segment];
      if (x.is_segment) {
        // A segment directly under another service's segment: the call has no subsegment.
        if (x.parent >= 0 && trace.nodes[x.parent].is_segment && trace.nodes[x.parent].segment != static_cast<int>(i)) {
          const int parent_node = node_of[trace.nodes[x.parent].segment];
          if (parent_node >= 0) Edge(nodes_[parent_node], nodes_[node_of[i]], x);
        }
        continue;
      }
      bool callee_sent_segment = false;
      for (int c : x.children) {
        if (!trace.nodes[c].is_segment || node_of[c] < 0) continue;
        callee_sent_segment = true;
        Edge(nodes_[caller], nodes_[node_of[c]], x);
      }
      if (callee_sent_segment) continue;
      const std::string type = InferredType(x);
      if (type.empty()) continue;
      GraphNode& inferred = Node(x.CalleeName(), type);
      inferred.inferred = true;
      Widen(inferred, x);
      inferred.stats.Add(x);
      Edge(nodes_[caller], inferred, x);
    }
  }

  Json ToJson(double start, double end) const {
    Json services = Json::array();
    for (const GraphNode& n : nodes_) {
      Json s = {{"ReferenceId", n.reference_id},
                {"Name", n.name},
                {"Names", Json::array({n.name})},
                {"Root", n.root},
                {"State", n.inferred || n.client ? "unknown" : "active"},
                {"StartTime", std::max(start, n.start)},
                {"EndTime", std::min(end, std::max(n.end, n.start))}};
      if (!n.type.empty()) s["Type"] = n.type;
      Json edges = Json::array();
      for (const auto& [to, stats] : n.edges) {
        const auto& times = n.edge_times.at(to);
        edges.push_back({{"ReferenceId", to},
                         {"StartTime", times.first},
                         {"EndTime", times.second},
                         {"SummaryStatistics", stats.Summary()},
                         {"ResponseTimeHistogram", stats.Histogram()},
                         {"Aliases", Json::array()}});
      }
      s["Edges"] = std::move(edges);
      if (!n.client) {
        s["SummaryStatistics"] = n.stats.Summary();
        s["DurationHistogram"] = n.stats.Histogram();
        s["ResponseTimeHistogram"] = n.stats.Histogram();
      }
      services.push_back(std::move(s));
    }
    return services;
  }

 private:
  std::map<std::pair<std::string, std::string>, int> index_;
  std::vector<GraphNode> nodes_;
};

Json ServiceId(const XrayNode& segment) {
  Json id = {{"Name", segment.name}, {"Names", Json::array({segment.name})}};
  if (!segment.origin.empty()) id["Type"] = segment.origin;
  return id;
}

Json AnnotationValue(const model::AttributeValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return {{"StringValue", *s}};
  if (const auto* b = std::get_if<bool>(&v)) return {{"BooleanValue", *b}};
  if (const auto* i = std::get_if<int64_t>(&v)) return {{"NumberValue", static_cast<double>(*i)}};
  return {{"NumberValue", std::get<double>(v)}};
}

double Round6(double v) { return std::round(v * 1e6) / 1e6; }

}  // namespace

Json BuildServiceGraph(const std::vector<const XrayTrace*>& traces, double start, double end) {
  Graph graph;
  for (const XrayTrace* trace : traces) graph.AddTrace(*trace);
  return {{"Services", graph.ToJson(start, end)}};
}

Json TimeSeriesStatistics(const std::vector<const XrayTrace*>& traces, const std::vector<std::string>& services,
                          double start, double end, int64_t period) {
  period = std::max<int64_t>(period, 1);
  std::map<int64_t, Statistics> buckets;
  for (const XrayTrace* trace : traces) {
    for (const XrayNode& x : trace->nodes) {
      if (!x.is_segment || x.start < start || x.start >= end) continue;
      bool wanted = services.empty() ? &x == trace->Root()
                                     : std::find(services.begin(), services.end(), x.name) != services.end();
      if (!wanted) continue;
      int64_t bucket = static_cast<int64_t>(std::floor(x.start / static_cast<double>(period))) * period;
      buckets[bucket].Add(x);
    }
  }
  Json out = Json::array();
  for (const auto& [time, stats] : buckets) {
    Json summary = stats.Summary();
    summary.erase("TotalResponseTime");
    summary["TotalResponseTime"] = Round6(stats.total_response);
    out.push_back({{"Timestamp", static_cast<double>(time)},
                   {"ServiceSummaryStatistics", summary},
                   {"ResponseTimeHistogram", stats.Histogram()}});
  }
  return out;
}

Json TraceSummary(const XrayTrace& trace) {
  Json s = {{"Id", FormatXrayTraceId(trace.trace_id)},
            {"StartTime", Round6(trace.start)},
            {"Duration", Round6(trace.Duration())},
            {"IsPartial", trace.partial},
            {"Revision", 1}};
  bool fault = false, error = false, throttle = false;
  for (const XrayNode& x : trace.nodes) {
    fault |= x.fault;
    error |= x.error;
    throttle |= x.throttle;
  }
  s["HasFault"] = fault;
  s["HasError"] = error;
  s["HasThrottle"] = throttle;
  if (const XrayNode* root = trace.Root()) {
    s["ResponseTime"] = Round6(root->Duration());
    Json http = Json::object();
    if (!root->http_url.empty()) http["HttpURL"] = root->http_url;
    if (root->http_status != 0) http["HttpStatus"] = root->http_status;
    if (!root->http_method.empty()) http["HttpMethod"] = root->http_method;
    if (!root->http_user_agent.empty()) http["UserAgent"] = root->http_user_agent;
    if (!root->http_client_ip.empty()) http["ClientIp"] = root->http_client_ip;
    s["Http"] = std::move(http);
    s["EntryPoint"] = ServiceId(*root);
  } else {
    s["ResponseTime"] = Round6(trace.Duration());
  }
  Json annotations = Json::object();
  Json users = Json::array();
  Json service_ids = Json::array();
  std::set<std::string> seen_services, seen_users;
  for (const XrayNode& x : trace.nodes) {
    const XrayNode& segment = x.segment >= 0 ? trace.nodes[x.segment] : x;
    Json service = {{"Name", segment.name}, {"Names", Json::array({segment.name})}};
    for (const auto& [key, value] : x.annotations) {
      annotations[key].push_back({{"AnnotationValue", AnnotationValue(value)}, {"ServiceIds", Json::array({service})}});
    }
    if (!x.user.empty() && seen_users.insert(x.user).second) {
      users.push_back({{"UserName", x.user}, {"ServiceIds", Json::array({{{"Name", segment.name}}})}});
    }
    if (x.is_segment && seen_services.insert(x.name + "\n" + x.origin).second) service_ids.push_back(ServiceId(x));
  }
  s["Annotations"] = std::move(annotations);
  s["Users"] = std::move(users);
  s["ServiceIds"] = std::move(service_ids);
  return s;
}

}  // namespace waggle::xray
