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

}  // namespace waggle::store
