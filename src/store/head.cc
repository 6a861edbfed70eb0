#include "store/head.h"

#include <spdlog/spdlog.h>

#include "store/event_codec.h"

namespace waggle::store {

void Head::Add(std::string record, const std::vector<model::TraceId>& trace_ids, uint64_t events) {
  const auto index = static_cast<uint32_t>(records_.size());
  bytes_ += record.size() + sizeof(std::string);
  events_ += events;
  records_.push_back(std::make_shared<const Record>(std::move(record)));
  for (const model::TraceId& id : trace_ids) {
    std::vector<uint32_t>& list = records_by_trace_[id];
    if (list.empty() || list.back() != index) {
      list.push_back(index);
      bytes_ += sizeof(uint32_t) + (list.size() == 1 ? 64 : 0);  // rough cost of the map entry
    }
  }
}

std::vector<model::Event> Head::FindTrace(const model::TraceId& trace_id) const {
  std::vector<model::Event> out;
  auto it = records_by_trace_.find(trace_id);
  if (it == records_by_trace_.end()) return out;
  for (uint32_t index : it->second) {
    auto events = DecodeEvents(records_[index]->bytes());
    if (!events.ok()) continue;  // checked when it was encoded; cannot happen
    for (model::Event& e : *events) {
      if (e.trace_id == trace_id) out.push_back(std::move(e));
    }
  }
  return out;
}

absl::StatusOr<ScanUnits> Head::Record::Units() const {
  std::call_once(built_, [this] {
    auto events = DecodeEvents(bytes_);
    if (!events.ok()) {
      units_ = events.status();
      return;
    }
    units_ = MakeEventUnits(*events);
  });
  return units_;
}

}  // namespace waggle::store
