// What the ClickHouse store reads from ClickHouse: RowBinary event rows (decoded into events)
// and --store URLs. A bad answer is an error, never a crash.
#include <string_view>

#include "store/clickhouse/clickhouse_client.h"
#include "store/clickhouse/event_rows.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)waggle::clickhouse::DecodeEventRows(input);
  // A query's projection: a few fixed columns and the attributes of two keys.
  waggle::clickhouse::RowProjection projection = waggle::clickhouse::RowProjection::Minimal();
  projection.Add(waggle::store::FixedColumn::kName);
  projection.attribute_keys->push_back("http.route");
  (void)waggle::clickhouse::DecodeEventRows(input, projection);
  (void)waggle::clickhouse::ParseClickHouseUrl(input.substr(0, 512));
  return 0;
}
