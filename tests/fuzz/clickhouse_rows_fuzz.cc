// What the ClickHouse store reads from ClickHouse: RowBinary event rows (decoded into events)
// and --store URLs. A bad answer is an error, never a crash.
#include <string_view>

#include "clickhouse/clickhouse_client.h"
#include "clickhouse/clickhouse_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)waggle::clickhouse::DecodeEventRows(input);
  (void)waggle::clickhouse::ParseClickHouseUrl(input.substr(0, 512));
  return 0;
}
