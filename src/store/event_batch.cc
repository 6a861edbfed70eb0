#include "store/event_batch.h"

#include <algorithm>
#include <cstring>

#include <xxhash.h>

#include "common/status_macros.h"
#include "common/strings.h"
#include "store/byte_io.h"
#include "store/event_codec.h"
#include "store/scan_unit.h"

namespace waggle::store {
namespace {

constexpr uint8_t kBatchFormat = 2;
constexpr uint8_t kCompressedBatchFormat = 3;
// A decompressed record past this is corrupt (the log refuses records this big to begin with).
constexpr uint64_t kMaxDecompressedRecord = uint64_t{1} << 31;
constexpr size_t kFixedCount = model::kFixedFieldCount;

size_t Index(model::FixedField f) { return static_cast<size_t>(f); }

// The smallest and largest value of each int column's present rows, and what the columns
// hold in memory.
void Summarize(EventBatch& batch) {
  batch.int_ranges.assign(batch.columns.size(), std::nullopt);
  batch.memory_bytes = sizeof(EventBatch) + batch.dataset.size();
  for (size_t c = 0; c < batch.columns.size(); ++c) {
    const ColumnValues& v = batch.values[c];
    batch.memory_bytes += sizeof(ColumnValues) + sizeof(ColumnDescriptor) + batch.columns[c].key.size() +
                          v.present.size() + v.ints.size() * 8 + v.doubles.size() * 8 + v.codes.size() * 4 +
                          v.dictionary.size() * sizeof(std::string_view) + v.fixed.size();
    if (batch.columns[c].physical_type() != PhysicalType::kInt) continue;
    std::optional<std::pair<int64_t, int64_t>>& range = batch.int_ranges[c];
    for (uint32_t row = 0; row < batch.rows; ++row) {
      if (!v.Has(row)) continue;
      const int64_t x = v.ints[row];
      if (!range) range.emplace(x, x);
      else range->first = std::min(range->first, x), range->second = std::max(range->second, x);
    }
  }
  const auto& time = batch.int_ranges[Index(model::FixedField::kTime)];
  batch.min_time = time ? time->first : 0;
  batch.max_time = time ? time->second : 0;
}

class BatchUnit final : public ScanUnit {
 public:
  explicit BatchUnit(std::shared_ptr<const EventBatch> batch) : batch_(std::move(batch)) {}
  const std::string& dataset() const override { return batch_->dataset; }
  uint32_t rows() const override { return batch_->rows; }
  int64_t min_time() const override { return batch_->min_time; }
  int64_t max_time() const override { return batch_->max_time; }
  const std::vector<ColumnDescriptor>& columns() const override { return batch_->columns; }
  std::optional<std::pair<int64_t, int64_t>> IntRange(size_t column) const override {
    return batch_->int_ranges.at(column);
  }
  absl::StatusOr<std::shared_ptr<const ColumnValues>> Read(size_t column) const override {
    // Shares ownership of the batch: the values stay valid as long as someone reads them.
    return std::shared_ptr<const ColumnValues>(batch_, &batch_->values.at(column));
  }

 private:
  const std::shared_ptr<const EventBatch> batch_;
};

}  // namespace

model::TraceId EventBatch::TraceIdAt(uint32_t row) const {
  model::TraceId id;
  std::memcpy(id.bytes.data(), fixed(model::FixedField::kTraceId).fixed.data() + static_cast<size_t>(row) * 16, 16);
  return id;
}

// Strings copied into blocks that never move, so views into them stay valid.
class EventBatchBuilder::Arena {
 public:
  std::string_view Copy(std::string_view s) {
    if (s.empty()) return {};
    if (s.size() > left_) {
      // Blocks double from 4 KiB to 64 KiB: a one-event append (the Events API) holds 4 KiB
      // in the head, not 64.
      const size_t size = std::max<size_t>(std::clamp<size_t>(bytes_, kFirstBlock, kBlock), s.size());
      blocks_.push_back(std::make_unique<char[]>(size));
      next_ = blocks_.back().get();
      left_ = size;
      bytes_ += size;
    }
    std::memcpy(next_, s.data(), s.size());
    std::string_view copy(next_, s.size());
    next_ += s.size();
    left_ -= s.size();
    return copy;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  static constexpr size_t kFirstBlock = 4 << 10;
  static constexpr size_t kBlock = 64 << 10;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  size_t left_ = 0;
  uint64_t bytes_ = 0;
};

// Debian's abseil hashes a std::string_view with std::hash (5% of the HTTP thread); XXH3 is
// several times faster on the 10-100 byte values spans carry.
struct StringViewHash {
  size_t operator()(std::string_view s) const { return XXH3_64bits(s.data(), s.size()); }
};

struct EventBatchBuilder::Column {
  ColumnValues values;  // rows up to the last one given a value (padded by Finish)
  absl::flat_hash_map<std::string_view, uint32_t, StringViewHash> codes;  // strings: value -> code
};

struct EventBatchBuilder::Batch {
  std::string dataset;
  uint32_t rows = 0;
  std::vector<ColumnDescriptor> columns;
  std::vector<Column> data;
  absl::flat_hash_map<std::string, size_t> attribute_columns;  // origin, type, key -> column
  std::string lookup_key;
  // The column the i-th attribute of recent rows went to: rows of one service carry their
  // attributes in the same order, so a comparison usually replaces a hash lookup.
  std::vector<uint32_t> column_cache;
};

EventBatchBuilder::EventBatchBuilder(uint32_t max_batch_rows)
    : max_batch_rows_(std::max<uint32_t>(1, max_batch_rows)), arena_(std::make_shared<Arena>()) {}
EventBatchBuilder::~EventBatchBuilder() = default;
EventBatchBuilder::EventBatchBuilder(EventBatchBuilder&&) noexcept = default;
EventBatchBuilder& EventBatchBuilder::operator=(EventBatchBuilder&&) noexcept = default;

uint32_t EventBatchBuilder::Intern(Column& column, std::string_view value) {
  auto it = column.codes.find(value);
  if (it != column.codes.end()) return it->second;
  const std::string_view copy = arena_->Copy(value);
  column.values.dictionary.push_back(copy);
  const auto code = static_cast<uint32_t>(column.values.dictionary.size());
  column.codes.emplace(copy, code);
  return code;
}

void EventBatchBuilder::StartRow(std::string_view dataset) {
  if (current_ == nullptr || current_->dataset != dataset || current_->rows >= max_batch_rows_) {
    auto it = open_batches_.find(std::string(dataset));  // Debian's abseil has no std::string_view lookup
    if (it != open_batches_.end() && it->second->rows < max_batch_rows_) {
      current_ = it->second;
    } else {
      auto batch = std::make_unique<Batch>();
      batch->dataset = std::string(dataset);
      batch->columns = FixedColumnDescriptors();
      batch->data.resize(kFixedCount);
      current_ = batch.get();
      open_batches_[batch->dataset] = current_;
      batches_.push_back(std::move(batch));
      // Empty strings are values of fixed string columns (a span with no status message
      // has ""), code 1 in every batch.
      model::ForEachFixedField([&](const auto& def) {
        using Def = std::decay_t<decltype(def)>;
        ColumnValues& v = current_->data[Index(def.id)].values;
        if constexpr (Def::storage() == model::FieldStorage::kString) {
          Intern(current_->data[Index(def.id)], "");
          v.codes.reserve(reserve_rows_);
        } else if constexpr (Def::storage() == model::FieldStorage::kFixedBytes) {
          v.width = Def::width();
          v.fixed.reserve(static_cast<size_t>(reserve_rows_) * Def::width());
        } else {
          v.ints.reserve(reserve_rows_);
        }
      });
    }
  }
  row_ = current_->rows++;
  attribute_ = 0;
  ++total_rows_;
  model::ForEachFixedField([&](const auto& def) {
    using Def = std::decay_t<decltype(def)>;
    ColumnValues& v = current_->data[Index(def.id)].values;
    if constexpr (Def::storage() == model::FieldStorage::kString) v.codes.push_back(1);
    else if constexpr (Def::storage() == model::FieldStorage::kFixedBytes) v.fixed.append(Def::width(), '\0');
    else v.ints.push_back(def.id == model::FixedField::kSampleRate ? 1 : 0);
  });
}

void EventBatchBuilder::SetInt(model::FixedField field, int64_t value) {
  current_->data[Index(field)].values.ints[row_] = value;
}

void EventBatchBuilder::SetString(model::FixedField field, std::string_view value) {
  Column& column = current_->data[Index(field)];
  column.values.codes[row_] = Intern(column, value);
}

void EventBatchBuilder::SetBytes(model::FixedField field, std::string_view bytes) {
  ColumnValues& v = current_->data[Index(field)].values;
  std::memcpy(v.fixed.data() + static_cast<size_t>(row_) * v.width, bytes.data(), std::min<size_t>(bytes.size(), v.width));
}

EventBatchBuilder::Column& EventBatchBuilder::Attribute(model::FieldOrigin origin, model::AttributeType type,
                                                        std::string_view key) {
  Batch& b = *current_;
  const uint32_t ordinal = attribute_++;
  if (ordinal < b.column_cache.size()) {
    const uint32_t cached = b.column_cache[ordinal];
    const ColumnDescriptor& d = b.columns[cached];
    if (d.origin == origin && d.type == type && d.key == key) return b.data[cached];
  }
  b.lookup_key.clear();
  b.lookup_key.push_back(static_cast<char>(origin));
  b.lookup_key.push_back(static_cast<char>(type));
  b.lookup_key.append(key);
  auto [it, inserted] = b.attribute_columns.try_emplace(b.lookup_key, b.columns.size());
  if (inserted) {
    ColumnDescriptor d;
    d.origin = origin;
    d.type = type;
    d.key = std::string(key);
    b.columns.push_back(std::move(d));
    ColumnValues& v = b.data.emplace_back().values;
    v.present.reserve(reserve_rows_);
    switch (type) {
      case model::AttributeType::kString: v.codes.reserve(reserve_rows_); break;
      case model::AttributeType::kDouble: v.doubles.reserve(reserve_rows_); break;
      default: v.ints.reserve(reserve_rows_); break;
    }
  }
  if (ordinal >= b.column_cache.size()) b.column_cache.resize(ordinal + 1);
  b.column_cache[ordinal] = static_cast<uint32_t>(it->second);
  return b.data[it->second];
}

namespace {
// Makes `row` addressable in an attribute column filled up to an earlier row, and marks it.
template <typename T>
T& AtRow(std::vector<T>& values, std::vector<uint8_t>& present, uint32_t row) {
  if (values.size() <= row) values.resize(row + 1);
  if (present.size() <= row) present.resize(row + 1);
  present[row] = 1;
  return values[row];
}
}  // namespace

void EventBatchBuilder::AddString(model::FieldOrigin origin, std::string_view key, std::string_view value) {
  Column& column = Attribute(origin, model::AttributeType::kString, key);
  const uint32_t code = Intern(column, value);
  AtRow(column.values.codes, column.values.present, row_) = code;
}

void EventBatchBuilder::AddInt(model::FieldOrigin origin, std::string_view key, int64_t value) {
  Column& column = Attribute(origin, model::AttributeType::kInt, key);
  AtRow(column.values.ints, column.values.present, row_) = value;
}

void EventBatchBuilder::AddDouble(model::FieldOrigin origin, std::string_view key, double value) {
  Column& column = Attribute(origin, model::AttributeType::kDouble, key);
  AtRow(column.values.doubles, column.values.present, row_) = value;
}

void EventBatchBuilder::AddBool(model::FieldOrigin origin, std::string_view key, bool value) {
  Column& column = Attribute(origin, model::AttributeType::kBool, key);
  AtRow(column.values.ints, column.values.present, row_) = value ? 1 : 0;
}

void EventBatchBuilder::AddValue(model::FieldOrigin origin, std::string_view key, const model::AttributeValue& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) AddString(origin, key, v);
        else if constexpr (std::is_same_v<T, int64_t>) AddInt(origin, key, v);
        else if constexpr (std::is_same_v<T, double>) AddDouble(origin, key, v);
        else AddBool(origin, key, v);
      },
      value);
}

void EventBatchBuilder::Add(const model::Event& e) {
  StartRow(e.dataset);
  model::ForEachFixedField([&](const auto& def) {
    using T = typename std::decay_t<decltype(def)>::Type;
    const T& v = e.*def.member;
    if constexpr (model::kIsId<T>) SetBytes(def.id, v.AsBytes());
    else if constexpr (std::is_same_v<T, std::string>) SetString(def.id, v);
    else SetInt(def.id, model::ToStoredInt(v));
  });
  for (const model::Field& f : e.fields) AddValue(f.origin, f.key, f.value);
}

std::vector<EventBatch> EventBatchBuilder::Finish() {
  std::vector<EventBatch> out;
  out.reserve(batches_.size());
  std::shared_ptr<const void> storage = arena_;
  for (auto& b : batches_) {
    EventBatch batch;
    batch.dataset = std::move(b->dataset);
    batch.rows = b->rows;
    batch.columns = std::move(b->columns);
    batch.values.reserve(b->data.size());
    for (size_t c = 0; c < b->data.size(); ++c) {
      ColumnValues v = std::move(b->data[c].values);
      if (c >= kFixedCount) {
        switch (batch.columns[c].physical_type()) {
          case PhysicalType::kString: v.codes.resize(batch.rows); break;
          case PhysicalType::kDouble: v.doubles.resize(batch.rows); break;
          default: v.ints.resize(batch.rows); break;
        }
        v.present.resize(batch.rows);
        if (std::all_of(v.present.begin(), v.present.end(), [](uint8_t p) { return p != 0; })) v.present.clear();
      }
      if (!v.dictionary.empty()) v.storage = storage;
      batch.values.push_back(std::move(v));
    }
    Summarize(batch);
    out.push_back(std::move(batch));
  }
  if (!out.empty()) out.front().memory_bytes += arena_->bytes();
  batches_.clear();
  open_batches_.clear();
  current_ = nullptr;
  total_rows_ = 0;
  arena_ = std::make_shared<Arena>();
  return out;
}

void EncodeEventBatches(std::span<const EventBatch> batches, std::string* record) {
  // About the columns' size: the record is written without growing (and copying) itself.
  uint64_t estimate = 16;
  for (const EventBatch& b : batches) estimate += b.memory_bytes;
  record->reserve(record->size() + estimate);
  ByteWriter w(record);
  w.Byte(0);
  w.Byte(kBatchFormat);
  w.Varint(batches.size());
  for (const EventBatch& batch : batches) {
    w.String(batch.dataset);
    w.Varint(batch.rows);
    w.Varint(batch.columns.size());
    for (size_t c = 0; c < batch.columns.size(); ++c) {
      const ColumnDescriptor& d = batch.columns[c];
      const ColumnValues& v = batch.values[c];
      w.Byte(d.fixed);
      if (d.is_attribute()) {
        w.Byte(static_cast<uint8_t>(d.origin));
        w.Byte(static_cast<uint8_t>(d.type));
        w.String(d.key);
      }
      w.Byte(v.present.empty() ? 0 : 1);
      if (!v.present.empty()) {
        std::string bitmap((batch.rows + 7) / 8, '\0');
        for (uint32_t row = 0; row < batch.rows; ++row) {
          if (v.present[row]) bitmap[row / 8] = static_cast<char>(bitmap[row / 8] | (1 << (row % 8)));
        }
        w.Raw(bitmap);
      }
      switch (d.physical_type()) {
        case PhysicalType::kInt:
          w.Raw(std::string_view(reinterpret_cast<const char*>(v.ints.data()), batch.rows * 8));
          break;
        case PhysicalType::kDouble:
          w.Raw(std::string_view(reinterpret_cast<const char*>(v.doubles.data()), batch.rows * 8));
          break;
        case PhysicalType::kString: {
          w.Varint(v.dictionary.size());
          for (std::string_view s : v.dictionary) w.String(s);
          const uint8_t width = v.dictionary.size() < 0xff ? 1 : v.dictionary.size() < 0xffff ? 2 : 4;
          w.Byte(width);
          const size_t at = record->size();
          record->resize(at + static_cast<size_t>(batch.rows) * width);
          char* out = record->data() + at;
          for (uint32_t code : v.codes) {
            std::memcpy(out, &code, width);  // little-endian: the low bytes
            out += width;
          }
          break;
        }
        case PhysicalType::kFixedBytes:
          w.Raw(v.fixed);
          break;
      }
    }
  }
}

bool IsEventBatchRecord(std::string_view record) {
  return record.size() >= 2 && record[0] == 0 && static_cast<uint8_t>(record[1]) == kBatchFormat;
}

absl::StatusOr<std::vector<EventBatch>> DecodeEventBatches(std::shared_ptr<const std::string> record) {
  if (!IsEventBatchRecord(*record)) return absl::DataLossError("not an event batch record");
  ByteReader r(std::string_view(*record).substr(2));
  const uint64_t count = r.Varint();
  if (!r.ok() || count > record->size()) return absl::DataLossError("corrupt batch count");
  std::vector<EventBatch> out(count);
  for (EventBatch& batch : out) {
    batch.dataset = r.String();
    const uint64_t rows = r.Varint();
    const uint64_t ncolumns = r.Varint();
    if (!r.ok() || rows == 0 || rows > kMaxBlockRows || ncolumns < kFixedCount || ncolumns > record->size()) {
      return absl::DataLossError("corrupt batch header");
    }
    batch.rows = static_cast<uint32_t>(rows);
    batch.columns.resize(ncolumns);
    batch.values.resize(ncolumns);
    for (size_t c = 0; c < ncolumns; ++c) {
      ColumnDescriptor& d = batch.columns[c];
      ColumnValues& v = batch.values[c];
      d.fixed = r.Byte();
      if (c < kFixedCount) {
        if (d.fixed != c) return absl::DataLossError("batch columns out of order");
        d = FixedColumnDescriptors()[c];
      } else {
        const uint8_t origin = r.Byte();
        const uint8_t type = r.Byte();
        if (d.fixed != kAttributeColumn || origin > 3 || type > 3) return absl::DataLossError("corrupt batch column");
        d.origin = static_cast<model::FieldOrigin>(origin);
        d.type = static_cast<model::AttributeType>(type);
        d.key = r.String();
      }
      const uint8_t has_presence = r.Byte();
      if (has_presence > 1 || (has_presence == 1 && c < kFixedCount)) return absl::DataLossError("corrupt presence");
      if (has_presence) {
        std::string_view bitmap = r.Raw((rows + 7) / 8);
        if (!r.ok()) return absl::DataLossError("batch is truncated");
        v.present.resize(rows);
        for (uint32_t row = 0; row < rows; ++row) v.present[row] = (bitmap[row / 8] >> (row % 8)) & 1;
      }
      switch (d.physical_type()) {
        case PhysicalType::kInt:
        case PhysicalType::kDouble: {
          std::string_view raw = r.Raw(rows * 8);
          if (!r.ok()) return absl::DataLossError("batch is truncated");
          if (d.physical_type() == PhysicalType::kInt) {
            v.ints.resize(rows);
            std::memcpy(v.ints.data(), raw.data(), raw.size());
          } else {
            v.doubles.resize(rows);
            std::memcpy(v.doubles.data(), raw.data(), raw.size());
          }
          break;
        }
        case PhysicalType::kString: {
          const uint64_t size = r.Varint();
          if (!r.ok() || size > record->size()) return absl::DataLossError("corrupt dictionary size");
          v.dictionary.resize(size);
          for (std::string_view& s : v.dictionary) s = r.Raw(r.Varint());
          const uint8_t width = r.Byte();
          if (width != 1 && width != 2 && width != 4) return absl::DataLossError("corrupt code width");
          std::string_view raw = r.Raw(rows * width);
          if (!r.ok()) return absl::DataLossError("batch is truncated");
          v.codes.resize(rows);
          for (uint32_t row = 0; row < rows; ++row) {
            uint32_t code = 0;
            std::memcpy(&code, raw.data() + static_cast<size_t>(row) * width, width);
            if (code > size || (code == 0 && c < kFixedCount)) return absl::DataLossError("corrupt string code");
            if (code == 0 && !v.Has(row)) continue;
            if ((code == 0) != !v.Has(row)) return absl::DataLossError("string code disagrees with presence");
            v.codes[row] = code;
          }
          v.storage = record;
          break;
        }
        case PhysicalType::kFixedBytes:
          v.width = d.fixed_width();
          v.fixed = std::string(r.Raw(rows * v.width));
          break;
      }
      if (!r.ok()) return absl::DataLossError("batch is truncated");
    }
    // Enums and flags within their types' ranges: a query indexes tables by them.
    absl::Status fixed = absl::OkStatus();
    model::ForEachFixedField([&](const auto& def) {
      using Def = std::decay_t<decltype(def)>;
      if constexpr (Def::storage() == model::FieldStorage::kInt) {
        if (def.max == INT64_MAX) return;
        for (int64_t x : batch.values[Index(def.id)].ints) {
          if (x < 0 || x > def.max) fixed = absl::DataLossError(StrCat("corrupt ", def.name));
        }
      }
    });
    RETURN_IF_NOT_OK(fixed);
    Summarize(batch);
  }
  if (!r.AtEnd()) return absl::DataLossError("event batch record has trailing bytes");
  if (!out.empty()) out.front().memory_bytes += record->size();  // the strings' storage
  return out;
}

void EncodeLogRecord(std::span<const EventBatch> batches, std::string* record, int level) {
  std::string raw;
  EncodeEventBatches(batches, &raw);
  const std::string compressed = CompressChunk(raw, level);
  record->reserve(record->size() + compressed.size() + 12);
  ByteWriter w(record);
  w.Byte(0);
  w.Byte(kCompressedBatchFormat);
  w.Varint(raw.size());
  w.Raw(compressed);
}

absl::StatusOr<std::vector<EventBatch>> DecodeLogRecord(std::shared_ptr<const std::string> record) {
  if (IsEventBatchRecord(*record)) return DecodeEventBatches(std::move(record));
  if (record->size() >= 2 && (*record)[0] == 0 && static_cast<uint8_t>((*record)[1]) == kCompressedBatchFormat) {
    ByteReader r(std::string_view(*record).substr(2));
    const uint64_t size = r.Varint();
    if (!r.ok() || size > kMaxDecompressedRecord) return absl::DataLossError("corrupt compressed record size");
    ASSIGN_OR_RETURN(std::string raw, DecompressChunk(r.Raw(r.remaining()), size));
    if (raw.size() != size) return absl::DataLossError("compressed record has the wrong size");
    return DecodeEventBatches(std::make_shared<const std::string>(std::move(raw)));
  }
  ASSIGN_OR_RETURN(std::vector<model::Event> events, DecodeEvents(*record));
  EventBatchBuilder builder;
  builder.Add(events);
  return builder.Finish();
}

void RowToEvent(const std::string& dataset, const std::vector<ColumnDescriptor>& columns,
                const std::vector<ColumnValues>& values, uint32_t row, model::Event* event) {
  model::Event& e = *event;
  auto string_at = [](const ColumnValues& v, size_t r) -> std::string_view {
    const uint32_t code = v.codes[r];
    return code == 0 ? std::string_view() : v.dictionary[code - 1];
  };
  e.dataset = dataset;
  model::ForEachFixedField([&](const auto& def) {
    using T = typename std::decay_t<decltype(def)>::Type;
    const ColumnValues& v = values[Index(def.id)];
    if constexpr (model::kIsId<T>) {
      auto id = T::FromBytes(std::string_view(v.fixed).substr(static_cast<size_t>(row) * T::kSize, T::kSize));
      e.*def.member = id ? *id : T{};
    } else if constexpr (std::is_same_v<T, std::string>) {
      e.*def.member = std::string(string_at(v, row));
    } else {
      e.*def.member = model::FromStoredInt<T>(v.ints[row], def.max);
    }
  });
  e.fields.clear();
  for (size_t c = kFixedCount; c < columns.size(); ++c) {
    const ColumnValues& v = values[c];
    if (!v.Has(row)) continue;
    const ColumnDescriptor& d = columns[c];
    model::Field f;
    f.key = d.key;
    f.origin = d.origin;
    switch (d.type) {
      case model::AttributeType::kString: f.value = std::string(string_at(v, row)); break;
      case model::AttributeType::kInt: f.value = v.ints[row]; break;
      case model::AttributeType::kDouble: f.value = v.doubles[row]; break;
      case model::AttributeType::kBool: f.value = v.ints[row] != 0; break;
    }
    e.fields.push_back(std::move(f));
  }
  // Attributes in column order: resource, scope, span levels stay in their order of first
  // appearance (arrival order within a level is not kept).
  std::stable_sort(e.fields.begin(), e.fields.end(),
                   [](const model::Field& a, const model::Field& b) { return a.origin < b.origin; });
}

std::vector<model::Event> BatchEvents(std::span<const EventBatch> batches) {
  std::vector<model::Event> events;
  for (const EventBatch& b : batches) {
    for (uint32_t row = 0; row < b.rows; ++row) RowToEvent(b.dataset, b.columns, b.values, row, &events.emplace_back());
  }
  return events;
}

std::shared_ptr<const ScanUnit> MakeBatchUnit(std::shared_ptr<const EventBatch> batch) {
  return std::make_shared<BatchUnit>(std::move(batch));
}

}  // namespace waggle::store
