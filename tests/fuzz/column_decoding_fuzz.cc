// Every column decoder on arbitrary bytes, at a row count taken from the first byte.
#include <string>
#include <string_view>

#include "store/column_encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint32_t rows = data[0] + 1u;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  waggle::store::ColumnValues out;
  (void)waggle::store::DecodeInts(input, rows, &out);
  (void)waggle::store::DecodeDoubles(input, rows, &out);
  (void)waggle::store::DecodeStrings(input, rows, &out);
  (void)waggle::store::DecodeFixedBytes(input, rows, 16, &out);
  const std::string span_ids(rows * 8, 'x');
  (void)waggle::store::DecodeFixedBytes(input, rows, 8, &out, &span_ids);
  const std::string trace_ids(rows * 16, 't');
  (void)waggle::store::DecodeInts(input, rows, &out, &trace_ids);
  (void)waggle::store::DecompressChunk(input, 1 << 20);
  return 0;
}
