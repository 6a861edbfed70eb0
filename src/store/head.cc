#include "store/head.h"

namespace waggle::store {

void Head::Add(std::vector<EventBatch> batches) {
  for (EventBatch& b : batches) {
    const auto index = static_cast<uint32_t>(batches_.size());
    bytes_ += b.memory_bytes;
    events_ += b.rows;
    auto batch = std::make_shared<const EventBatch>(std::move(b));
    const std::string_view ids = batch->fixed(model::FixedField::kTraceId).fixed;
    for (uint32_t row = 0; row < batch->rows; ++row) {
      // Rows of a trace usually come together: skip the lookup for a repeat of the last id.
      if (row > 0 && ids.compare(row * 16, 16, ids, (row - 1) * 16, 16) == 0) continue;
      std::vector<uint32_t>& list = batches_by_trace_[batch->TraceIdAt(row)];
      if (list.empty() || list.back() != index) {
        list.push_back(index);
        bytes_ += sizeof(uint32_t) + (list.size() == 1 ? 64 : 0);  // rough cost of the map entry
      }
    }
    units_.push_back(MakeBatchUnit(batch));
    batches_.push_back(std::move(batch));
  }
}

std::vector<model::Event> Head::FindTrace(const model::TraceId& trace_id) const {
  std::vector<model::Event> out;
  auto it = batches_by_trace_.find(trace_id);
  if (it == batches_by_trace_.end()) return out;
  for (uint32_t index : it->second) {
    const EventBatch& batch = *batches_[index];
    for (uint32_t row = 0; row < batch.rows; ++row) {
      if (batch.TraceIdAt(row) != trace_id) continue;
      RowToEvent(batch.dataset, batch.columns, batch.values, row, &out.emplace_back());
    }
  }
  return out;
}

}  // namespace waggle::store
