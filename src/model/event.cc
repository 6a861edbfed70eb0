#include "model/event.h"

#include <optional>
#include <unordered_map>

#include "model/event_schema.h"

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
  for (const HoneycombSpanField& field : kHoneycombSpanFields) {
    if (!Applies(field.applies, event.annotation_type)) continue;
    if (std::optional<AttributeValue> value = DerivedValue(event, field)) put(std::string(field.name), std::move(*value));
  }
  for (const Field& field : event.fields) put(field.key, field.value);
  return out;
}

}  // namespace waggle::model
