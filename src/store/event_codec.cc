#include "store/event_codec.h"

#include <cstring>

#include "common/strings.h"
#include "store/byte_io.h"

namespace waggle::store {
namespace {

constexpr uint8_t kEventVersion = 1;

}  // namespace

void EncodeEvents(const std::vector<model::Event>& events, std::string* out) {
  EncodeEvents(std::span<const model::Event>(events), out);
}

void EncodeEvents(std::span<const model::Event> events, std::string* out) {
  ByteWriter w(out);
  w.Varint(events.size());
  for (const model::Event& e : events) {
    w.Byte(kEventVersion);
    w.String(e.dataset);
    w.Byte(static_cast<uint8_t>(e.annotation_type));
    w.Signed(e.time_unix_nano);
    w.Signed(e.duration_nano);
    w.Signed(e.sample_rate);
    w.Raw(e.trace_id.AsBytes());
    w.Raw(e.span_id.AsBytes());
    w.Raw(e.parent_span_id.AsBytes());
    w.Byte(static_cast<uint8_t>(e.kind));
    w.Byte(static_cast<uint8_t>(e.status_code));
    w.Byte(e.invalid_duration ? 1 : 0);
    w.String(e.name);
    w.String(e.service_name);
    w.String(e.status_message);
    w.String(e.scope_name);
    w.String(e.scope_version);
    w.String(e.trace_state);
    w.Varint(e.flags);
    w.Varint(e.num_events);
    w.Varint(e.num_links);
    w.Raw(e.link_trace_id.AsBytes());
    w.Raw(e.link_span_id.AsBytes());
    w.Varint(e.fields.size());
    for (const model::Field& f : e.fields) {
      w.String(f.key);
      w.Byte(static_cast<uint8_t>(f.origin));
      w.Byte(static_cast<uint8_t>(model::TypeOf(f.value)));
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>) w.String(v);
            else if constexpr (std::is_same_v<T, int64_t>) w.Signed(v);
            else if constexpr (std::is_same_v<T, double>) w.Double(v);
            else w.Byte(v ? 1 : 0);
          },
          f.value);
    }
  }
}

absl::StatusOr<std::vector<model::Event>> DecodeEvents(std::string_view data) {
  ByteReader r(data);
  uint64_t count = r.Varint();
  // Each event takes at least 40 bytes of ids, so a larger count is corrupt, not big.
  if (!r.ok() || count > data.size() / 40) {
    return absl::DataLossError("event batch header is corrupt");
  }
  std::vector<model::Event> events(count);
  for (model::Event& e : events) {
    if (uint8_t version = r.Byte(); version != kEventVersion) {
      return absl::DataLossError(StrCat("unknown event encoding version ", version));
    }
    e.dataset = r.String();
    uint8_t annotation = r.Byte();
    if (annotation > model::kMaxAnnotationType) return absl::DataLossError("corrupt annotation type");
    e.annotation_type = static_cast<model::AnnotationType>(annotation);
    e.time_unix_nano = r.Signed();
    e.duration_nano = r.Signed();
    e.sample_rate = r.Signed();
    e.trace_id = r.ReadId<model::TraceId>();
    e.span_id = r.ReadId<model::SpanId>();
    e.parent_span_id = r.ReadId<model::SpanId>();
    uint8_t kind = r.Byte();
    uint8_t status = r.Byte();
    if (kind > 5 || status > 2) return absl::DataLossError("corrupt span kind or status");
    e.kind = static_cast<model::SpanKind>(kind);
    e.status_code = static_cast<model::StatusCode>(status);
    e.invalid_duration = r.Byte() != 0;
    e.name = r.String();
    e.service_name = r.String();
    e.status_message = r.String();
    e.scope_name = r.String();
    e.scope_version = r.String();
    e.trace_state = r.String();
    e.flags = static_cast<uint32_t>(r.Varint());
    e.num_events = static_cast<uint32_t>(r.Varint());
    e.num_links = static_cast<uint32_t>(r.Varint());
    e.link_trace_id = r.ReadId<model::TraceId>();
    e.link_span_id = r.ReadId<model::SpanId>();
    uint64_t num_fields = r.Varint();
    if (!r.ok() || num_fields > data.size()) return absl::DataLossError("corrupt field count");
    e.fields.resize(num_fields);
    for (model::Field& f : e.fields) {
      f.key = r.String();
      uint8_t origin = r.Byte();
      uint8_t type = r.Byte();
      if (origin > 3) return absl::DataLossError("corrupt field origin");
      f.origin = static_cast<model::FieldOrigin>(origin);
      switch (static_cast<model::AttributeType>(type)) {
        case model::AttributeType::kString:
          f.value = r.String();
          break;
        case model::AttributeType::kInt:
          f.value = r.Signed();
          break;
        case model::AttributeType::kDouble:
          f.value = r.Double();
          break;
        case model::AttributeType::kBool:
          f.value = r.Byte() != 0;
          break;
        default:
          return absl::DataLossError("corrupt field type");
      }
    }
    if (!r.ok()) return absl::DataLossError("event batch is truncated");
  }
  if (!r.AtEnd()) return absl::DataLossError("event batch has trailing bytes");
  return events;
}

}  // namespace waggle::store
