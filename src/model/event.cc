#include "model/event.h"

#include <unordered_map>

namespace waggle::model {

const char* SpanKindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kInternal:
      return "internal";
    case SpanKind::kServer:
      return "server";
    case SpanKind::kClient:
      return "client";
    case SpanKind::kProducer:
      return "producer";
    case SpanKind::kConsumer:
      return "consumer";
    case SpanKind::kUnspecified:
      break;
  }
  return "unspecified";
}

std::vector<std::pair<std::string, AttributeValue>> HoneycombFields(const Event& event) {
  std::vector<std::pair<std::string, AttributeValue>> out;
  std::unordered_map<std::string, size_t> index;
  auto put = [&](std::string key, AttributeValue value) {
    auto [it, inserted] = index.emplace(key, out.size());
    if (inserted) {
      out.emplace_back(std::move(key), std::move(value));
    } else {
      out[it->second].second = std::move(value);
    }
  };

  if (event.annotation_type == AnnotationType::kEvent) {
    for (const Field& field : event.fields) put(field.key, field.value);
    return out;
  }
  put("trace.trace_id", event.trace_id.ToHex());
  if (!event.parent_span_id.IsZero()) put("trace.parent_id", event.parent_span_id.ToHex());
  put("name", event.name);
  put("service.name", event.service_name);
  if (event.status_code == StatusCode::kError) put("error", true);

  switch (event.annotation_type) {
    case AnnotationType::kSpan:
      put("trace.span_id", event.span_id.ToHex());
      put("type", std::string(SpanKindName(event.kind)));
      put("span.kind", std::string(SpanKindName(event.kind)));
      put("duration_ms", static_cast<double>(event.duration_nano) / 1e6);
      put("status_code", static_cast<int64_t>(event.status_code));
      if (!event.status_message.empty()) put("status_message", event.status_message);
      put("span.num_events", static_cast<int64_t>(event.num_events));
      put("span.num_links", static_cast<int64_t>(event.num_links));
      put("meta.signal_type", std::string("trace"));
      if (event.invalid_duration) put("meta.invalid_duration", true);
      if (!event.scope_name.empty()) put("library.name", event.scope_name);
      if (!event.scope_version.empty()) put("library.version", event.scope_version);
      break;
    case AnnotationType::kSpanEvent:
      put("meta.annotation_type", std::string("span_event"));
      break;
    case AnnotationType::kLink:
      put("meta.annotation_type", std::string("link"));
      put("trace.link.trace_id", event.link_trace_id.ToHex());
      put("trace.link.span_id", event.link_span_id.ToHex());
      break;
    case AnnotationType::kEvent:
      break;
  }
  for (const Field& field : event.fields) put(field.key, field.value);
  return out;
}

}  // namespace waggle::model
