#include "store/scan_unit.h"

#include <algorithm>
#include <cctype>
#include <deque>
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

// Columns built from events once, then kept without the events: strings are copied once
// into the unit (one copy per distinct value and column) and every column is ready to read.
class MemoryUnit final : public ScanUnit, public std::enable_shared_from_this<MemoryUnit> {
 public:
  MemoryUnit(const std::vector<model::Event>& events, const std::vector<uint32_t>& rows);

  const std::string& dataset() const override { return dataset_; }
  uint32_t rows() const override { return rows_; }
  int64_t min_time() const override { return min_time_; }
  int64_t max_time() const override { return max_time_; }
  const std::vector<ColumnDescriptor>& columns() const override { return columns_; }
  std::optional<std::pair<int64_t, int64_t>> IntRange(size_t column) const override {
    if (columns_.at(column).physical_type() != PhysicalType::kInt) return std::nullopt;
    return ranges_[column];
  }
  absl::StatusOr<std::shared_ptr<const ColumnValues>> Read(size_t column) const override {
    // Shares ownership of the unit: the values stay valid as long as someone reads them.
    return std::shared_ptr<const ColumnValues>(shared_from_this(), &values_.at(column));
  }

 private:
  struct StringColumn {
    std::deque<std::string> strings;  // stable addresses for the dictionary's views
    std::unordered_map<std::string_view, uint32_t> codes;
  };

  std::string dataset_;
  uint32_t rows_ = 0;
  int64_t min_time_ = 0;
  int64_t max_time_ = 0;
  std::vector<ColumnDescriptor> columns_;
  std::vector<ColumnValues> values_;
  std::vector<std::optional<std::pair<int64_t, int64_t>>> ranges_;
  std::vector<std::unique_ptr<StringColumn>> strings_;
};

MemoryUnit::MemoryUnit(const std::vector<model::Event>& events, const std::vector<uint32_t>& rows)
    : rows_(static_cast<uint32_t>(rows.size())) {
  const model::Event& first = events[rows.front()];
  dataset_ = first.dataset;
  min_time_ = max_time_ = first.time_unix_nano;
  columns_ = FixedColumnDescriptors();
  std::unordered_map<std::string, size_t> attribute_index;
  std::string key;
  auto column_of = [&](const model::Field& f) {
    key.clear();
    key.push_back(static_cast<char>(f.origin));
    key.push_back(static_cast<char>(model::TypeOf(f.value)));
    key.append(f.key);
    auto [it, inserted] = attribute_index.emplace(key, columns_.size());
    if (inserted) {
      ColumnDescriptor d;
      d.origin = f.origin;
      d.type = model::TypeOf(f.value);
      d.key = f.key;
      columns_.push_back(std::move(d));
    }
    return it->second;
  };
  for (uint32_t r : rows) {
    for (const model::Field& f : events[r].fields) column_of(f);
  }
  const size_t n = rows.size();
  values_.resize(columns_.size());
  ranges_.resize(columns_.size());
  strings_.resize(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    ColumnValues& v = values_[c];
    switch (columns_[c].physical_type()) {
      case PhysicalType::kInt: v.ints.assign(n, 0); break;
      case PhysicalType::kDouble: v.doubles.assign(n, 0); break;
      case PhysicalType::kString:
        v.codes.assign(n, 0);
        strings_[c] = std::make_unique<StringColumn>();
        break;
      case PhysicalType::kFixedBytes:
        v.width = columns_[c].fixed_width();
        v.fixed.reserve(n * v.width);
        break;
    }
    if (columns_[c].is_attribute()) v.present.assign(n, 0);
  }
  auto put_string = [&](size_t c, size_t row, std::string_view s) {
    StringColumn& sc = *strings_[c];
    auto it = sc.codes.find(s);
    if (it == sc.codes.end()) {
      sc.strings.emplace_back(s);
      values_[c].dictionary.push_back(sc.strings.back());
      it = sc.codes.emplace(sc.strings.back(), static_cast<uint32_t>(values_[c].dictionary.size())).first;
    }
    values_[c].codes[row] = it->second;
  };
  auto put_int = [&](size_t c, size_t row, int64_t x) {
    values_[c].ints[row] = x;
    auto& range = ranges_[c];
    range = range ? std::make_pair(std::min(range->first, x), std::max(range->second, x)) : std::make_pair(x, x);
  };
  auto fixed = [](FixedColumn c) { return static_cast<size_t>(c); };
  for (size_t row = 0; row < n; ++row) {
    const model::Event& e = events[rows[row]];
    min_time_ = std::min(min_time_, e.time_unix_nano);
    max_time_ = std::max(max_time_, e.time_unix_nano);
    model::ForEachFixedField([&](const auto& def) {
      using T = typename std::decay_t<decltype(def)>::Type;
      const size_t c = fixed(def.id);
      const T& v = e.*def.member;
      if constexpr (model::kIsId<T>) values_[c].fixed.append(v.AsBytes());
      else if constexpr (std::is_same_v<T, std::string>) put_string(c, row, v);
      else put_int(c, row, model::ToStoredInt(v));
    });
    // The later of repeated keys wins, as in parts.
    for (const model::Field& f : e.fields) {
      const size_t c = column_of(f);
      values_[c].present[row] = 1;
      switch (columns_[c].type) {
        case model::AttributeType::kString: put_string(c, row, std::get<std::string>(f.value)); break;
        case model::AttributeType::kInt: put_int(c, row, std::get<int64_t>(f.value)); break;
        case model::AttributeType::kDouble: values_[c].doubles[row] = std::get<double>(f.value); break;
        case model::AttributeType::kBool: put_int(c, row, std::get<bool>(f.value) ? 1 : 0); break;
      }
    }
  }
  for (auto& sc : strings_) {
    if (sc) sc->codes = {};  // only needed while building
  }
}

}  // namespace

std::shared_ptr<const ScanUnit> MakePartBlockUnit(std::shared_ptr<const PartReader> part, size_t block) {
  return std::make_shared<PartBlockUnit>(std::move(part), block);
}

ScanUnits MakeEventUnits(const std::vector<model::Event>& events, uint32_t block_rows) {
  ScanUnits units;
  std::map<std::string_view, std::vector<uint32_t>> by_dataset;
  for (uint32_t i = 0; i < events.size(); ++i) by_dataset[events[i].dataset].push_back(i);
  for (auto& [dataset, rows] : by_dataset) {
    for (size_t begin = 0; begin < rows.size(); begin += block_rows) {
      const size_t end = std::min(rows.size(), begin + block_rows);
      units.push_back(std::make_shared<MemoryUnit>(
          events, std::vector<uint32_t>(rows.begin() + static_cast<std::ptrdiff_t>(begin),
                                        rows.begin() + static_cast<std::ptrdiff_t>(end))));
    }
  }
  return units;
}

}  // namespace waggle::store
