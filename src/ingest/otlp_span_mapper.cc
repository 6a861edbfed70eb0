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
std::string Truncate(std::string s) {
  if (s.size() <= kMaxStringBytes) return s;
  size_t cut = kMaxStringBytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s;
}

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

// Appends `key` = `value` to `out`, flattening kvlists and turning arrays and bytes into
// JSON strings as Honeycomb does. Unset values are skipped.
void AppendAttribute(const std::string& key, const common_pb::AnyValue& value, FieldOrigin origin,
                     int depth, std::vector<Field>* out) {
  switch (value.value_case()) {
    case common_pb::AnyValue::kStringValue:
      out->push_back({key, Truncate(value.string_value()), origin});
      return;
    case common_pb::AnyValue::kBoolValue:
      out->push_back({key, value.bool_value(), origin});
      return;
    case common_pb::AnyValue::kIntValue:
      out->push_back({key, static_cast<int64_t>(value.int_value()), origin});
      return;
    case common_pb::AnyValue::kDoubleValue:
      out->push_back({key, value.double_value(), origin});
      return;
    case common_pb::AnyValue::kBytesValue:
      out->push_back({key, Truncate(ToJsonString(AnyValueToJson(value, 0))), origin});
      return;
    case common_pb::AnyValue::kArrayValue:
      out->push_back({key, Truncate(ToJsonString(AnyValueToJson(value, 0))), origin});
      return;
    case common_pb::AnyValue::kKvlistValue:
      if (depth >= kMaxFlattenDepth) {
        out->push_back({key, Truncate(ToJsonString(AnyValueToJson(value, 0))), origin});
        return;
      }
      for (const auto& kv : value.kvlist_value().values()) {
        AppendAttribute(StrCat(key, ".", kv.key()), kv.value(), origin, depth + 1, out);
      }
      return;
    case common_pb::AnyValue::VALUE_NOT_SET:
      return;
  }
}

template <typename Attributes>
void AppendAttributes(const Attributes& attributes, FieldOrigin origin, std::vector<Field>* out) {
  for (const auto& kv : attributes) AppendAttribute(kv.key(), kv.value(), origin, 0, out);
}

int64_t ToSignedNanos(uint64_t nanos) {
  return nanos > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(nanos);
}

std::optional<int64_t> SampleRateFrom(const AttributeValue& value) {
  double rate = 0;
  if (auto* i = std::get_if<int64_t>(&value)) rate = static_cast<double>(*i);
  else if (auto* d = std::get_if<double>(&value)) rate = *d;
  else if (auto* s = std::get_if<std::string>(&value)) {
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

// Removes sampleRate (preferred) and SampleRate from `fields`, returning the rate.
int64_t TakeSampleRate(std::vector<Field>* fields) {
  std::optional<int64_t> rate;
  for (std::string_view name : {"sampleRate", "SampleRate"}) {
    for (const Field& f : *fields) {  // Last one wins, as in the merged map.
      if (f.key == name) {
        if (auto r = SampleRateFrom(f.value)) rate = r;
      }
    }
    if (rate) break;
  }
  std::erase_if(*fields, [](const Field& f) { return f.key == "sampleRate" || f.key == "SampleRate"; });
  return rate.value_or(1);
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

void MapSpan(const trace_pb::Span& span, const std::string& dataset, const std::string& service_name,
             const common_pb::InstrumentationScope& scope, const std::vector<Field>& resource_fields,
             const std::vector<Field>& scope_fields, std::vector<Event>* out) {
  Event e;
  e.dataset = dataset;
  e.annotation_type = model::AnnotationType::kSpan;
  e.trace_id = *model::TraceId::FromBytes(span.trace_id());
  e.span_id = *model::SpanId::FromBytes(span.span_id());
  if (span.parent_span_id().size() == 8) e.parent_span_id = *model::SpanId::FromBytes(span.parent_span_id());
  e.time_unix_nano = ToSignedNanos(span.start_time_unix_nano());
  int64_t end = ToSignedNanos(span.end_time_unix_nano());
  if (end >= e.time_unix_nano) {
    e.duration_nano = end - e.time_unix_nano;
  } else {
    e.invalid_duration = true;
  }
  e.kind = KindFrom(span.kind());
  e.status_code = StatusFrom(span.status());
  e.status_message = span.status().message();
  e.name = Truncate(span.name());
  e.service_name = service_name;
  e.scope_name = scope.name();
  e.scope_version = scope.version();
  e.trace_state = span.trace_state();
  e.flags = span.flags();
  e.num_events = static_cast<uint32_t>(span.events_size());
  e.num_links = static_cast<uint32_t>(span.links_size());

  e.fields = resource_fields;
  e.fields.insert(e.fields.end(), scope_fields.begin(), scope_fields.end());
  AppendAttributes(span.attributes(), FieldOrigin::kSpan, &e.fields);
  // Oversized input is clamped and marked, never refused: the rest of the span is worth
  // keeping, and the marks say what was cut.
  int64_t truncated = span.name().size() > kMaxStringBytes ? 1 : 0;
  for (const auto& kv : span.attributes()) truncated += kv.value().string_value().size() > kMaxStringBytes;
  const auto span_fields = static_cast<int64_t>(
      std::count_if(e.fields.begin(), e.fields.end(), [](const Field& f) { return f.origin == FieldOrigin::kSpan; }));
  if (span_fields > kMaxSpanAttributes) {
    int64_t kept = 0;
    std::erase_if(e.fields, [&](const Field& f) { return f.origin == FieldOrigin::kSpan && ++kept > kMaxSpanAttributes; });
    e.fields.push_back({"meta.dropped_attributes", span_fields - kMaxSpanAttributes, FieldOrigin::kSpan});
  }
  if (truncated > 0) e.fields.push_back({"meta.truncated_values", truncated, FieldOrigin::kSpan});
  // Honeycomb copies the first exception event's details onto the span, so a query on
  // exception.message finds the failing span itself.
  for (const auto& span_event : span.events()) {
    if (span_event.name() != "exception") continue;
    std::vector<Field> copied;
    AppendAttributes(span_event.attributes(), FieldOrigin::kDerived, &copied);
    for (Field& f : copied) {
      if (f.key.starts_with("exception.")) e.fields.push_back(std::move(f));
    }
    break;
  }
  e.sample_rate = TakeSampleRate(&e.fields);

  // Span events and links: rows of their own, tied to the span by trace.parent_id.
  auto annotation_row = [&](model::AnnotationType type) {
    Event row;
    row.dataset = dataset;
    row.annotation_type = type;
    row.trace_id = e.trace_id;
    row.parent_span_id = e.span_id;
    row.time_unix_nano = e.time_unix_nano;
    row.service_name = service_name;
    row.sample_rate = e.sample_rate;
    row.fields = resource_fields;
    return row;
  };
  for (const auto& span_event : span.events()) {
    Event row = annotation_row(model::AnnotationType::kSpanEvent);
    row.time_unix_nano = ToSignedNanos(span_event.time_unix_nano());
    row.name = span_event.name();
    row.status_code = e.status_code;  // so `error` is copied from the span
    AppendAttributes(span_event.attributes(), FieldOrigin::kSpan, &row.fields);
    row.fields.push_back({"parent_name", e.name, FieldOrigin::kDerived});
    row.fields.push_back({"meta.time_since_span_start_ms",
                          static_cast<double>(row.time_unix_nano - e.time_unix_nano) / 1e6,
                          FieldOrigin::kDerived});
    out->push_back(std::move(row));
  }
  for (const auto& link : span.links()) {
    Event row = annotation_row(model::AnnotationType::kLink);
    if (auto id = model::TraceId::FromBytes(link.trace_id())) row.link_trace_id = *id;
    if (auto id = model::SpanId::FromBytes(link.span_id())) row.link_span_id = *id;
    row.trace_state = link.trace_state();
    row.flags = link.flags();
    AppendAttributes(link.attributes(), FieldOrigin::kSpan, &row.fields);
    row.fields.push_back({"parent_name", e.name, FieldOrigin::kDerived});
    out->push_back(std::move(row));
  }
  out->push_back(std::move(e));
}

}  // namespace

OtlpMappedBatch MapOtlpTraces(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request,
    const std::optional<std::string>& fixed_dataset) {
  OtlpMappedBatch batch;
  std::string first_error;
  for (const auto& resource_spans : request.resource_spans()) {
    std::vector<Field> resource_fields;
    AppendAttributes(resource_spans.resource().attributes(), FieldOrigin::kResource, &resource_fields);
    std::string service_name = StringAttribute(resource_fields, "service.name");
    std::string dataset = fixed_dataset ? *fixed_dataset : DatasetFromServiceName(service_name);
    for (const auto& scope_spans : resource_spans.scope_spans()) {
      std::vector<Field> scope_fields;
      AppendAttributes(scope_spans.scope().attributes(), FieldOrigin::kScope, &scope_fields);
      for (const auto& span : scope_spans.spans()) {
        if (std::string why = ValidateSpan(span); !why.empty()) {
          if (batch.rejected_spans++ == 0) {
            first_error = StrCat("span '", span.name().substr(0, 100), "': ", why);
          }
          continue;
        }
        MapSpan(span, dataset, service_name, scope_spans.scope(), resource_fields, scope_fields,
                &batch.events);
        ++batch.accepted_spans;
      }
    }
  }
  if (batch.rejected_spans > 0) {
    batch.error_message = StrCat(batch.rejected_spans, " span(s) rejected; first: ", first_error);
  }
  return batch;
}

}  // namespace waggle::ingest
