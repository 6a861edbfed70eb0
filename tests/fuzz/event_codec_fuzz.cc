// The write-ahead log's record decoders, both formats (event batches and version 1's
// encoded events), and what the head does with a record that decodes.
#include <memory>
#include <string>

#include "store/event_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto record = std::make_shared<const std::string>(reinterpret_cast<const char*>(data), size);
  auto batches = waggle::store::DecodeLogRecord(record);
  if (batches.ok()) {
    (void)waggle::store::BatchEvents(*batches);
    std::string again;
    waggle::store::EncodeEventBatches(*batches, &again);
  }
  return 0;
}
