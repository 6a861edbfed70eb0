#include "store/event_codec.h"

#include <cstring>

#include "common/status_macros.h"
#include "common/strings.h"
#include "model/event_schema.h"
#include "store/byte_io.h"

namespace waggle::store {
namespace {

constexpr uint8_t kEventVersion = 1;

// Version 1 writes each fixed field by its C++ type, in kFixedFields order.
template <typename T>
void WriteField(ByteWriter& w, const T& v) {
  if constexpr (std::is_same_v<T, std::string>) w.String(v);
  else if constexpr (model::kIsId<T>) w.Raw(v.AsBytes());
  else if constexpr (std::is_same_v<T, int64_t>) w.Signed(v);
  else if constexpr (std::is_same_v<T, uint32_t>) w.Varint(v);
  else w.Byte(static_cast<uint8_t>(model::ToStoredInt(v)));  // enums and bools
}

template <typename Def, typename T>
absl::Status ReadField(ByteReader& r, const Def& def, T& v) {
  if constexpr (std::is_same_v<T, std::string>) v = r.String();
  else if constexpr (model::kIsId<T>) v = r.ReadId<T>();
  else if constexpr (std::is_same_v<T, int64_t>) v = r.Signed();
  else if constexpr (std::is_same_v<T, uint32_t>) v = static_cast<uint32_t>(r.Varint());
  else {
    const uint8_t stored = r.Byte();
    if (stored > def.max) return absl::DataLossError(StrCat("corrupt ", def.name));
    v = model::FromStoredInt<T>(stored, def.max);
  }
  return absl::OkStatus();
}

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
    model::ForEachFixedField([&](const auto& def) { WriteField(w, e.*def.member); });
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
    absl::Status fixed = absl::OkStatus();
    model::ForEachFixedField([&](const auto& def) {
      if (fixed.ok()) fixed = ReadField(r, def, e.*def.member);
    });
    RETURN_IF_NOT_OK(fixed);
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
