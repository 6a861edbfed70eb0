#include "xray/segment_ingest.h"

#include <algorithm>
#include <cstdint>

#include "xray/segment_document.h"

namespace waggle::xray {

std::string SegmentIngest::ServiceOf(const SegmentKey& key) {
  std::lock_guard lock(mutex_);
  auto it = services_.find(key);
  return it == services_.end() ? std::string() : it->second;
}

void SegmentIngest::Remember(const DocumentRows& rows) {
  std::lock_guard lock(mutex_);
  for (const model::SpanId& span : rows.span_ids) {
    SegmentKey key{rows.trace_id, span};
    if (services_.emplace(key, rows.service).second) order_.push_back(key);
  }
  while (order_.size() > capacity_) {
    services_.erase(order_.front());
    order_.pop_front();
  }
}

MappedDocuments SegmentIngest::Map(const std::vector<std::string_view>& documents) {
  MappedDocuments out;
  out.rows.ReserveRows(static_cast<uint32_t>(std::min<size_t>(documents.size() * 3, UINT32_MAX)));
  std::string id;
  for (std::string_view document : documents) {
    // A subsegment sent alone names only its parent: find that parent's service.
    auto rows = MapSegmentDocument(
        document, [&](const model::TraceId& trace, const model::SpanId& parent) { return ServiceOf({trace, parent}); },
        out.rows, &id);
    if (!rows.ok()) {
      out.unprocessed.push_back({id, std::string(rows.status().message())});
      continue;
    }
    if (!rows->service.empty()) Remember(*rows);
    ++out.accepted;
  }
  return out;
}

}  // namespace waggle::xray
