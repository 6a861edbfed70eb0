#include "xray/trace_view.h"

#include <algorithm>
#include <functional>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "xray/segment_document.h"
#include "xray/xray_fields.h"

namespace waggle::xray {
namespace {

using Json = nlohmann::json;

class FieldMap {
 public:
  explicit FieldMap(const model::Event& event) {
    for (const model::Field& f : event.fields) map_[f.key] = &f.value;
  }
  const model::AttributeValue* Find(std::string_view key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : it->second;
  }
  std::string String(std::initializer_list<std::string_view> keys) const {
    for (std::string_view key : keys) {
      if (const auto* v = Find(key); v && std::holds_alternative<std::string>(*v)) return std::get<std::string>(*v);
    }
    return "";
  }
  int64_t Int(std::initializer_list<std::string_view> keys) const {
    for (std::string_view key : keys) {
      const auto* v = Find(key);
      if (!v) continue;
      if (std::holds_alternative<int64_t>(*v)) return std::get<int64_t>(*v);
      if (std::holds_alternative<double>(*v)) return static_cast<int64_t>(std::get<double>(*v));
      if (std::holds_alternative<std::string>(*v)) return std::atoll(std::get<std::string>(*v).c_str());
    }
    return 0;
  }
  bool Bool(std::string_view key) const {
    const auto* v = Find(key);
    return v && std::holds_alternative<bool>(*v) && std::get<bool>(*v);
  }
  const std::unordered_map<std::string_view, const model::AttributeValue*>& all() const { return map_; }

 private:
  std::unordered_map<std::string_view, const model::AttributeValue*> map_;
};

XrayNode NodeFromEvent(const model::Event& event) {
  FieldMap f(event);
  XrayNode n;
  n.id = event.span_id.ToHex();
  if (!event.parent_span_id.IsZero()) n.parent_id = event.parent_span_id.ToHex();
  n.service = event.service_name;
  n.start = static_cast<double>(event.time_unix_nano) / 1e9;
  n.end = static_cast<double>(event.time_unix_nano + event.duration_nano) / 1e9;
  n.http_method = f.String({fields::kHttpMethod, "http.request.method"});
  n.http_url = f.String({fields::kHttpUrl, "url.full"});
  n.http_user_agent = f.String({fields::kHttpUserAgent, "user_agent.original"});
  n.http_client_ip = f.String({fields::kHttpClientIp, "client.address"});
  n.http_status = f.Int({fields::kHttpStatus, "http.response.status_code"});
  n.exception_message = f.String({fields::kExceptionMessage});
  n.exception_type = f.String({fields::kExceptionType});
  n.availability_zone = f.String({"aws.ec2.availability_zone", "cloud.availability_zone"});
  n.instance_id = f.String({"aws.ec2.instance_id", "host.id"});
  n.resource_arn = f.String({"aws.resource_arn"});
  for (const model::Field& field : event.fields) {
    if (field.key.starts_with(fields::kAnnotationPrefix)) {
      n.annotations.emplace_back(field.key.substr(std::string_view(fields::kAnnotationPrefix).size()), field.value);
    }
  }
  const std::string type = f.String({fields::kType});
  n.from_xray = !type.empty();
  if (n.from_xray) {
    n.is_segment = type == "segment";
    n.name = event.name;
    n.origin = f.String({fields::kOrigin});
    n.namespace_ = f.String({fields::kNamespace});
    n.in_progress = f.Bool(fields::kInProgress);
    n.error = f.Bool(fields::kError);
    n.fault = f.Bool(fields::kFault);
    n.throttle = f.Bool(fields::kThrottle);
    n.user = f.String({fields::kUser});
    n.document = f.String({fields::kDocument});
  } else {
    // OTLP: segments are decided once parents are known (see BuildXrayTrace).
    n.name = event.name;
    n.user = f.String({"enduser.id", "user.id"});
    if (event.kind == model::SpanKind::kClient || event.kind == model::SpanKind::kProducer) {
      n.namespace_ = "remote";
      n.remote_name = f.String({"peer.service", "server.address", "net.peer.name", "db.system"});
      if (n.remote_name.empty() && !n.http_url.empty()) {
        // scheme://host[:port]/... -> host
        std::string_view url = n.http_url;
        size_t start = url.find("://");
        start = start == std::string_view::npos ? 0 : start + 3;
        size_t end = url.find_first_of(":/?", start);
        n.remote_name = std::string(url.substr(start, end == std::string_view::npos ? url.npos : end - start));
      }
    }
    if (event.status_code == model::StatusCode::kError) {
      if (n.http_status >= 400 && n.http_status < 500) {
        n.error = true;
        n.throttle = n.http_status == 429;
      } else {
        n.fault = true;
      }
    } else if (n.http_status >= 500) {
      n.fault = true;
    } else if (n.http_status >= 400) {
      n.error = true;
      n.throttle = n.http_status == 429;
    }
    n.origin = f.String({"cloud.platform"});
    // Marked now, resolved in BuildXrayTrace: server/consumer spans enter a service.
    n.is_segment = event.kind == model::SpanKind::kServer || event.kind == model::SpanKind::kConsumer;
  }
  return n;
}

Json RenderOtlpNode(const XrayTrace& trace, const XrayNode& n, bool top) {
  Json doc = Json::object();
  doc["id"] = n.id;
  doc["name"] = n.name;
  if (top) doc["trace_id"] = FormatXrayTraceId(trace.trace_id);
  if (!n.parent_id.empty() && (top || n.parent < 0)) doc["parent_id"] = n.parent_id;
  doc["start_time"] = n.start;
  doc["end_time"] = n.end;
  if (!top && !n.namespace_.empty()) doc["namespace"] = n.namespace_;
  if (!n.origin.empty() && top) doc["origin"] = n.origin;
  if (!n.http_method.empty() || n.http_status != 0) {
    Json http = Json::object();
    if (!n.http_method.empty()) http["request"]["method"] = n.http_method;
    if (!n.http_url.empty()) http["request"]["url"] = n.http_url;
    if (!n.http_user_agent.empty()) http["request"]["user_agent"] = n.http_user_agent;
    if (!n.http_client_ip.empty()) http["request"]["client_ip"] = n.http_client_ip;
    if (n.http_status != 0) http["response"]["status"] = n.http_status;
    doc["http"] = std::move(http);
  }
  if (n.error) doc["error"] = true;
  if (n.fault) doc["fault"] = true;
  if (n.throttle) doc["throttle"] = true;
  if (!n.user.empty() && top) doc["user"] = n.user;
  if (!n.exception_message.empty()) {
    doc["cause"]["exceptions"] = Json::array({{{"message", n.exception_message}, {"type", n.exception_type}}});
  }
  if (!n.annotations.empty()) {
    Json annotations = Json::object();
    for (const auto& annotation : n.annotations) {
      std::visit([&](const auto& v) { annotations[annotation.first] = v; }, annotation.second);
    }
    doc["annotations"] = std::move(annotations);
  }
  Json subsegments = Json::array();
  for (int child : n.children) {
    const XrayNode& c = trace.nodes[child];
    if (!c.is_segment) subsegments.push_back(RenderOtlpNode(trace, c, false));
  }
  if (!subsegments.empty()) doc["subsegments"] = std::move(subsegments);
  return doc;
}

}  // namespace

const model::AttributeValue* XrayNode::Annotation(std::string_view key) const {
  for (const auto& [k, v] : annotations) {
    if (k == key) return &v;
  }
  return nullptr;
}

XrayTrace BuildXrayTrace(const model::TraceId& trace_id, const std::vector<model::Event>& events) {
  XrayTrace trace;
  trace.trace_id = trace_id;
  std::unordered_map<std::string, int> by_id;
  std::vector<std::string> event_service;  // per node: the service the event named
  for (const model::Event& event : events) {
    if (event.annotation_type != model::AnnotationType::kSpan) continue;
    XrayNode node = NodeFromEvent(event);
    auto [it, inserted] = by_id.emplace(node.id, static_cast<int>(trace.nodes.size()));
    if (inserted) {
      trace.nodes.push_back(std::move(node));
      continue;
    }
    // Upsert by (trace, id): a completed document replaces an in-progress one, and a later
    // document an earlier one, whatever order they arrived in.
    XrayNode& existing = trace.nodes[it->second];
    if (!node.in_progress || existing.in_progress) existing = std::move(node);
  }

  // Parents, then segments for OTLP spans, then each node's owning segment.
  for (size_t i = 0; i < trace.nodes.size(); ++i) {
    XrayNode& n = trace.nodes[i];
    if (n.parent_id.empty()) continue;
    if (auto it = by_id.find(n.parent_id); it != by_id.end() && it->second != static_cast<int>(i)) {
      n.parent = it->second;
      trace.nodes[n.parent].children.push_back(static_cast<int>(i));
    }
  }
  for (XrayNode& n : trace.nodes) {
    if (n.from_xray) continue;
    if (n.parent < 0 || trace.nodes[n.parent].service != n.service) n.is_segment = true;
  }
  for (size_t i = 0; i < trace.nodes.size(); ++i) {
    int at = static_cast<int>(i);
    for (int hops = 0; at >= 0 && !trace.nodes[at].is_segment && hops < 10000; ++hops) at = trace.nodes[at].parent;
    XrayNode& n = trace.nodes[i];
    n.segment = at;
    if (n.is_segment) {
      if (!n.from_xray) {
        n.name = n.service.empty() ? n.name : n.service;
      }
      n.service = n.name;
    }
  }
  for (XrayNode& n : trace.nodes) {
    if (!n.is_segment && n.segment >= 0) n.service = trace.nodes[n.segment].name;
  }

  bool first = true;
  for (size_t i = 0; i < trace.nodes.size(); ++i) {
    const XrayNode& n = trace.nodes[i];
    if (first || n.start < trace.start) trace.start = n.start;
    if (first || n.end > trace.end) trace.end = n.end;
    first = false;
    if (n.in_progress || (!n.parent_id.empty() && n.parent < 0)) trace.partial = true;
    if (!n.is_segment || n.parent >= 0) continue;
    const bool true_root = n.parent_id.empty();
    if (trace.root < 0 || (true_root && !trace.nodes[trace.root].parent_id.empty()) ||
        (true_root == trace.nodes[trace.root].parent_id.empty() && n.start < trace.nodes[trace.root].start)) {
      trace.root = static_cast<int>(i);
    }
  }
  if (trace.root < 0) trace.partial = true;
  return trace;
}

std::vector<std::pair<std::string, std::string>> SegmentDocuments(const XrayTrace& trace) {
  using OrderedJson = nlohmann::ordered_json;  // keeps the sender's key order
  std::vector<std::pair<std::string, std::string>> out;
  // Subsegments sent on their own, by parent id, waiting to be put under their parents.
  std::unordered_map<std::string, std::vector<OrderedJson>> loose;
  std::vector<const XrayNode*> segments;
  for (const XrayNode& n : trace.nodes) {
    if (n.document.empty()) continue;
    if (n.is_segment) {
      segments.push_back(&n);
      continue;
    }
    OrderedJson doc = OrderedJson::parse(n.document, nullptr, false);
    if (!doc.is_discarded()) loose[n.parent_id].push_back(std::move(doc));
  }
  std::function<bool(OrderedJson&, int)> attach = [&](OrderedJson& node, int depth) {
    if (depth > 64 || !node.is_object()) return false;
    bool changed = false;
    auto id = node.find("id");
    if (id != node.end() && id->is_string()) {
      if (auto it = loose.find(id->get<std::string>()); it != loose.end()) {
        std::vector<OrderedJson> children = std::move(it->second);
        loose.erase(it);
        OrderedJson& subsegments = node["subsegments"];
        if (!subsegments.is_array()) subsegments = OrderedJson::array();
        for (OrderedJson& child : children) subsegments.push_back(std::move(child));
        changed = true;
      }
    }
    if (auto subs = node.find("subsegments"); subs != node.end() && subs->is_array()) {
      for (OrderedJson& child : *subs) changed |= attach(child, depth + 1);
    }
    return changed;
  };
  for (const XrayNode* segment : segments) {
    OrderedJson doc = OrderedJson::parse(segment->document, nullptr, false);
    // As sent, unless subsegments sent on their own had to be put in.
    if (!doc.is_discarded() && attach(doc, 0)) {
      out.emplace_back(segment->id, doc.dump(-1, ' ', false, OrderedJson::error_handler_t::replace));
    } else {
      out.emplace_back(segment->id, segment->document);
    }
  }
  for (auto& [parent, docs] : loose) {  // parents never arrived: the subsegments alone
    for (OrderedJson& doc : docs) {
      auto id = doc.find("id");
      out.emplace_back(id != doc.end() && id->is_string() ? id->get<std::string>() : "", doc.dump(-1, ' ', false, OrderedJson::error_handler_t::replace));
    }
  }
  for (const XrayNode& n : trace.nodes) {
    if (n.from_xray || !n.is_segment) continue;
    out.emplace_back(n.id, RenderOtlpNode(trace, n, true).dump(-1, ' ', false, Json::error_handler_t::replace));
  }
  return out;
}

}  // namespace waggle::xray
