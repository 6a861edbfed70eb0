// The schema of an event's fixed fields, defined once. The write-ahead log codec, the part
// writer and reader, the head's scan units and the ClickHouse rows iterate kFixedFields; the
// query engine, ClickHouse's filter SQL and model::HoneycombFields() iterate
// kHoneycombSpanFields, which says how each Honeycomb field name is derived from them.
// Adding a field is one entry in each table (and its tests).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "model/event.h"

namespace waggle::model {

// A fixed field's number is its id in part files (store/part_format.h): never renumber, add
// new fields before kCount.
enum class FixedField : uint8_t {
  kTime = 0,
  kDuration,
  kSampleRate,
  kAnnotationType,
  kKind,
  kStatusCode,
  kInvalidDuration,
  kFlags,
  kNumEvents,
  kNumLinks,
  kTraceId,
  kSpanId,
  kParentSpanId,
  kLinkTraceId,
  kLinkSpanId,
  kName,
  kServiceName,
  kStatusMessage,
  kScopeName,
  kScopeVersion,
  kTraceState,
  kCount,
};
inline constexpr size_t kFixedFieldCount = static_cast<size_t>(FixedField::kCount);

// How a fixed field is held in columns: integers (times, enums, flags, counts), strings, or
// fixed-width bytes (ids).
enum class FieldStorage : uint8_t { kInt, kString, kFixedBytes };

template <typename T>
inline constexpr bool kIsId = std::is_same_v<T, TraceId> || std::is_same_v<T, SpanId>;

template <typename T>
struct FixedFieldDef {
  using Type = T;
  FixedField id;
  std::string_view name;  // the column's name (part debug names, ClickHouse columns)
  T Event::*member;
  int64_t max = INT64_MAX;  // enums and bools: the largest valid value

  static constexpr FieldStorage storage() {
    if constexpr (std::is_same_v<T, std::string>) return FieldStorage::kString;
    else if constexpr (kIsId<T>) return FieldStorage::kFixedBytes;
    else return FieldStorage::kInt;
  }
  static constexpr uint32_t width() {
    if constexpr (storage() == FieldStorage::kFixedBytes) return static_cast<uint32_t>(T::kSize);
    else return 0;
  }
};

// In the order of the write-ahead log's event encoding (store/event_codec.cc, version 1),
// which predates this table; the part format orders columns by id instead.
inline constexpr auto kFixedFields = std::make_tuple(
    FixedFieldDef<AnnotationType>{FixedField::kAnnotationType, "annotation_type", &Event::annotation_type,
                                  kMaxAnnotationType},
    FixedFieldDef<int64_t>{FixedField::kTime, "start_ns", &Event::time_unix_nano},
    FixedFieldDef<int64_t>{FixedField::kDuration, "duration_ns", &Event::duration_nano},
    FixedFieldDef<int64_t>{FixedField::kSampleRate, "sample_rate", &Event::sample_rate},
    FixedFieldDef<TraceId>{FixedField::kTraceId, "trace_id", &Event::trace_id},
    FixedFieldDef<SpanId>{FixedField::kSpanId, "span_id", &Event::span_id},
    FixedFieldDef<SpanId>{FixedField::kParentSpanId, "parent_span_id", &Event::parent_span_id},
    FixedFieldDef<SpanKind>{FixedField::kKind, "kind", &Event::kind, static_cast<int64_t>(SpanKind::kConsumer)},
    FixedFieldDef<StatusCode>{FixedField::kStatusCode, "status_code", &Event::status_code,
                              static_cast<int64_t>(StatusCode::kError)},
    FixedFieldDef<bool>{FixedField::kInvalidDuration, "invalid_duration", &Event::invalid_duration, 1},
    FixedFieldDef<std::string>{FixedField::kName, "name", &Event::name},
    FixedFieldDef<std::string>{FixedField::kServiceName, "service", &Event::service_name},
    FixedFieldDef<std::string>{FixedField::kStatusMessage, "status_message", &Event::status_message},
    FixedFieldDef<std::string>{FixedField::kScopeName, "scope_name", &Event::scope_name},
    FixedFieldDef<std::string>{FixedField::kScopeVersion, "scope_version", &Event::scope_version},
    FixedFieldDef<std::string>{FixedField::kTraceState, "trace_state", &Event::trace_state},
    FixedFieldDef<uint32_t>{FixedField::kFlags, "flags", &Event::flags},
    FixedFieldDef<uint32_t>{FixedField::kNumEvents, "num_events", &Event::num_events},
    FixedFieldDef<uint32_t>{FixedField::kNumLinks, "num_links", &Event::num_links},
    FixedFieldDef<TraceId>{FixedField::kLinkTraceId, "link_trace_id", &Event::link_trace_id},
    FixedFieldDef<SpanId>{FixedField::kLinkSpanId, "link_span_id", &Event::link_span_id});
static_assert(std::tuple_size_v<decltype(kFixedFields)> == kFixedFieldCount);

// f(def) for every fixed field, in kFixedFields order; def's type tells the field's C++ type
// at compile time, so callers pay no dispatch per field.
template <typename F>
constexpr void ForEachFixedField(F&& f) {
  std::apply([&](const auto&... def) { (f(def), ...); }, kFixedFields);
}

static_assert(
    [] {
      std::array<bool, kFixedFieldCount> seen{};
      bool once = true;
      ForEachFixedField([&](const auto& def) {
        const size_t id = static_cast<size_t>(def.id);
        once = once && id < kFixedFieldCount && !seen[id];
        if (id < kFixedFieldCount) seen[id] = true;
      });
      return once;
    }(),
    "every FixedField appears in kFixedFields exactly once");

namespace internal {
// kFixedFields' index of each id, so fields can also be visited in id order.
inline constexpr std::array<size_t, kFixedFieldCount> kFixedFieldIndexById = [] {
  std::array<size_t, kFixedFieldCount> index{};
  size_t i = 0;
  ForEachFixedField([&](const auto& def) { index[static_cast<size_t>(def.id)] = i++; });
  return index;
}();
template <typename F, size_t... I>
constexpr void ForEachFixedFieldById(F&& f, std::index_sequence<I...>) {
  (f(std::get<kFixedFieldIndexById[I]>(kFixedFields)), ...);
}
}  // namespace internal

// The same in id order: the order of columns in parts and in ClickHouse rows.
template <typename F>
constexpr void ForEachFixedFieldById(F&& f) {
  internal::ForEachFixedFieldById(f, std::make_index_sequence<kFixedFieldCount>());
}

// Integer fields (enums, bools, counts) as stored in an int column, and back. FromStoredInt
// clamps enums to their valid range: a stored value is trusted only as far as its type allows.
template <typename T>
constexpr int64_t ToStoredInt(const T& v) {
  if constexpr (std::is_enum_v<T>) return static_cast<int64_t>(v);
  else if constexpr (std::is_same_v<T, bool>) return v ? 1 : 0;
  else return static_cast<int64_t>(v);
}
template <typename T>
constexpr T FromStoredInt(int64_t v, int64_t max) {
  if constexpr (std::is_enum_v<T>) return static_cast<T>(v < 0 ? 0 : v > max ? max : v);
  else if constexpr (std::is_same_v<T, bool>) return v != 0;
  else return static_cast<T>(v);
}

struct FixedFieldInfo {
  std::string_view name;
  FieldStorage storage = FieldStorage::kInt;
  uint32_t width = 0;  // kFixedBytes
};

// By id, for code that has a column number rather than a type (part footers, projections).
inline constexpr std::array<FixedFieldInfo, kFixedFieldCount> kFixedFieldInfo = [] {
  std::array<FixedFieldInfo, kFixedFieldCount> info{};
  ForEachFixedField([&](const auto& def) {
    using Def = std::decay_t<decltype(def)>;
    info[static_cast<size_t>(def.id)] = {def.name, Def::storage(), Def::width()};
  });
  return info;
}();
constexpr const FixedFieldInfo& FixedFieldInfoOf(FixedField id) { return kFixedFieldInfo[static_cast<size_t>(id)]; }

// Honeycomb's span fields: the names users query, each derived from one fixed field (or from
// none, a constant) for the events it applies to. Attributes of the same name override them.
enum class DerivedAs : uint8_t {
  kHexId,          // the id in lower-case hex
  kHexIdNonZero,   // ... absent when all zero (a root span's parent)
  kString,         // the string as it is
  kStringNonEmpty, // ... absent when empty
  kKindName,       // a SpanKind as Honeycomb names it: "server", "client", ...
  kMillis,         // nanoseconds as milliseconds (double)
  kInt,            // the integer
  kTrueIfError,    // true when the status is ERROR, else absent
  kTrueIfNonZero,  // true when set, else absent
  kAnnotationName, // "span_event" or "link"
  kSignalType,     // the constant "trace"
};

// The rows a span field exists on.
enum class AppliesTo : uint8_t {
  kTraceRows,    // spans, span events and links (not plain Honeycomb events)
  kSpans,        // spans only
  kAnnotations,  // span events and links
  kLinks,        // links only
};

// The value type a query sees (query::ValueType has the same four).
enum class DerivedType : uint8_t { kString, kInt, kDouble, kBool };

struct HoneycombSpanField {
  std::string_view name;
  FixedField source;  // kCount for a constant
  DerivedAs derived;
  AppliesTo applies;
  DerivedType type;
};

// In the order HoneycombFields() lists them.
inline constexpr HoneycombSpanField kHoneycombSpanFields[] = {
    {"trace.trace_id", FixedField::kTraceId, DerivedAs::kHexId, AppliesTo::kTraceRows, DerivedType::kString},
    {"trace.parent_id", FixedField::kParentSpanId, DerivedAs::kHexIdNonZero, AppliesTo::kTraceRows,
     DerivedType::kString},
    {"name", FixedField::kName, DerivedAs::kString, AppliesTo::kTraceRows, DerivedType::kString},
    {"service.name", FixedField::kServiceName, DerivedAs::kString, AppliesTo::kTraceRows, DerivedType::kString},
    {"error", FixedField::kStatusCode, DerivedAs::kTrueIfError, AppliesTo::kTraceRows, DerivedType::kBool},
    {"trace.span_id", FixedField::kSpanId, DerivedAs::kHexId, AppliesTo::kSpans, DerivedType::kString},
    {"type", FixedField::kKind, DerivedAs::kKindName, AppliesTo::kSpans, DerivedType::kString},
    {"span.kind", FixedField::kKind, DerivedAs::kKindName, AppliesTo::kSpans, DerivedType::kString},
    {"duration_ms", FixedField::kDuration, DerivedAs::kMillis, AppliesTo::kSpans, DerivedType::kDouble},
    {"status_code", FixedField::kStatusCode, DerivedAs::kInt, AppliesTo::kSpans, DerivedType::kInt},
    {"status_message", FixedField::kStatusMessage, DerivedAs::kStringNonEmpty, AppliesTo::kSpans,
     DerivedType::kString},
    {"span.num_events", FixedField::kNumEvents, DerivedAs::kInt, AppliesTo::kSpans, DerivedType::kInt},
    {"span.num_links", FixedField::kNumLinks, DerivedAs::kInt, AppliesTo::kSpans, DerivedType::kInt},
    {"meta.signal_type", FixedField::kCount, DerivedAs::kSignalType, AppliesTo::kSpans, DerivedType::kString},
    {"meta.invalid_duration", FixedField::kInvalidDuration, DerivedAs::kTrueIfNonZero, AppliesTo::kSpans,
     DerivedType::kBool},
    {"library.name", FixedField::kScopeName, DerivedAs::kStringNonEmpty, AppliesTo::kSpans, DerivedType::kString},
    {"library.version", FixedField::kScopeVersion, DerivedAs::kStringNonEmpty, AppliesTo::kSpans,
     DerivedType::kString},
    {"meta.annotation_type", FixedField::kAnnotationType, DerivedAs::kAnnotationName, AppliesTo::kAnnotations,
     DerivedType::kString},
    {"trace.link.trace_id", FixedField::kLinkTraceId, DerivedAs::kHexId, AppliesTo::kLinks, DerivedType::kString},
    {"trace.link.span_id", FixedField::kLinkSpanId, DerivedAs::kHexId, AppliesTo::kLinks, DerivedType::kString},
};

constexpr bool Applies(AppliesTo applies, AnnotationType type) {
  switch (applies) {
    case AppliesTo::kTraceRows: return type != AnnotationType::kEvent;
    case AppliesTo::kSpans: return type == AnnotationType::kSpan;
    case AppliesTo::kAnnotations: return type == AnnotationType::kSpanEvent || type == AnnotationType::kLink;
    case AppliesTo::kLinks: return type == AnnotationType::kLink;
  }
  return false;
}

// The span field of that name, or null.
const HoneycombSpanField* FindHoneycombSpanField(std::string_view name);

// The field's value on an event it applies to; nullopt where Honeycomb leaves it absent.
std::optional<AttributeValue> DerivedValue(const Event& event, const HoneycombSpanField& field);

// "span_event", "link"; empty for spans and plain events.
std::string_view AnnotationName(AnnotationType type);

}  // namespace waggle::model
