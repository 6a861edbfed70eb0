#include "xray/segment_ingest.h"

#include <algorithm>
#include <cstdint>

#include "xray/segment_document.h"

namespace waggle::xray {
namespace {
constexpr size_t kMaxServices = 1 << 16;
}  // namespace

std::string SegmentIngest::ServiceOf(const SegmentKey& key) {
  std::lock_guard lock(mutex_);
  auto it = services_.find(key);
  return it == services_.end() ? std::string() : service_names_[it->second];
}

void SegmentIngest::Remember(const DocumentRows& rows) {
  std::lock_guard lock(mutex_);
  if (service_names_.size() >= kMaxServices) {
    // Segment names are the client's to choose: past this many, start over rather than grow.
    services_.clear();
    service_names_.clear();
    service_ids_.clear();
    order_.clear();
    next_ = 0;
  }
  auto [named, added] = service_ids_.try_emplace(rows.service, static_cast<uint32_t>(service_names_.size()));
  if (added) service_names_.push_back(rows.service);
  const uint32_t service = named->second;
  for (const model::SpanId& span : rows.span_ids) {
    SegmentKey key{rows.trace_id, span};
    if (!services_.try_emplace(key, service).second) continue;
    if (order_.size() < capacity_) {
      order_.push_back(key);
    } else {
      services_.erase(order_[next_]);
      order_[next_] = key;
      next_ = (next_ + 1) % capacity_;
    }
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
