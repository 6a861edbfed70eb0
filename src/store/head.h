// The in-memory head: events acknowledged since the last flush, kept as the write-ahead
// log's encoded batches (compact: a few hundred bytes a span) with an index from trace id to
// the batches holding it. The store freezes a head when it grows past its budget and writes
// it out as parts; until those are published, trace lookups read the frozen head too.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "model/event.h"
#include "store/scan_unit.h"

namespace waggle::store {

class Head {
 public:
  // `record` is an EncodeEvents batch; `trace_ids` the traces it holds.
  void Add(std::string record, const std::vector<model::TraceId>& trace_ids, uint64_t events);

  // The trace's events, in arrival order.
  std::vector<model::Event> FindTrace(const model::TraceId& trace_id) const;

  // One batch: its encoded events, and its scan units, built by the first query that reads
  // it and kept while the head lives (a head is read by every query until it is flushed).
  class Record {
   public:
    explicit Record(std::string bytes) : bytes_(std::move(bytes)) {}
    const std::string& bytes() const { return bytes_; }
    absl::StatusOr<ScanUnits> Units() const;

   private:
    const std::string bytes_;
    mutable std::once_flag built_;
    mutable absl::StatusOr<ScanUnits> units_;
  };

  // The batches so far (shared, so a query reads them after the lock that guards Add is
  // released).
  std::vector<std::shared_ptr<const Record>> Records() const { return records_; }

  uint64_t bytes() const { return bytes_; }
  uint64_t events() const { return events_; }
  bool empty() const { return records_.empty(); }

 private:
  std::vector<std::shared_ptr<const Record>> records_;
  std::unordered_map<model::TraceId, std::vector<uint32_t>, model::TraceIdHash> records_by_trace_;
  uint64_t bytes_ = 0;
  uint64_t events_ = 0;
};

}  // namespace waggle::store
