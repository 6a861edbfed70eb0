// The event batch decoder the write-ahead log replays through.
#include <string_view>

#include "store/event_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)waggle::store::DecodeEvents(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
