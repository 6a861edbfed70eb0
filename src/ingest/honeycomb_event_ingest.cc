#include "ingest/honeycomb_event_ingest.h"

#include <chrono>
#include <utility>

#include "common/metrics.h"

namespace waggle::ingest {

void IngestHoneycombEvents(store::Store& store, std::string_view body, EventsEncoding encoding,
                           const EventDefaults& defaults, bool batch, std::function<void(EventsOutcome)> done) {
  const auto started = std::chrono::steady_clock::now();
  store::EventBatchBuilder rows;
  EventsOutcome outcome;
  if (batch) {
    auto parsed = ParseEventBatch(body, encoding, defaults, rows);
    if (!parsed.ok()) {
      outcome.status = parsed.status();
      return done(std::move(outcome));
    }
    outcome.elements = std::move(*parsed);
  } else if (absl::Status parsed = ParseSingleEvent(body, encoding, defaults, rows); !parsed.ok()) {
    outcome.status = std::move(parsed);
    return done(std::move(outcome));
  }
  const uint64_t received = batch ? outcome.elements.size() : 1;
  metrics::SpansReceived("honeycomb").Increment(static_cast<double>(received));
  metrics::SpansRejected("honeycomb").Increment(static_cast<double>(received - rows.rows()));
  if (rows.empty()) return done(std::move(outcome));
  store.AppendBatch(std::move(rows), [outcome = std::move(outcome), done = std::move(done),
                                      started](absl::Status status) mutable {
    metrics::IngestLatency("honeycomb").Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    outcome.status = std::move(status);
    done(std::move(outcome));
  });
}

}  // namespace waggle::ingest
