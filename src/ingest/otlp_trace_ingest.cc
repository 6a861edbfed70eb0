#include "ingest/otlp_trace_ingest.h"

#include <chrono>

#include "common/metrics.h"

#include "common/strings.h"
#include "ingest/dataset_rules.h"
#include "ingest/otlp_span_mapper.h"

namespace waggle::ingest {

absl::StatusOr<std::optional<std::string>> OtlpTraceIngest::Authorize(
    const IngestCredentials& credentials) const {
  std::optional<std::string_view> key;
  if (credentials.api_key) key = *credentials.api_key;
  if (absl::Status status = keys_.Check(key, auth::KeyScope::kIngest); !status.ok()) return status;
  if (credentials.api_key && ingest::IsClassicApiKey(*credentials.api_key)) {
    std::string_view dataset =
        credentials.dataset ? TrimAsciiWhitespace(*credentials.dataset) : std::string_view{};
    if (dataset.empty()) {
      return absl::UnauthenticatedError(
          "a classic API key needs the x-honeycomb-dataset header to name the dataset");
    }
    return std::optional<std::string>(std::string(dataset));
  }
  return std::optional<std::string>();
}

void OtlpTraceIngest::Export(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request,
    const std::optional<std::string>& fixed_dataset, std::string_view protocol, std::function<void(ExportOutcome)> done) {
  const auto started = std::chrono::steady_clock::now();
  store::EventBatchBuilder rows;
  ingest::OtlpMapCounts batch = ingest::MapOtlpTraces(request, fixed_dataset, &rows);
  ExportOutcome outcome;
  outcome.rejected_spans = batch.rejected_spans;
  outcome.error_message = std::move(batch.error_message);
  metrics::SpansReceived(protocol).Increment(static_cast<double>(batch.accepted_spans + batch.rejected_spans));
  metrics::SpansRejected(protocol).Increment(static_cast<double>(batch.rejected_spans));
  if (rows.empty()) {
    done(std::move(outcome));
    return;
  }
  prometheus::Histogram& latency = metrics::IngestLatency(protocol);
  store_.AppendBatch(std::move(rows), [outcome = std::move(outcome), done = std::move(done), started,
                                          &latency](absl::Status status) mutable {
    latency.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    outcome.status = std::move(status);
    done(std::move(outcome));
  });
}

}  // namespace waggle::ingest
