#include "store/scan_unit.h"

#include <algorithm>
#include <cctype>

#include "store/bloom_filter.h"
#include "store/event_batch.h"
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
  bool MayContainString(size_t column, std::string_view value) const override {
    const ChunkMeta& chunk = meta_.chunks.at(column);
    if (chunk.size == 0) return false;  // no row has the column
    return chunk.values_filter.empty() || BloomFilterMayContain(chunk.values_filter, value);
  }
  absl::StatusOr<std::shared_ptr<const ColumnValues>> Read(size_t column) const override {
    return part_->ReadCachedColumn(block_, column);
  }

 private:
  const std::shared_ptr<const PartReader> part_;
  const size_t block_;
  const BlockMeta& meta_;
};

}  // namespace

std::shared_ptr<const ScanUnit> MakePartBlockUnit(std::shared_ptr<const PartReader> part, size_t block) {
  return std::make_shared<PartBlockUnit>(std::move(part), block);
}

ScanUnits MakeEventUnits(const std::vector<model::Event>& events, uint32_t block_rows) {
  EventBatchBuilder builder(block_rows);
  builder.Add(events);
  ScanUnits units;
  for (EventBatch& batch : builder.Finish()) units.push_back(MakeBatchUnit(std::make_shared<EventBatch>(std::move(batch))));
  return units;
}

}  // namespace waggle::store
