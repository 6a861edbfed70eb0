// The Store interface: where acknowledged events live. The embedded engine implements it
// now; the columnar engine and the ClickHouse backend are later implementations. The API
// layer talks only to this interface.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/event.h"
#include "store/count_pushdown.h"
#include "store/event_batch.h"
#include "store/scan_unit.h"

namespace waggle::store {

class Store {
 public:
  // Runs once `events` are durable (then they are acknowledged) or have failed. Errors:
  // kUnavailable when the store is over its in-flight budget (the client should retry
  // later), kInternal / kResourceExhausted for I/O failures such as a full disk.
  using AppendCallback = std::function<void(absl::Status)>;

  virtual ~Store() = default;

  // Never blocks on I/O: `done` runs on a store thread.
  virtual void Append(std::vector<model::Event> events, AppendCallback done) = 0;
  // The same for events built as columns (what ingest builds). By default they are turned
  // into Events for Append; the embedded store keeps the columns as they are.
  virtual void AppendBatch(EventBatchBuilder batch, AppendCallback done);

  // kUnavailable (saying why) when an Append now would be refused as over budget. A hint
  // for a sender that can wait rather than retry (the X-Ray daemon's UDP port): the
  // answer may change before its Append.
  virtual absl::Status Admission() const { return absl::OkStatus(); }

  // Every event of the trace (spans, span events, links), by start time; an empty vector
  // when the trace is unknown.
  virtual absl::StatusOr<std::vector<model::Event>> FindTrace(const model::TraceId& trace_id) = 0;

  // Several traces at once: out[i] holds trace_ids[i]'s events (by start time). Stores
  // override it to read each block once for all the traces in it; by default, FindTrace each.
  virtual absl::StatusOr<std::vector<std::vector<model::Event>>> FindTraces(
      const std::vector<model::TraceId>& trace_ids);

  // A consistent snapshot of what a query over `range` must read: every acknowledged event
  // in it is in exactly one unit (units may hold rows outside the range too).
  virtual absl::StatusOr<ScanUnits> Scan(const ScanRange& range) = 0;

  // Counts what it can of `request` itself (store/count_pushdown.h); nullopt when it declines
  // (the engine then scans it all), as stores do by default.
  virtual absl::StatusOr<std::optional<CountedScan>> ScanCounting(const ScanRange& /*range*/,
                                                                  const CountRequest& /*request*/) {
    return std::nullopt;
  }

  // Waits for appends under way, then releases files. Idempotent.
  virtual void Close() = 0;
};

// Append, waiting for the result. For tests and tools, not for server threads.
absl::Status AppendAndWait(Store& store, std::vector<model::Event> events);

}  // namespace waggle::store
