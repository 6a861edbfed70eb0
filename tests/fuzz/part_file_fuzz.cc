// The part file reader (trailer, footer, chunks, column decoders) and the manifest, on
// arbitrary bytes: what a torn or corrupt file on disk can hold. Every path must fail
// cleanly or read rows, never crash.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "store/manifest.h"
#include "store/part_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/waggle-part-fuzz-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  if (auto part = waggle::store::PartReader::Open(path); part.ok()) {
    (void)(*part)->Verify();
    const auto& footer = (*part)->footer();
    for (size_t b = 0; b < footer.blocks.size() && b < 4; ++b) {
      (void)(*part)->ReadEvents(b, 0, footer.blocks[b].rows);
      (void)(*part)->FindTrace(footer.blocks[b].first_trace);
    }
  }
  (void)waggle::store::LoadManifest(path);
  std::remove(path.c_str());
  return 0;
}
