#include "store/scan_unit.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_map>

#include "store/part_reader.h"

namespace waggle::store {

bool ScanRange::Wants(const std::string& dataset) const {
  if (datasets.empty()) return true;
  // Dataset names are case-insensitive, as in Honeycomb.
  return std::any_of(datasets.begin(), datasets.end(), [&](const std::string& wanted) {
    return wanted.size() == dataset.size() &&
           std::equal(wanted.begin(), wanted.end(), dataset.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
  });
}

namespace {

class PartBlockUnit final : public ScanUnit {
 public:
  PartBlockUnit(std::shared_ptr<const PartReader> part, size_t block)
      : part_(std::move(part)), block_(block), meta_(part_->footer().blocks[block]) {}

  const std::string& dataset() const override { return part_->footer().dataset; }
  uint32_t rows() const override { return meta_.rows; }
  int64_t min_time() const override { return meta_.min_time; }
  int64_t max_time() const override { return meta_.max_time; }
  const std::vector<ColumnDescriptor>& columns() const override { return part_->footer().columns; }
  std::optional<std::pair<int64_t, int64_t>> IntRange(size_t column) const override {
    const ChunkMeta& chunk = meta_.chunks.at(column);
    if (!chunk.has_range || columns()[column].physical_type() != PhysicalType::kInt) return std::nullopt;
    return std::make_pair(chunk.min, chunk.max);
  }
  absl::StatusOr<std::shared_ptr<const ColumnValues>> Read(size_t column) const override {
    auto values = part_->ReadColumn(block_, column);
    if (!values.ok()) return values.status();
    return std::make_shared<const ColumnValues>(std::move(*values));
  }

 private:
  const std::shared_ptr<const PartReader> part_;
  const size_t block_;
  const BlockMeta& meta_;
};

// Columns built straight from events: strings are views into the events, which the unit
// keeps, so nothing is copied per string.
class EventUnit final : public ScanUnit {
 public:
  EventUnit(std::shared_ptr<const std::vector<model::Event>> events, std::vector<uint32_t> rows)
      : events_(std::move(events)), rows_(std::move(rows)) {
    const auto& first = (*events_)[rows_.front()];
    dataset_ = first.dataset;
    min_time_ = max_time_ = first.time_unix_nano;
    columns_ = FixedColumnDescriptors();
    std::map<std::tuple<uint8_t, uint8_t, std::string>, size_t> attribute_index;
    for (uint32_t r : rows_) {
      const model::Event& e = (*events_)[r];
      min_time_ = std::min(min_time_, e.time_unix_nano);
      max_time_ = std::max(max_time_, e.time_unix_nano);
      for (const model::Field& f : e.fields) {
        auto key = std::make_tuple(static_cast<uint8_t>(f.origin), static_cast<uint8_t>(model::TypeOf(f.value)), f.key);
        if (attribute_index.emplace(key, columns_.size()).second) {
          ColumnDescriptor d;
          d.origin = f.origin;
          d.type = model::TypeOf(f.value);
          d.key = f.key;
          columns_.push_back(std::move(d));
        }
      }
    }
    attribute_index_ = std::move(attribute_index);
  }

  const std::string& dataset() const override { return dataset_; }
  uint32_t rows() const override { return static_cast<uint32_t>(rows_.size()); }
  int64_t min_time() const override { return min_time_; }
  int64_t max_time() const override { return max_time_; }
  const std::vector<ColumnDescriptor>& columns() const override { return columns_; }
  std::optional<std::pair<int64_t, int64_t>> IntRange(size_t) const override { return std::nullopt; }
  absl::StatusOr<std::shared_ptr<const ColumnValues>> Read(size_t column) const override;

 private:
  const std::shared_ptr<const std::vector<model::Event>> events_;
  const std::vector<uint32_t> rows_;
  std::string dataset_;
  int64_t min_time_ = 0;
  int64_t max_time_ = 0;
  std::vector<ColumnDescriptor> columns_;
  std::map<std::tuple<uint8_t, uint8_t, std::string>, size_t> attribute_index_;
};

absl::StatusOr<std::shared_ptr<const ColumnValues>> EventUnit::Read(size_t column) const {
  auto out = std::make_shared<ColumnValues>();
  const size_t n = rows_.size();
  const ColumnDescriptor& d = columns_.at(column);
  std::unordered_map<std::string_view, uint32_t> codes;
  auto put_string = [&](size_t row, std::string_view s) {
    auto [it, inserted] = codes.emplace(s, static_cast<uint32_t>(out->dictionary.size() + 1));
    if (inserted) out->dictionary.push_back(s);
    out->codes[row] = it->second;
  };
  switch (d.physical_type()) {
    case PhysicalType::kInt: out->ints.assign(n, 0); break;
    case PhysicalType::kDouble: out->doubles.assign(n, 0); break;
    case PhysicalType::kString: out->codes.assign(n, 0); break;
    case PhysicalType::kFixedBytes:
      out->width = d.fixed_width();
      out->fixed.reserve(n * out->width);
      break;
  }
  if (d.is_attribute()) {
    out->present.assign(n, 0);
    for (size_t row = 0; row < n; ++row) {
      const model::Event& e = (*events_)[rows_[row]];
      // The later of repeated keys wins, as in parts.
      for (const model::Field& f : e.fields) {
        if (f.origin != d.origin || model::TypeOf(f.value) != d.type || f.key != d.key) continue;
        out->present[row] = 1;
        switch (d.type) {
          case model::AttributeType::kString: put_string(row, std::get<std::string>(f.value)); break;
          case model::AttributeType::kInt: out->ints[row] = std::get<int64_t>(f.value); break;
          case model::AttributeType::kDouble: out->doubles[row] = std::get<double>(f.value); break;
          case model::AttributeType::kBool: out->ints[row] = std::get<bool>(f.value) ? 1 : 0; break;
        }
      }
    }
    return std::shared_ptr<const ColumnValues>(std::move(out));
  }
  for (size_t row = 0; row < n; ++row) {
    const model::Event& e = (*events_)[rows_[row]];
    switch (static_cast<FixedColumn>(d.fixed)) {
      case FixedColumn::kTime: out->ints[row] = e.time_unix_nano; break;
      case FixedColumn::kDuration: out->ints[row] = e.duration_nano; break;
      case FixedColumn::kSampleRate: out->ints[row] = e.sample_rate; break;
      case FixedColumn::kAnnotationType: out->ints[row] = static_cast<int64_t>(e.annotation_type); break;
      case FixedColumn::kKind: out->ints[row] = static_cast<int64_t>(e.kind); break;
      case FixedColumn::kStatusCode: out->ints[row] = static_cast<int64_t>(e.status_code); break;
      case FixedColumn::kInvalidDuration: out->ints[row] = e.invalid_duration ? 1 : 0; break;
      case FixedColumn::kFlags: out->ints[row] = e.flags; break;
      case FixedColumn::kNumEvents: out->ints[row] = e.num_events; break;
      case FixedColumn::kNumLinks: out->ints[row] = e.num_links; break;
      case FixedColumn::kTraceId: out->fixed.append(e.trace_id.AsBytes()); break;
      case FixedColumn::kSpanId: out->fixed.append(e.span_id.AsBytes()); break;
      case FixedColumn::kParentSpanId: out->fixed.append(e.parent_span_id.AsBytes()); break;
      case FixedColumn::kLinkTraceId: out->fixed.append(e.link_trace_id.AsBytes()); break;
      case FixedColumn::kLinkSpanId: out->fixed.append(e.link_span_id.AsBytes()); break;
      case FixedColumn::kName: put_string(row, e.name); break;
      case FixedColumn::kServiceName: put_string(row, e.service_name); break;
      case FixedColumn::kStatusMessage: put_string(row, e.status_message); break;
      case FixedColumn::kScopeName: put_string(row, e.scope_name); break;
      case FixedColumn::kScopeVersion: put_string(row, e.scope_version); break;
      case FixedColumn::kTraceState: put_string(row, e.trace_state); break;
      case FixedColumn::kCount: break;
    }
  }
  return std::shared_ptr<const ColumnValues>(std::move(out));
}

}  // namespace

std::shared_ptr<const ScanUnit> MakePartBlockUnit(std::shared_ptr<const PartReader> part, size_t block) {
  return std::make_shared<PartBlockUnit>(std::move(part), block);
}

ScanUnits MakeEventUnits(std::vector<model::Event> events, uint32_t block_rows) {
  ScanUnits units;
  if (events.empty()) return units;
  auto shared = std::make_shared<const std::vector<model::Event>>(std::move(events));
  std::map<std::string_view, std::vector<uint32_t>> by_dataset;
  for (uint32_t i = 0; i < shared->size(); ++i) by_dataset[(*shared)[i].dataset].push_back(i);
  for (auto& [dataset, rows] : by_dataset) {
    for (size_t begin = 0; begin < rows.size(); begin += block_rows) {
      const size_t end = std::min(rows.size(), begin + block_rows);
      units.push_back(std::make_shared<EventUnit>(
          shared, std::vector<uint32_t>(rows.begin() + static_cast<std::ptrdiff_t>(begin),
                                        rows.begin() + static_cast<std::ptrdiff_t>(end))));
    }
  }
  return units;
}

}  // namespace waggle::store
