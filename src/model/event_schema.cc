#include "model/event_schema.h"

#include <optional>

namespace waggle::model {

const HoneycombSpanField* FindHoneycombSpanField(std::string_view name) {
  for (const HoneycombSpanField& f : kHoneycombSpanFields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::optional<AttributeValue> DerivedValue(const Event& event, const HoneycombSpanField& field) {
  int64_t number = 0;
  std::string_view text;
  const TraceId* trace_id = nullptr;
  const SpanId* span_id = nullptr;
  ForEachFixedField([&](const auto& def) {
    using T = typename std::decay_t<decltype(def)>::Type;
    if (def.id != field.source) return;
    const T& v = event.*def.member;
    if constexpr (std::is_same_v<T, TraceId>) trace_id = &v;
    else if constexpr (std::is_same_v<T, SpanId>) span_id = &v;
    else if constexpr (std::is_same_v<T, std::string>) text = v;
    else number = ToStoredInt(v);
  });
  switch (field.derived) {
    case DerivedAs::kHexId:
    case DerivedAs::kHexIdNonZero: {
      const bool zero = trace_id ? trace_id->IsZero() : span_id == nullptr || span_id->IsZero();
      if (zero && field.derived == DerivedAs::kHexIdNonZero) return std::nullopt;
      return trace_id ? trace_id->ToHex() : span_id ? span_id->ToHex() : std::string();
    }
    case DerivedAs::kString: return std::string(text);
    case DerivedAs::kStringNonEmpty:
      if (text.empty()) return std::nullopt;
      return std::string(text);
    case DerivedAs::kKindName:
      return std::string(SpanKindName(FromStoredInt<SpanKind>(number, static_cast<int64_t>(SpanKind::kConsumer))));
    case DerivedAs::kMillis: return static_cast<double>(number) / 1e6;
    case DerivedAs::kInt: return number;
    case DerivedAs::kTrueIfError:
      if (number != static_cast<int64_t>(StatusCode::kError)) return std::nullopt;
      return true;
    case DerivedAs::kTrueIfNonZero:
      if (number == 0) return std::nullopt;
      return true;
    case DerivedAs::kAnnotationName: {
      const std::string_view name = AnnotationName(static_cast<AnnotationType>(number));
      if (name.empty()) return std::nullopt;
      return std::string(name);
    }
    case DerivedAs::kSignalType: return std::string("trace");
  }
  return std::nullopt;
}

std::string_view AnnotationName(AnnotationType type) {
  switch (type) {
    case AnnotationType::kSpanEvent: return "span_event";
    case AnnotationType::kLink: return "link";
    case AnnotationType::kSpan:
    case AnnotationType::kEvent: break;
  }
  return {};
}

}  // namespace waggle::model
