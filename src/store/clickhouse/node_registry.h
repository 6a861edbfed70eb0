// The Waggle nodes sharing one ClickHouse database, from heartbeats in waggle_nodes: every
// node writes one each `interval` and counts the nodes heard from within `horizon`. X-Ray
// sampling reservoirs are split by it (xray::NodeShare), so the nodes together grant a
// rule's reservoir once. A node that joins is counted by the others within one interval; until
// then (and for a grant's 10 s TTL) the grants may add up to more than the rule's size.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "store/clickhouse/clickhouse_client.h"
#include "xray/sampling_targets.h"

namespace waggle::clickhouse {

class NodeRegistry {
 public:
  // Writes the first heartbeat and reads the others before returning (the table exists:
  // ClickHouseStore::CreateSchema).
  static absl::StatusOr<std::unique_ptr<NodeRegistry>> Start(ClickHouseEndpoint endpoint,
                                                             std::chrono::milliseconds interval = std::chrono::seconds(2),
                                                             std::chrono::milliseconds horizon = std::chrono::seconds(10));
  ~NodeRegistry();

  const std::string& node_id() const { return node_id_; }
  // This node's rank by id among the live nodes, and their number (at least 1).
  xray::NodeShare Share() const;

 private:
  NodeRegistry(ClickHouseEndpoint endpoint, std::chrono::milliseconds interval, std::chrono::milliseconds horizon);
  absl::Status Beat();
  void Loop();

  const ClickHouseClient client_;
  const std::string table_;
  const std::string node_id_;
  const std::chrono::milliseconds interval_;
  const std::chrono::milliseconds horizon_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  xray::NodeShare share_;  // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace waggle::clickhouse
