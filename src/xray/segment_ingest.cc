#include "xray/segment_ingest.h"

#include <nlohmann/json.hpp>

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
    auto parsed = ParseSegmentDocument(document);
    if (!parsed.ok()) {
      out.unprocessed.push_back({"", std::string(parsed.status().message())});
      continue;
    }
    // value() throws on a key of another type: read strings only.
    auto text = [&](const char* key) {
      auto it = parsed->find(key);
      return it != parsed->end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string id = text("id");
    std::string parent_service;
    if (text("type") == "subsegment") {
      auto trace = ParseXrayTraceId(text("trace_id"));
      auto parent = model::SpanId::FromHex(text("parent_id"));
      if (trace && parent) parent_service = ServiceOf({*trace, *parent});
    }
    auto mapped = MapSegmentDocument(*parsed, document, parent_service);
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
