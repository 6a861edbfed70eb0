// OTLP ExportTraceServiceRequest -> Waggle's event columns, with Honeycomb's rules (husky
// otlp/traces.go; shared/reference/protocols.md A2-A3): one event per span, span events and
// links as rows of their own, attributes flattened, sampleRate taken as the sample rate.
// Spans that cannot be stored (bad ids) are counted and described, never stored.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/event.h"
#include "store/event_batch.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace waggle::ingest {

struct OtlpMapCounts {
  int64_t accepted_spans = 0;
  int64_t rejected_spans = 0;
  std::string error_message;  // why spans were rejected; empty when none were
};

// `fixed_dataset` is set when a classic key named the dataset; otherwise each
// ResourceSpans goes to the dataset of its service.name. The spans' rows are added to *out,
// values read from the request straight into columns (no Event per span).
OtlpMapCounts MapOtlpTraces(const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request,
                            const std::optional<std::string>& fixed_dataset, store::EventBatchBuilder* out);

// The same as Events (tests, tools): each dataset's rows in arrival order, a span before its
// span events and links.
struct OtlpMappedBatch {
  std::vector<model::Event> events;
  int64_t accepted_spans = 0;
  int64_t rejected_spans = 0;
  std::string error_message;  // why spans were rejected; empty when none were
};

OtlpMappedBatch MapOtlpTraces(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request,
    const std::optional<std::string>& fixed_dataset);

}  // namespace waggle::ingest
