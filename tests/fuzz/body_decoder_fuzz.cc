// gzip and zstd bodies, with a small cap so bombs are exercised.
#include <string>

#include "ingest/body_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  (void)waggle::ingest::DecodeBody("gzip", body, 1 << 20);
  (void)waggle::ingest::DecodeBody("zstd", body, 1 << 20);
  return 0;
}
