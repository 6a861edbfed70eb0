// Honeycomb's Events API bodies (shared/reference/protocols.md A4) -> event rows: a single JSON
// object for POST /1/events, an array of {data, time, samplerate} for POST /1/batch, as JSON
// or msgpack (libhoney-go). Each field becomes an attribute of a plain event (model
// AnnotationType::kEvent); nested objects and arrays are kept as JSON strings, as Honeycomb
// does without unpacking. A bad event in a batch fails alone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/event.h"
#include "store/event_batch.h"

namespace waggle::ingest {

inline constexpr size_t kMaxEventFields = 2000;
inline constexpr size_t kMaxEventBytes = 1000000;
inline constexpr size_t kMaxFieldStringBytes = 65535;

// Defaults from the request: the dataset in the URL, X-Honeycomb-Event-Time (already
// parsed) and X-Honeycomb-Samplerate.
struct EventDefaults {
  std::string dataset;
  int64_t time_unix_nano = 0;
  int64_t sample_rate = 1;
};

// RFC 3339 (any fraction, Z or an offset), or digits: 10 of them = seconds, 13 = ms,
// 16 = µs, 19 = ns; fractional seconds ("1700000000.5") too.
absl::StatusOr<int64_t> ParseEventTime(std::string_view text);

enum class EventsEncoding { kJson, kMsgpack };

// Adds the body's event to `out` as a row (AnnotationType::kEvent).
absl::Status ParseSingleEvent(std::string_view body, EventsEncoding encoding, const EventDefaults& defaults,
                              store::EventBatchBuilder& out);

// Adds each element of a batch body to `out` as a row, in order, and says for each element
// whether it was added or why it was refused.
absl::StatusOr<std::vector<absl::Status>> ParseEventBatch(std::string_view body, EventsEncoding encoding,
                                                          const EventDefaults& defaults, store::EventBatchBuilder& out);

// The same as Events (tests and tools).
absl::StatusOr<model::Event> ParseSingleEvent(std::string_view body, EventsEncoding encoding,
                                              const EventDefaults& defaults);
absl::StatusOr<std::vector<absl::StatusOr<model::Event>>> ParseEventBatch(std::string_view body,
                                                                          EventsEncoding encoding,
                                                                          const EventDefaults& defaults);

}  // namespace waggle::ingest
