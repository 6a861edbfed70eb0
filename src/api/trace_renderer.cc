#include "api/trace_renderer.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "store/event_codec.h"

namespace waggle::api {
namespace {

using model::AnnotationType;
using model::Event;
using model::FieldOrigin;
using Json = nlohmann::ordered_json;

Json AnyValue(const model::AttributeValue& value) {
  return std::visit(
      [](const auto& v) -> Json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) return {{"stringValue", v}};
        else if constexpr (std::is_same_v<T, int64_t>) return {{"intValue", std::to_string(v)}};
        else if constexpr (std::is_same_v<T, double>) return {{"doubleValue", v}};
        else return {{"boolValue", v}};
      },
      value);
}

Json Attributes(const Event& e, FieldOrigin origin) {
  Json out = Json::array();
  for (const model::Field& f : e.fields) {
    if (f.origin == origin) out.push_back({{"key", f.key}, {"value", AnyValue(f.value)}});
  }
  return out;
}

// A stable key for the group an event's resource (or scope) belongs to.
std::string GroupKey(const Event& e, FieldOrigin origin) {
  Event only;
  for (const model::Field& f : e.fields) {
    if (f.origin == origin) only.fields.push_back(f);
  }
  if (origin == FieldOrigin::kScope) {
    only.scope_name = e.scope_name;
    only.scope_version = e.scope_version;
  }
  std::string key;
  store::EncodeEvents({only}, &key);
  return key;
}

}  // namespace

std::string RenderTraceAsOtlpJson(const std::vector<Event>& events) {
  std::vector<const Event*> spans;
  std::unordered_map<std::string, std::vector<const Event*>> annotations;  // by span id
  for (const Event& e : events) {
    if (e.annotation_type == AnnotationType::kSpan) spans.push_back(&e);
    else annotations[std::string(e.parent_span_id.AsBytes())].push_back(&e);
  }
  std::stable_sort(spans.begin(), spans.end(),
                   [](const Event* a, const Event* b) { return a->time_unix_nano < b->time_unix_nano; });

  Json resource_spans = Json::array();
  std::map<std::string, size_t> resource_index;
  std::map<std::pair<size_t, std::string>, size_t> scope_index;
  for (const Event* span : spans) {
    auto [rit, new_resource] = resource_index.emplace(GroupKey(*span, FieldOrigin::kResource),
                                                      resource_spans.size());
    if (new_resource) {
      resource_spans.push_back({{"resource", {{"attributes", Attributes(*span, FieldOrigin::kResource)}}},
                                {"scopeSpans", Json::array()}});
    }
    Json& scopes = resource_spans[rit->second]["scopeSpans"];
    auto [sit, new_scope] =
        scope_index.emplace(std::make_pair(rit->second, GroupKey(*span, FieldOrigin::kScope)), scopes.size());
    if (new_scope) {
      Json scope = {{"name", span->scope_name}};
      if (!span->scope_version.empty()) scope["version"] = span->scope_version;
      Json scope_attributes = Attributes(*span, FieldOrigin::kScope);
      if (!scope_attributes.empty()) scope["attributes"] = std::move(scope_attributes);
      scopes.push_back({{"scope", std::move(scope)}, {"spans", Json::array()}});
    }

    Json out = {{"traceId", span->trace_id.ToHex()}, {"spanId", span->span_id.ToHex()}};
    if (!span->trace_state.empty()) out["traceState"] = span->trace_state;
    if (!span->parent_span_id.IsZero()) out["parentSpanId"] = span->parent_span_id.ToHex();
    if (span->flags != 0) out["flags"] = span->flags;
    out["name"] = span->name;
    out["kind"] = static_cast<int>(span->kind);
    out["startTimeUnixNano"] = std::to_string(span->time_unix_nano);
    out["endTimeUnixNano"] = std::to_string(span->time_unix_nano + span->duration_nano);
    out["attributes"] = Attributes(*span, FieldOrigin::kSpan);
    if (span->sample_rate != 1) {
      // Stored as the event's sample rate; given back as the attribute it arrived as.
      out["attributes"].push_back({{"key", "sampleRate"}, {"value", AnyValue(span->sample_rate)}});
    }
    Json span_events = Json::array();
    Json links = Json::array();
    if (auto it = annotations.find(std::string(span->span_id.AsBytes())); it != annotations.end()) {
      for (const Event* a : it->second) {
        if (a->annotation_type == AnnotationType::kSpanEvent) {
          span_events.push_back({{"timeUnixNano", std::to_string(a->time_unix_nano)},
                                 {"name", a->name},
                                 {"attributes", Attributes(*a, FieldOrigin::kSpan)}});
        } else {
          Json link = {{"traceId", a->link_trace_id.ToHex()}, {"spanId", a->link_span_id.ToHex()}};
          if (!a->trace_state.empty()) link["traceState"] = a->trace_state;
          link["attributes"] = Attributes(*a, FieldOrigin::kSpan);
          if (a->flags != 0) link["flags"] = a->flags;
          links.push_back(std::move(link));
        }
      }
    }
    out["events"] = std::move(span_events);
    out["links"] = std::move(links);
    Json status = {{"code", static_cast<int>(span->status_code)}};
    if (!span->status_message.empty()) status["message"] = span->status_message;
    out["status"] = std::move(status);
    scopes[sit->second]["spans"].push_back(std::move(out));
  }
  return Json{{"resourceSpans", std::move(resource_spans)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace waggle::api
