// Honeycomb Events API bodies: the first byte picks JSON or msgpack and single or batch.
#include <string_view>

#include "ingest/honeycomb_events.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto encoding = mode & 1 ? waggle::ingest::EventsEncoding::kMsgpack : waggle::ingest::EventsEncoding::kJson;
  waggle::ingest::EventDefaults defaults;
  defaults.dataset = "fuzz";
  if (mode & 2) {
    (void)waggle::ingest::ParseSingleEvent(body, encoding, defaults);
  } else {
    (void)waggle::ingest::ParseEventBatch(body, encoding, defaults);
  }
  (void)waggle::ingest::ParseEventTime(body);
  return 0;
}
