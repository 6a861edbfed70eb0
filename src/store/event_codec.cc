#include "store/event_codec.h"

#include <cstring>

#include "common/strings.h"

namespace waggle::store {
namespace {

constexpr uint8_t kEventVersion = 1;

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void Signed(int64_t v) { Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Byte(uint8_t b) { out_->push_back(static_cast<char>(b)); }
  void Raw(std::string_view s) { out_->append(s); }
  void String(std::string_view s) {
    Varint(s.size());
    out_->append(s);
  }
  void Double(double d) {
    char buf[8];
    std::memcpy(buf, &d, 8);
    out_->append(buf, 8);
  }

 private:
  std::string* out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool AtEnd() const { return in_.empty(); }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return Fail();
      auto b = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();
  }
  int64_t Signed() {
    uint64_t v = Varint();
    return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  uint8_t Byte() {
    if (in_.empty()) return static_cast<uint8_t>(Fail());
    auto b = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return b;
  }
  std::string_view Raw(size_t n) {
    if (in_.size() < n) {
      Fail();
      return {};
    }
    std::string_view s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }
  std::string String() { return std::string(Raw(Varint())); }
  double Double() {
    std::string_view s = Raw(8);
    double d = 0;
    if (s.size() == 8) std::memcpy(&d, s.data(), 8);
    return d;
  }
  template <typename Id>
  Id ReadId() {
    std::string_view raw = Raw(Id::kSize);
    auto id = Id::FromBytes(raw);
    return id ? *id : Id{};
  }

 private:
  uint64_t Fail() {
    ok_ = false;
    in_ = {};
    return 0;
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

void EncodeEvents(const std::vector<model::Event>& events, std::string* out) {
  Writer w(out);
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
  Reader r(data);
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
    if (annotation > 2) return absl::DataLossError("corrupt annotation type");
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
