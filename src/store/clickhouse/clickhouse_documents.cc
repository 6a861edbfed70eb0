#include "store/clickhouse/clickhouse_documents.h"

#include <cstring>

#include "store/clickhouse/row_binary.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/wall_clock.h"

namespace waggle::clickhouse {

std::string ClickHouseDocumentStore::Describe() const {
  return StrCat("ClickHouse ", table_, " (team ", team_, ", document ", name_, ")");
}

absl::StatusOr<store::DocumentStore::Snapshot> ClickHouseDocumentStore::Load() {
  ASSIGN_OR_RETURN(std::string rows,
                   client_.Execute(StrCat("SELECT version, text FROM ", table_, " WHERE team = ", SqlString(team_),
                                          " AND name = ", SqlString(name_), " ORDER BY version DESC LIMIT 1 FORMAT RowBinary")));
  if (rows.empty()) return Snapshot{};
  RowBinaryReader reader(rows);
  Snapshot snapshot;
  std::string_view text;
  if (!reader.Fixed(&snapshot.version) || !reader.String(&text)) {
    return absl::DataLossError(StrCat(Describe(), ": ClickHouse sent a malformed row"));
  }
  snapshot.text = std::string(text);
  return snapshot;
}

absl::StatusOr<int64_t> ClickHouseDocumentStore::Save(std::string_view text) {
  int64_t version;
  {
    std::lock_guard lock(mutex_);
    version = last_version_ = std::max(UnixNanosNow(), last_version_ + 1);
  }
  std::string row;
  PutString(&row, team_);
  PutString(&row, name_);
  PutFixed<int64_t>(&row, version);
  PutString(&row, text);
  RETURN_IF_NOT_OK(
      client_.Execute(StrCat("INSERT INTO ", table_, " (team, name, version, text) FORMAT RowBinary"), row).status());
  return version;
}

}  // namespace waggle::clickhouse
