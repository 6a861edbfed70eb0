#include "store/clickhouse/node_registry.h"

#include <random>

#include <spdlog/spdlog.h>

#include "store/clickhouse/row_binary.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/wall_clock.h"
#include "model/ids.h"

namespace waggle::clickhouse {

namespace {

std::string RandomNodeId() {
  std::random_device random;
  std::string bytes(8, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  return model::HexEncode(bytes);
}

}  // namespace

NodeRegistry::NodeRegistry(ClickHouseEndpoint endpoint, std::chrono::milliseconds interval,
                           std::chrono::milliseconds horizon)
    : client_(endpoint, std::chrono::seconds(5)),
      table_(endpoint.database + ".waggle_nodes"),
      node_id_(RandomNodeId()),
      interval_(interval),
      horizon_(horizon) {}

absl::StatusOr<std::unique_ptr<NodeRegistry>> NodeRegistry::Start(ClickHouseEndpoint endpoint,
                                                                  std::chrono::milliseconds interval,
                                                                  std::chrono::milliseconds horizon) {
  std::unique_ptr<NodeRegistry> registry(new NodeRegistry(std::move(endpoint), interval, horizon));
  RETURN_IF_NOT_OK(registry->Beat());
  registry->thread_ = std::thread([r = registry.get()] {
    pthread_setname_np(pthread_self(), "waggle-nodes");
    r->Loop();
  });
  return registry;
}

NodeRegistry::~NodeRegistry() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

xray::NodeShare NodeRegistry::Share() const {
  std::lock_guard lock(mutex_);
  return share_;
}

absl::Status NodeRegistry::Beat() {
  const int64_t now = UnixNanosNow();
  std::string row;
  PutString(&row, node_id_);
  PutFixed<int64_t>(&row, now);
  RETURN_IF_NOT_OK(client_.Execute(StrCat("INSERT INTO ", table_, " (node, seen_ns) FORMAT RowBinary"), row).status());
  const int64_t since = now - std::chrono::duration_cast<std::chrono::nanoseconds>(horizon_).count();
  ASSIGN_OR_RETURN(std::string nodes, client_.Execute(StrCat("SELECT node FROM ", table_, " WHERE seen_ns >= ", since,
                                                             " GROUP BY node ORDER BY node FORMAT TabSeparated")));
  xray::NodeShare share;
  share.nodes = 0;
  for (size_t at = 0; at < nodes.size();) {
    size_t end = nodes.find('\n', at);
    if (end == std::string::npos) end = nodes.size();
    std::string_view node(nodes.data() + at, end - at);
    at = end + 1;
    if (node.empty()) continue;
    if (node < node_id_) ++share.rank;
    ++share.nodes;
  }
  share.nodes = std::max<int64_t>(share.nodes, share.rank + 1);  // this node, even if its row is not visible yet
  std::lock_guard lock(mutex_);
  if (share.nodes != share_.nodes) spdlog::info("{} Waggle node(s) share this ClickHouse; this one is {}", share.nodes, share.rank + 1);
  share_ = share;
  return absl::OkStatus();
}

void NodeRegistry::Loop() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    // A failed beat keeps the last share: ClickHouse being away must not widen the grants.
    if (absl::Status beat = Beat(); !beat.ok()) spdlog::warn("node heartbeat: {}", std::string(beat.message()));
    lock.lock();
  }
}

}  // namespace waggle::clickhouse
