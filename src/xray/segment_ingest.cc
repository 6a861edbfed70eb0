#include "xray/segment_ingest.h"

#include "xray/segment_document.h"

namespace waggle::xray {

std::string SegmentIngest::ServiceOf(const SegmentKey& key) {
  std::lock_guard lock(mutex_);
  auto it = services_.find(key);
  return it == services_.end() ? std::string() : it->second;
}

void SegmentIngest::Remember(const std::vector<model::Event>& events, const std::string& service) {
  std::lock_guard lock(mutex_);
  for (const model::Event& e : events) {
    SegmentKey key{e.trace_id, e.span_id};
    if (services_.emplace(key, service).second) order_.push_back(key);
  }
  while (order_.size() > capacity_) {
    services_.erase(order_.front());
    order_.pop_front();
  }
}

MappedDocuments SegmentIngest::Map(const std::vector<std::string_view>& documents) {
  MappedDocuments out;
  for (std::string_view document : documents) {
    // A subsegment sent alone names only its parent: find that parent's service.
    std::string parent_service;
    std::string id;
    auto mapped = MapSegmentDocument(
        document,
        [&](const model::TraceId& trace, const model::SpanId& parent) {
          parent_service = ServiceOf({trace, parent});
          return parent_service;
        },
        &id);
    if (!mapped.ok()) {
      out.unprocessed.push_back({id, std::string(mapped.status().message())});
      continue;
    }
    const std::string& service = mapped->segment_name.empty() ? parent_service : mapped->segment_name;
    if (!service.empty()) Remember(mapped->events, service);
    ++out.accepted;
    for (model::Event& e : mapped->events) out.events.push_back(std::move(e));
  }
  return out;
}

}  // namespace waggle::xray
