// Binary encoding of event batches, used by the write-ahead log. Little-endian varints;
// every read is bounds-checked, so a corrupt record yields an error, never a crash.
//
//   batch  := varint(count) event*
//   event  := u8(version=1) string(dataset) u8(annotation) zigzag(time) zigzag(duration)
//             zigzag(sample_rate) bytes16(trace) bytes8(span) bytes8(parent) u8(kind)
//             u8(status) u8(invalid_duration) string(name) string(service)
//             string(status_message) string(scope_name) string(scope_version)
//             string(trace_state) varint(flags) varint(num_events) varint(num_links)
//             bytes16(link_trace) bytes8(link_span) varint(nfields) field*
//   field  := string(key) u8(origin) u8(type) value
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/event.h"

namespace waggle::store {

void EncodeEvents(const std::vector<model::Event>& events, std::string* out);
// The same for any run of events (one: std::span(&event, 1), as the ClickHouse store's rows).
void EncodeEvents(std::span<const model::Event> events, std::string* out);

absl::StatusOr<std::vector<model::Event>> DecodeEvents(std::string_view data);

// A batch read one event at a time into an Event the caller reuses: its strings and fields
// keep their storage, so a loop over many events allocates nothing once warm. With each
// event's offset, a flush sorts a head's events by key and decodes each again in that order
// (DecodeEventAt) without holding them all as Events.
class EventBatchReader {
 public:
  explicit EventBatchReader(std::string_view data);
  // Reads the next event into *event (every member overwritten); false at the end of the
  // batch. DataLoss when the batch is corrupt.
  absl::StatusOr<bool> Next(model::Event* event);
  // Where the event the next Next reads starts, from the start of the batch.
  uint32_t offset() const { return static_cast<uint32_t>(size_ - remaining_); }
  // Events not yet read (0 when the header is corrupt).
  uint64_t left() const { return left_ == UINT64_MAX ? 0 : left_; }

 private:
  std::string_view data_;
  size_t size_;
  size_t remaining_;
  uint64_t left_ = 0;  // events not yet read
};

// The event that starts at `offset` (an EventBatchReader offset) in batch `data`, decoded
// into *event in place.
absl::Status DecodeEventAt(std::string_view data, uint32_t offset, model::Event* event);

}  // namespace waggle::store
