// A DocumentStore row in ClickHouse (table waggle_documents, keyed by team and name), so the
// markers and X-Ray rules and groups one node saves are what every node reads. Each save is a
// new row with a newer version; ReplacingMergeTree keeps the newest when parts merge, and a
// read takes the newest regardless. Two nodes changing one document at the same moment:
// the later save wins whole (owners reload just before each change, so the window is one
// round trip).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "store/clickhouse/clickhouse_client.h"
#include "store/document_store.h"

namespace waggle::clickhouse {

class ClickHouseDocumentStore final : public store::DocumentStore {
 public:
  ClickHouseDocumentStore(ClickHouseEndpoint endpoint, std::string team, std::string name)
      : client_(endpoint, std::chrono::seconds(10)),
        table_(endpoint.database + ".waggle_documents"),
        team_(std::move(team)),
        name_(std::move(name)) {}

  absl::StatusOr<Snapshot> Load() override;
  absl::StatusOr<int64_t> Save(std::string_view text) override;
  bool shared() const override { return true; }
  std::string Describe() const override;

 private:
  const ClickHouseClient client_;
  const std::string table_;
  const std::string team_;
  const std::string name_;
  std::mutex mutex_;
  int64_t last_version_ = 0;  // guarded by mutex_: versions this process writes only grow
};

}  // namespace waggle::clickhouse
