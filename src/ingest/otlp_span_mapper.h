// OTLP ExportTraceServiceRequest -> Waggle events, with Honeycomb's rules (husky
// otlp/traces.go; shared/reference/protocols.md A2-A3): one event per span, span events and
// links as rows of their own, attributes flattened, sampleRate taken as the sample rate.
// Spans that cannot be stored (bad ids) are counted and described, never stored.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/event.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace waggle::ingest {

struct OtlpMappedBatch {
  std::vector<model::Event> events;
  int64_t accepted_spans = 0;
  int64_t rejected_spans = 0;
  std::string error_message;  // why spans were rejected; empty when none were
};

// `fixed_dataset` is set when a classic key named the dataset; otherwise each
// ResourceSpans goes to the dataset of its service.name.
OtlpMappedBatch MapOtlpTraces(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request,
    const std::optional<std::string>& fixed_dataset);

}  // namespace waggle::ingest
