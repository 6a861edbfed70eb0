// The path Honeycomb's Events API bodies take into the store (POST /1/events and /1/batch):
// the body's events parsed into rows, appended durably, and each batch element's outcome
// reported. The HTTP handler (api/honeycomb_api.cc) checks the key, reads the headers into
// EventDefaults and writes the answer.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ingest/honeycomb_events.h"
#include "store/store.h"

namespace waggle::ingest {

struct EventsOutcome {
  // OK once every accepted event is durable (or none was accepted); else why nothing was
  // stored: the body unreadable (InvalidArgument) or the store behind (Unavailable).
  absl::Status status;
  std::vector<absl::Status> elements;  // a batch: each element's own outcome, in order
};

// `batch`: the body is /1/batch's array, else /1/events' single event. `done` runs once, on
// any thread.
void IngestHoneycombEvents(store::Store& store, std::string_view body, EventsEncoding encoding,
                           const EventDefaults& defaults, bool batch, std::function<void(EventsOutcome)> done);

}  // namespace waggle::ingest
