// Waggle's one event model. Every protocol (OTLP, X-Ray, Honeycomb events) is turned into
// Events; every store keeps Events; every query reads them. A span is one Event; its span
// events and links are Events of their own (Honeycomb's "annotations").
//
// Fixed columns hold what every span has (time, duration, ids, name, service, kind, status,
// sample rate). Attributes are kept with the level they came from, so a trace can be given
// back as OTLP with resource, scope and span attributes where they were sent; Honeycomb's
// flat view (later levels win) is derived by HoneycombFields().
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "model/ids.h"

namespace waggle::model {

// A typed attribute value. OTLP arrays, kvlists and bytes arrive already flattened or turned
// into JSON strings (Honeycomb does the same), so four scalar types cover everything.
using AttributeValue = std::variant<std::string, int64_t, double, bool>;

enum class AttributeType : uint8_t { kString = 0, kInt = 1, kDouble = 2, kBool = 3 };

inline AttributeType TypeOf(const AttributeValue& v) {
  return static_cast<AttributeType>(v.index());
}

// Where an attribute came from. kDerived ones were computed by Waggle (for example the
// first exception event's fields copied onto its span) and are not sent back as OTLP.
enum class FieldOrigin : uint8_t { kResource = 0, kScope = 1, kSpan = 2, kDerived = 3 };

struct Field {
  std::string key;
  AttributeValue value;
  FieldOrigin origin = FieldOrigin::kSpan;

  friend bool operator==(const Field&, const Field&) = default;
};

// kEvent: a plain event sent through Honeycomb's Events API (libhoney); every field it has
// is an attribute, and it belongs to no trace unless its fields say so.
enum class AnnotationType : uint8_t { kSpan = 0, kSpanEvent = 1, kLink = 2, kEvent = 3 };
inline constexpr uint8_t kMaxAnnotationType = 3;

// OTLP's SpanKind numbering.
enum class SpanKind : uint8_t {
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};

// OTLP's StatusCode numbering, which is also Honeycomb's status_code field.
enum class StatusCode : uint8_t { kUnset = 0, kOk = 1, kError = 2 };

const char* SpanKindName(SpanKind kind);  // "server", "client", ... as Honeycomb names them

struct Event {
  std::string dataset;
  AnnotationType annotation_type = AnnotationType::kSpan;

  int64_t time_unix_nano = 0;  // span start, or the span event's own time
  int64_t duration_nano = 0;   // spans only; never negative (see invalid_duration)
  int64_t sample_rate = 1;     // >= 1: this event stands for sample_rate events

  TraceId trace_id;
  SpanId span_id;         // zero for span events and links
  SpanId parent_span_id;  // zero for a root span; the owning span for annotations
  SpanKind kind = SpanKind::kUnspecified;
  StatusCode status_code = StatusCode::kUnset;
  bool invalid_duration = false;  // end before start: duration clamped to 0

  std::string name;
  std::string service_name;
  std::string status_message;
  std::string scope_name;
  std::string scope_version;
  std::string trace_state;
  uint32_t flags = 0;
  uint32_t num_events = 0;
  uint32_t num_links = 0;

  // Links only: the span linked to.
  TraceId link_trace_id;
  SpanId link_span_id;

  std::vector<Field> fields;  // in arrival order: resource, scope, span (later wins)

  friend bool operator==(const Event&, const Event&) = default;
};

// Honeycomb's flat view of an event: the field names users query (trace.trace_id,
// duration_ms, service.name, error, ...) with the merge order of A3 in
// shared/reference/protocols.md: the span's own fields, then resource, scope and span
// attributes, later ones winning. Keys are unique in the result.
std::vector<std::pair<std::string, AttributeValue>> HoneycombFields(const Event& event);

}  // namespace waggle::model
