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

// In place: a string keeps its storage (assign), so a reused event allocates nothing.
template <typename Def, typename T>
absl::Status ReadField(ByteReader& r, const Def& def, T& v) {
  if constexpr (std::is_same_v<T, std::string>) v.assign(r.Raw(r.Varint()));
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

void AssignString(model::AttributeValue& value, std::string_view text) {
  if (auto* s = std::get_if<std::string>(&value)) s->assign(text);
  else value.emplace<std::string>(text);
}

// One event at `r`, over every member of `e`. `batch_size` bounds the field count.
absl::Status ReadEvent(ByteReader& r, size_t batch_size, model::Event& e) {
  if (uint8_t version = r.Byte(); version != kEventVersion) {
    return absl::DataLossError(StrCat("unknown event encoding version ", version));
  }
  e.dataset.assign(r.Raw(r.Varint()));
  absl::Status fixed = absl::OkStatus();
  model::ForEachFixedField([&](const auto& def) {
    if (fixed.ok()) fixed = ReadField(r, def, e.*def.member);
  });
  RETURN_IF_NOT_OK(fixed);
  uint64_t num_fields = r.Varint();
  if (!r.ok() || num_fields > batch_size) return absl::DataLossError("corrupt field count");
  e.fields.resize(num_fields);
  for (model::Field& f : e.fields) {
    f.key.assign(r.Raw(r.Varint()));
    uint8_t origin = r.Byte();
    uint8_t type = r.Byte();
    if (origin > 3) return absl::DataLossError("corrupt field origin");
    f.origin = static_cast<model::FieldOrigin>(origin);
    switch (static_cast<model::AttributeType>(type)) {
      case model::AttributeType::kString:
        AssignString(f.value, r.Raw(r.Varint()));
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

EventBatchReader::EventBatchReader(std::string_view data) : data_(data), size_(data.size()), remaining_(0) {
  ByteReader r(data);
  left_ = r.Varint();
  // Each event takes at least 40 bytes of ids, so a larger count is corrupt, not big.
  if (!r.ok() || left_ > data.size() / 40) {
    left_ = UINT64_MAX;  // Next reports it
    return;
  }
  remaining_ = r.remaining();
}

absl::StatusOr<bool> EventBatchReader::Next(model::Event* event) {
  if (left_ == UINT64_MAX) return absl::DataLossError("event batch header is corrupt");
  if (left_ == 0) {
    if (remaining_ != 0) return absl::DataLossError("event batch has trailing bytes");
    return false;
  }
  ByteReader r(data_.substr(size_ - remaining_));
  RETURN_IF_NOT_OK(ReadEvent(r, size_, *event));
  remaining_ = r.remaining();
  --left_;
  return true;
}

absl::Status DecodeEventAt(std::string_view data, uint32_t offset, model::Event* event) {
  if (offset >= data.size()) return absl::DataLossError("event offset past the batch");
  ByteReader r(data.substr(offset));
  return ReadEvent(r, data.size(), *event);
}

absl::StatusOr<std::vector<model::Event>> DecodeEvents(std::string_view data) {
  EventBatchReader reader(data);
  std::vector<model::Event> events;
  events.reserve(reader.left());
  while (true) {
    model::Event e;
    ASSIGN_OR_RETURN(bool more, reader.Next(&e));
    if (!more) return events;
    events.push_back(std::move(e));
  }
}

}  // namespace waggle::store
