// The in-memory head: events acknowledged since the last flush, kept as the event batches
// their requests were built into (store/event_batch.h), with an index from trace id to the
// batches holding it. Queries read each batch as a scan unit as it is; the store freezes a
// head when it grows past its budget and writes it out as parts, copying the batches' columns;
// until those are published, trace lookups read the frozen head too.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "model/event.h"
#include "store/event_batch.h"
#include "store/scan_unit.h"

namespace waggle::store {

class Head {
 public:
  // The batches of one acknowledged record.
  void Add(std::vector<EventBatch> batches);

  // The trace's events, in arrival order.
  std::vector<model::Event> FindTrace(const model::TraceId& trace_id) const;

  // The batches so far, and each as a scan unit (shared, so a query reads them after the
  // lock that guards Add is released).
  const std::vector<std::shared_ptr<const EventBatch>>& batches() const { return batches_; }
  const ScanUnits& units() const { return units_; }

  uint64_t bytes() const { return bytes_; }
  uint64_t events() const { return events_; }
  bool empty() const { return batches_.empty(); }

 private:
  std::vector<std::shared_ptr<const EventBatch>> batches_;
  ScanUnits units_;  // parallel to batches_
  std::unordered_map<model::TraceId, std::vector<uint32_t>, model::TraceIdHash> batches_by_trace_;
  uint64_t bytes_ = 0;
  uint64_t events_ = 0;
};

}  // namespace waggle::store
