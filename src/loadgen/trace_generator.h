// Synthetic traces that look like a small production system, deterministic from a seed:
// a `frontend` server span calls `backend-flask`, which queries `postgres` a few times,
// sometimes calls an external API (`payments-api`) and renders a template. Each span has
// 8-20 attributes with realistic cardinalities (a dozen routes, status codes, 10,000 user
// ids, 20 hosts, statement templates). About 2% of traces fail (status error, HTTP 500,
// an exception event) and 1% are slow outliers (10-50x the usual latency).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/ids.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace waggle::loadgen {

class TraceGenerator {
 public:
  explicit TraceGenerator(uint64_t seed);

  // Appends whole traces to `request` until it holds at least `min_spans` spans, grouped
  // by service into ResourceSpans as an SDK batch would be. Returns the trace ids used.
  std::vector<model::TraceId> FillRequest(
      size_t min_spans, int64_t now_unix_nano,
      opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* request);

 private:
  std::mt19937_64 rng_;
};

}  // namespace waggle::loadgen
