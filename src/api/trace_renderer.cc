#include "api/trace_renderer.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "common/json_writer.h"

namespace waggle::api {
namespace {

using model::AnnotationType;
using model::Event;
using model::FieldOrigin;

void WriteAnyValue(JsonWriter& w, const model::AttributeValue& value) {
  w.BeginObject();
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) w.Key("stringValue").String(v);
        else if constexpr (std::is_same_v<T, int64_t>) w.Key("intValue").String(std::to_string(v));
        else if constexpr (std::is_same_v<T, double>) w.Key("doubleValue").Double(v);
        else w.Key("boolValue").Bool(v);
      },
      value);
  w.EndObject();
}

void WriteAttribute(JsonWriter& w, std::string_view key, const model::AttributeValue& value) {
  w.BeginObject().Key("key").String(key).Key("value");
  WriteAnyValue(w, value);
  w.EndObject();
}

// The attributes of one origin; false when there are none (nothing written but the array).
bool WriteAttributes(JsonWriter& w, const Event& e, FieldOrigin origin) {
  bool any = false;
  w.BeginArray();
  for (const model::Field& f : e.fields) {
    if (f.origin == origin) WriteAttribute(w, f.key, f.value), any = true;
  }
  w.EndArray();
  return any;
}

bool HasOrigin(const Event& e, FieldOrigin origin) {
  return std::any_of(e.fields.begin(), e.fields.end(), [&](const model::Field& f) { return f.origin == origin; });
}

// A key for the group an event's resource (or scope) belongs to: its fields of that origin
// as JSON (and the scope's name and version).
std::string GroupKey(const Event& e, FieldOrigin origin) {
  std::string key;
  JsonWriter w(&key);
  WriteAttributes(w, e, origin);
  if (origin == FieldOrigin::kScope) w.String(e.scope_name).String(e.scope_version);
  return key;
}

void WriteSpan(JsonWriter& w, const Event& span, const std::vector<const Event*>* annotations) {
  w.BeginObject().Key("traceId").String(span.trace_id.ToHex()).Key("spanId").String(span.span_id.ToHex());
  if (!span.trace_state.empty()) w.Key("traceState").String(span.trace_state);
  if (!span.parent_span_id.IsZero()) w.Key("parentSpanId").String(span.parent_span_id.ToHex());
  if (span.flags != 0) w.Key("flags").Int(span.flags);
  w.Key("name").String(span.name).Key("kind").Int(static_cast<int>(span.kind));
  w.Key("startTimeUnixNano").String(std::to_string(span.time_unix_nano));
  w.Key("endTimeUnixNano").String(std::to_string(span.time_unix_nano + span.duration_nano));
  w.Key("attributes").BeginArray();
  for (const model::Field& f : span.fields) {
    if (f.origin == FieldOrigin::kSpan) WriteAttribute(w, f.key, f.value);
  }
  // Stored as the event's sample rate; given back as the attribute it arrived as.
  if (span.sample_rate != 1) WriteAttribute(w, "sampleRate", model::AttributeValue(span.sample_rate));
  w.EndArray();
  w.Key("events").BeginArray();
  if (annotations) {
    for (const Event* a : *annotations) {
      if (a->annotation_type != AnnotationType::kSpanEvent) continue;
      w.BeginObject().Key("timeUnixNano").String(std::to_string(a->time_unix_nano)).Key("name").String(a->name);
      w.Key("attributes");
      WriteAttributes(w, *a, FieldOrigin::kSpan);
      w.EndObject();
    }
  }
  w.EndArray();
  w.Key("links").BeginArray();
  if (annotations) {
    for (const Event* a : *annotations) {
      if (a->annotation_type == AnnotationType::kSpanEvent) continue;
      w.BeginObject().Key("traceId").String(a->link_trace_id.ToHex()).Key("spanId").String(a->link_span_id.ToHex());
      if (!a->trace_state.empty()) w.Key("traceState").String(a->trace_state);
      w.Key("attributes");
      WriteAttributes(w, *a, FieldOrigin::kSpan);
      if (a->flags != 0) w.Key("flags").Int(a->flags);
      w.EndObject();
    }
  }
  w.EndArray();
  w.Key("status").BeginObject().Key("code").Int(static_cast<int>(span.status_code));
  if (!span.status_message.empty()) w.Key("message").String(span.status_message);
  w.EndObject();
  w.EndObject();
}

}  // namespace

std::string RenderTraceAsOtlpJson(const std::vector<Event>& events) {
  std::vector<const Event*> spans;
  std::unordered_map<std::string_view, std::vector<const Event*>> annotations;  // by span id bytes
  for (const Event& e : events) {
    if (e.annotation_type == AnnotationType::kSpan) spans.push_back(&e);
    else annotations[e.parent_span_id.AsBytes()].push_back(&e);
  }
  std::stable_sort(spans.begin(), spans.end(),
                   [](const Event* a, const Event* b) { return a->time_unix_nano < b->time_unix_nano; });

  // Spans grouped by resource, then scope, in order of first appearance.
  struct Scope {
    const Event* first;
    std::vector<const Event*> spans;
  };
  struct Resource {
    const Event* first;
    std::vector<Scope> scopes;
    std::map<std::string, size_t> scope_index;
  };
  std::vector<Resource> resources;
  std::map<std::string, size_t> resource_index;
  for (const Event* span : spans) {
    auto [rit, new_resource] = resource_index.emplace(GroupKey(*span, FieldOrigin::kResource), resources.size());
    if (new_resource) resources.push_back({span, {}, {}});
    Resource& resource = resources[rit->second];
    auto [sit, new_scope] = resource.scope_index.emplace(GroupKey(*span, FieldOrigin::kScope), resource.scopes.size());
    if (new_scope) resource.scopes.push_back({span, {}});
    resource.scopes[sit->second].spans.push_back(span);
  }

  std::string out;
  out.reserve(spans.size() * 400 + 64);
  JsonWriter w(&out);
  w.BeginObject().Key("resourceSpans").BeginArray();
  for (const Resource& resource : resources) {
    w.BeginObject().Key("resource").BeginObject().Key("attributes");
    WriteAttributes(w, *resource.first, FieldOrigin::kResource);
    w.EndObject().Key("scopeSpans").BeginArray();
    for (const Scope& scope : resource.scopes) {
      w.BeginObject().Key("scope").BeginObject().Key("name").String(scope.first->scope_name);
      if (!scope.first->scope_version.empty()) w.Key("version").String(scope.first->scope_version);
      if (HasOrigin(*scope.first, FieldOrigin::kScope)) {
        w.Key("attributes");
        WriteAttributes(w, *scope.first, FieldOrigin::kScope);
      }
      w.EndObject().Key("spans").BeginArray();
      for (const Event* span : scope.spans) {
        auto it = annotations.find(span->span_id.AsBytes());
        WriteSpan(w, *span, it == annotations.end() ? nullptr : &it->second);
      }
      w.EndArray().EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

}  // namespace waggle::api
