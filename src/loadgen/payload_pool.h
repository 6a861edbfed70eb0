// Request bodies for the load generator, made ahead of time so that sending costs the
// client almost nothing and the server, not the generator, is what a benchmark measures.
// Each body is reused with fresh trace ids: every use XORs the trace ids' low 8 bytes with
// a per-use number (the same for every span of a trace, so traces stay whole), which makes
// every sent trace distinct without building or serializing a message again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ingest/otlp_request.h"
#include "model/ids.h"

namespace waggle::loadgen {

class PayloadPool {
 public:
  // `batches` bodies of at least `spans_per_batch` spans each, from TraceGenerator(seed).
  PayloadPool(ingest::OtlpEncoding encoding, size_t batches, size_t spans_per_batch, uint64_t seed,
              int64_t now_unix_nano);

  size_t size() const { return payloads_.size(); }
  size_t spans(size_t index) const { return payloads_[index].spans; }
  // Body `index` with its trace ids made unique for `use` (use 0: as generated).
  std::string Render(size_t index, uint64_t use) const;
  // The trace ids that Render(index, use) sends.
  std::vector<model::TraceId> TraceIds(size_t index, uint64_t use) const;

 private:
  struct Payload {
    std::string body;
    std::vector<size_t> trace_id_offsets;  // where each trace id's bytes (or hex) start
    std::vector<model::TraceId> trace_ids;  // as generated
    size_t spans = 0;
  };
  ingest::OtlpEncoding encoding_;
  std::vector<Payload> payloads_;
};

// OTLP/JSON of a request, as the OTLP spec writes it (hex ids, int64 as strings).
std::string OtlpRequestToJson(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request);

}  // namespace waggle::loadgen
