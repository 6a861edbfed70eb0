#include "ingest/otlp_span_mapper.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "common/strings.h"
#include "ingest/dataset_rules.h"

namespace waggle::ingest {
namespace {

namespace common_pb = opentelemetry::proto::common::v1;
namespace trace_pb = opentelemetry::proto::trace::v1;
using model::AttributeValue;
using model::Event;
using model::Field;
using model::FieldOrigin;

constexpr size_t kMaxStringBytes = 65535;  // Honeycomb's limit for a string field.
constexpr int kMaxFlattenDepth = 5;        // kvlists flatten to key.sub this deep.
// Attributes kept per span; past it the rest are dropped and counted in
// meta.dropped_attributes (Honeycomb refuses events past 2,000 fields; the OTel SDKs default
// to 128 and count theirs in dropped_attributes_count).
constexpr int kMaxSpanAttributes = 2000;

// Cuts at a UTF-8 character boundary at or below `limit` bytes.
std::string_view Truncate(std::string_view s) {
  if (s.size() <= kMaxStringBytes) return s;
  size_t cut = kMaxStringBytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

// An attribute's value as the mapper hands it on: strings are views, valid during the call.
using ScalarView = std::variant<std::string_view, int64_t, double, bool>;

nlohmann::json AnyValueToJson(const common_pb::AnyValue& v, int depth) {
  if (depth > 32) return nullptr;
  switch (v.value_case()) {
    case common_pb::AnyValue::kStringValue:
      return v.string_value();
    case common_pb::AnyValue::kBoolValue:
      return v.bool_value();
    case common_pb::AnyValue::kIntValue:
      return v.int_value();
    case common_pb::AnyValue::kDoubleValue:
      return std::isfinite(v.double_value()) ? nlohmann::json(v.double_value()) : nullptr;
    case common_pb::AnyValue::kBytesValue:
      return absl::Base64Escape(v.bytes_value());
    case common_pb::AnyValue::kArrayValue: {
      auto array = nlohmann::json::array();
      for (const auto& item : v.array_value().values()) array.push_back(AnyValueToJson(item, depth + 1));
      return array;
    }
    case common_pb::AnyValue::kKvlistValue: {
      auto object = nlohmann::json::object();
      for (const auto& kv : v.kvlist_value().values()) {
        object[kv.key()] = AnyValueToJson(kv.value(), depth + 1);
      }
      return object;
    }
    case common_pb::AnyValue::VALUE_NOT_SET:
      break;
  }
  return nullptr;
}

std::string ToJsonString(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// emit(key, value) for the attribute `key` = `value`, flattening kvlists and turning arrays
// and bytes into JSON strings as Honeycomb does. Unset values are skipped.
template <typename Emit>
void VisitAttribute(std::string_view key, const common_pb::AnyValue& value, int depth, Emit&& emit) {
  switch (value.value_case()) {
    case common_pb::AnyValue::kStringValue:
      emit(key, ScalarView(Truncate(value.string_value())));
      return;
    case common_pb::AnyValue::kBoolValue:
      emit(key, ScalarView(value.bool_value()));
      return;
    case common_pb::AnyValue::kIntValue:
      emit(key, ScalarView(static_cast<int64_t>(value.int_value())));
      return;
    case common_pb::AnyValue::kDoubleValue:
      emit(key, ScalarView(value.double_value()));
      return;
    case common_pb::AnyValue::kBytesValue:
    case common_pb::AnyValue::kArrayValue:
      emit(key, ScalarView(Truncate(ToJsonString(AnyValueToJson(value, 0)))));
      return;
    case common_pb::AnyValue::kKvlistValue:
      if (depth >= kMaxFlattenDepth) {
        emit(key, ScalarView(Truncate(ToJsonString(AnyValueToJson(value, 0)))));
        return;
      }
      for (const auto& kv : value.kvlist_value().values()) {
        VisitAttribute(StrCat(key, ".", kv.key()), kv.value(), depth + 1, emit);
      }
      return;
    case common_pb::AnyValue::VALUE_NOT_SET:
      return;
  }
}

AttributeValue Own(const ScalarView& v) {
  return std::visit([](const auto& x) -> AttributeValue {
    if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string_view>) return std::string(x);
    else return x;
  }, v);
}

template <typename Attributes>
void AppendAttributes(const Attributes& attributes, FieldOrigin origin, std::vector<Field>* out) {
  for (const auto& kv : attributes) {
    VisitAttribute(kv.key(), kv.value(), 0, [&](std::string_view key, const ScalarView& v) {
      out->push_back({std::string(key), Own(v), origin});
    });
  }
}

void AddScalar(store::EventBatchBuilder& out, FieldOrigin origin, std::string_view key, const ScalarView& v) {
  std::visit([&](const auto& x) {
    using T = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<T, std::string_view>) out.AddString(origin, key, x);
    else if constexpr (std::is_same_v<T, int64_t>) out.AddInt(origin, key, x);
    else if constexpr (std::is_same_v<T, double>) out.AddDouble(origin, key, x);
    else out.AddBool(origin, key, x);
  }, v);
}

int64_t ToSignedNanos(uint64_t nanos) {
  return nanos > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(nanos);
}

std::optional<int64_t> SampleRateFrom(const ScalarView& value) {
  double rate = 0;
  if (auto* i = std::get_if<int64_t>(&value)) rate = static_cast<double>(*i);
  else if (auto* d = std::get_if<double>(&value)) rate = *d;
  else if (auto* s = std::get_if<std::string_view>(&value)) {
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), rate);
    if (ec != std::errc()) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (!(rate >= 1)) return 1;  // Honeycomb: a rate <= 0 (or NaN) means 1.
  if (rate > static_cast<double>(std::numeric_limits<int32_t>::max())) {
    return std::numeric_limits<int32_t>::max();
  }
  return static_cast<int64_t>(std::llround(rate));
}

// The sample rate a span's attributes give: the last valid sampleRate of any level, else the
// last valid SampleRate, else 1. Neither is kept as an attribute of the span.
struct SampleRateKeys {
  std::optional<int64_t> preferred;  // sampleRate
  std::optional<int64_t> fallback;   // SampleRate
  // True when `key` is one of them (and so is not an attribute).
  bool Take(std::string_view key, const ScalarView& value) {
    std::optional<int64_t>* slot = key == "sampleRate" ? &preferred : key == "SampleRate" ? &fallback : nullptr;
    if (slot == nullptr) return false;
    if (auto rate = SampleRateFrom(value)) *slot = rate;
    return true;
  }
  int64_t rate() const { return preferred.value_or(fallback.value_or(1)); }
};

ScalarView ViewOf(const AttributeValue& v) {
  return std::visit([](const auto& x) -> ScalarView {
    if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) return std::string_view(x);
    else return x;
  }, v);
}

model::SpanKind KindFrom(trace_pb::Span::SpanKind kind) {
  int k = static_cast<int>(kind);
  return k >= 0 && k <= 5 ? static_cast<model::SpanKind>(k) : model::SpanKind::kUnspecified;
}

model::StatusCode StatusFrom(const trace_pb::Status& status) {
  int c = static_cast<int>(status.code());
  return c >= 0 && c <= 2 ? static_cast<model::StatusCode>(c) : model::StatusCode::kUnset;
}

std::string StringAttribute(const std::vector<Field>& fields, std::string_view key) {
  std::string value;
  for (const Field& f : fields) {
    if (f.key == key) {
      if (auto* s = std::get_if<std::string>(&f.value)) value = *s;
    }
  }
  return value;
}

// Why a span cannot be stored, or empty.
std::string ValidateSpan(const trace_pb::Span& span) {
  if (span.trace_id().size() != 16 || model::TraceId::FromBytes(span.trace_id())->IsZero()) {
    return StrCat("trace_id must be 16 bytes and not all zero (got ", span.trace_id().size(),
                        " bytes)");
  }
  if (span.span_id().size() != 8 || model::SpanId::FromBytes(span.span_id())->IsZero()) {
    return StrCat("span_id must be 8 bytes and not all zero (got ", span.span_id().size(),
                        " bytes)");
  }
  if (!span.parent_span_id().empty() && span.parent_span_id().size() != 8) {
    return StrCat("parent_span_id must be empty or 8 bytes (got ", span.parent_span_id().size(),
                        " bytes)");
  }
  return {};
}

// Attributes of a resource or a scope, read once for all its spans.
struct LevelFields {
  std::vector<Field> fields;
  SampleRateKeys rates;  // what its sampleRate / SampleRate say
};

LevelFields ReadLevel(const google::protobuf::RepeatedPtrField<common_pb::KeyValue>& attributes, FieldOrigin origin) {
  LevelFields level;
  AppendAttributes(attributes, origin, &level.fields);
  for (const Field& f : level.fields) level.rates.Take(f.key, ViewOf(f.value));
  return level;
}

void AddFields(store::EventBatchBuilder& out, const std::vector<Field>& fields, bool skip_sample_rate) {
  for (const Field& f : fields) {
    if (skip_sample_rate && (f.key == "sampleRate" || f.key == "SampleRate")) continue;
    out.AddValue(f.origin, f.key, f.value);
  }
}

std::string_view IdBytes(const std::string& bytes, size_t width) {
  return bytes.size() == width ? std::string_view(bytes) : std::string_view();
}

// The span as a row of `out`, then its span events and links as rows of their own, tied to
// the span by trace.parent_id. Every value goes from the request into the columns directly.
void MapSpan(const trace_pb::Span& span, std::string_view dataset, std::string_view service_name,
             const common_pb::InstrumentationScope& scope, const LevelFields& resource, const LevelFields& scope_level,
             store::EventBatchBuilder& out) {
  using model::FixedField;
  out.StartRow(dataset);
  out.SetInt(FixedField::kAnnotationType, static_cast<int64_t>(model::AnnotationType::kSpan));
  out.SetBytes(FixedField::kTraceId, span.trace_id());
  out.SetBytes(FixedField::kSpanId, span.span_id());
  if (span.parent_span_id().size() == 8) out.SetBytes(FixedField::kParentSpanId, span.parent_span_id());
  const int64_t start = ToSignedNanos(span.start_time_unix_nano());
  const int64_t end = ToSignedNanos(span.end_time_unix_nano());
  out.SetInt(FixedField::kTime, start);
  if (end >= start) out.SetInt(FixedField::kDuration, end - start);
  else out.SetInt(FixedField::kInvalidDuration, 1);
  const auto kind = static_cast<int64_t>(KindFrom(span.kind()));
  const auto status = static_cast<int64_t>(StatusFrom(span.status()));
  out.SetInt(FixedField::kKind, kind);
  out.SetInt(FixedField::kStatusCode, status);
  out.SetString(FixedField::kStatusMessage, span.status().message());
  const std::string_view name = Truncate(span.name());
  out.SetString(FixedField::kName, name);
  out.SetString(FixedField::kServiceName, service_name);
  out.SetString(FixedField::kScopeName, scope.name());
  out.SetString(FixedField::kScopeVersion, scope.version());
  out.SetString(FixedField::kTraceState, span.trace_state());
  out.SetInt(FixedField::kFlags, span.flags());
  out.SetInt(FixedField::kNumEvents, span.events_size());
  out.SetInt(FixedField::kNumLinks, span.links_size());

  AddFields(out, resource.fields, true);
  AddFields(out, scope_level.fields, true);
  SampleRateKeys rates = resource.rates;  // later levels win
  if (scope_level.rates.preferred) rates.preferred = scope_level.rates.preferred;
  if (scope_level.rates.fallback) rates.fallback = scope_level.rates.fallback;
  // Oversized input is clamped and marked, never refused: the rest of the span is worth
  // keeping, and the marks say what was cut. Past kMaxSpanAttributes (sample rates counted)
  // the rest are dropped.
  int64_t span_fields = 0;
  for (const auto& kv : span.attributes()) {
    VisitAttribute(kv.key(), kv.value(), 0, [&](std::string_view key, const ScalarView& v) {
      if (++span_fields > kMaxSpanAttributes) return;
      if (!rates.Take(key, v)) AddScalar(out, FieldOrigin::kSpan, key, v);
    });
  }
  if (span_fields > kMaxSpanAttributes) {
    out.AddInt(FieldOrigin::kSpan, "meta.dropped_attributes", span_fields - kMaxSpanAttributes);
  }
  int64_t truncated = span.name().size() > kMaxStringBytes ? 1 : 0;
  for (const auto& kv : span.attributes()) truncated += kv.value().string_value().size() > kMaxStringBytes;
  if (truncated > 0) out.AddInt(FieldOrigin::kSpan, "meta.truncated_values", truncated);
  // Honeycomb copies the first exception event's details onto the span, so a query on
  // exception.message finds the failing span itself.
  for (const auto& span_event : span.events()) {
    if (span_event.name() != "exception") continue;
    for (const auto& kv : span_event.attributes()) {
      VisitAttribute(kv.key(), kv.value(), 0, [&](std::string_view key, const ScalarView& v) {
        if (key.starts_with("exception.")) AddScalar(out, FieldOrigin::kDerived, key, v);
      });
    }
    break;
  }
  const int64_t sample_rate = rates.rate();
  out.SetInt(FixedField::kSampleRate, sample_rate);

  auto annotation_row = [&](model::AnnotationType type) {
    out.StartRow(dataset);
    out.SetInt(FixedField::kAnnotationType, static_cast<int64_t>(type));
    out.SetBytes(FixedField::kTraceId, span.trace_id());
    out.SetBytes(FixedField::kParentSpanId, span.span_id());
    out.SetInt(FixedField::kTime, start);
    out.SetString(FixedField::kServiceName, service_name);
    out.SetInt(FixedField::kSampleRate, sample_rate);
    AddFields(out, resource.fields, false);
  };
  for (const auto& span_event : span.events()) {
    annotation_row(model::AnnotationType::kSpanEvent);
    const int64_t time = ToSignedNanos(span_event.time_unix_nano());
    out.SetInt(FixedField::kTime, time);
    out.SetString(FixedField::kName, span_event.name());
    out.SetInt(FixedField::kStatusCode, status);  // so `error` is copied from the span
    for (const auto& kv : span_event.attributes()) {
      VisitAttribute(kv.key(), kv.value(), 0,
                     [&](std::string_view key, const ScalarView& v) { AddScalar(out, FieldOrigin::kSpan, key, v); });
    }
    out.AddString(FieldOrigin::kDerived, "parent_name", name);
    out.AddDouble(FieldOrigin::kDerived, "meta.time_since_span_start_ms", static_cast<double>(time - start) / 1e6);
  }
  for (const auto& link : span.links()) {
    annotation_row(model::AnnotationType::kLink);
    out.SetBytes(FixedField::kLinkTraceId, IdBytes(link.trace_id(), model::TraceId::kSize));
    out.SetBytes(FixedField::kLinkSpanId, IdBytes(link.span_id(), model::SpanId::kSize));
    out.SetString(FixedField::kTraceState, link.trace_state());
    out.SetInt(FixedField::kFlags, link.flags());
    for (const auto& kv : link.attributes()) {
      VisitAttribute(kv.key(), kv.value(), 0,
                     [&](std::string_view key, const ScalarView& v) { AddScalar(out, FieldOrigin::kSpan, key, v); });
    }
    out.AddString(FieldOrigin::kDerived, "parent_name", name);
  }
}

}  // namespace

OtlpMapCounts MapOtlpTraces(const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request,
                            const std::optional<std::string>& fixed_dataset, store::EventBatchBuilder* out) {
  OtlpMapCounts counts;
  std::string first_error;
  for (const auto& resource_spans : request.resource_spans()) {
    const LevelFields resource = ReadLevel(resource_spans.resource().attributes(), FieldOrigin::kResource);
    const std::string service_name = StringAttribute(resource.fields, "service.name");
    const std::string dataset = fixed_dataset ? *fixed_dataset : DatasetFromServiceName(service_name);
    uint64_t rows = 0;  // spans, span events and links: the rows this resource adds
    for (const auto& scope_spans : resource_spans.scope_spans()) {
      for (const auto& span : scope_spans.spans()) rows += 1 + span.events_size() + span.links_size();
    }
    out->ReserveRows(static_cast<uint32_t>(std::min<uint64_t>(rows, UINT32_MAX)));
    for (const auto& scope_spans : resource_spans.scope_spans()) {
      const LevelFields scope = ReadLevel(scope_spans.scope().attributes(), FieldOrigin::kScope);
      for (const auto& span : scope_spans.spans()) {
        if (std::string why = ValidateSpan(span); !why.empty()) {
          if (counts.rejected_spans++ == 0) {
            first_error = StrCat("span '", span.name().substr(0, 100), "': ", why);
          }
          continue;
        }
        MapSpan(span, dataset, service_name, scope_spans.scope(), resource, scope, *out);
        ++counts.accepted_spans;
      }
    }
  }
  if (counts.rejected_spans > 0) {
    counts.error_message = StrCat(counts.rejected_spans, " span(s) rejected; first: ", first_error);
  }
  return counts;
}

OtlpMappedBatch MapOtlpTraces(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request,
    const std::optional<std::string>& fixed_dataset) {
  store::EventBatchBuilder builder;
  OtlpMapCounts counts = MapOtlpTraces(request, fixed_dataset, &builder);
  OtlpMappedBatch batch;
  batch.events = store::BatchEvents(builder.Finish());
  batch.accepted_spans = counts.accepted_spans;
  batch.rejected_spans = counts.rejected_spans;
  batch.error_message = std::move(counts.error_message);
  return batch;
}

}  // namespace waggle::ingest
