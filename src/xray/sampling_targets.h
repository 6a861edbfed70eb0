// The service side of X-Ray's centralized sampling: GetSamplingTargets splits each rule's
// ReservoirSize across the clients that reported for it in the last interval (X-Ray
// "distributes the reservoir evenly based on the number of instances"; the split is not
// published, so: floor(size / clients) each, the remainder to the first clients by id, so the
// quotas always sum to the rule's size), and keeps statistics per rule and client. Several
// nodes on one ClickHouse first split the reservoir among themselves (NodeShare).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "xray/xray_config.h"

namespace waggle::xray {

struct SamplingStatistics {
  std::string rule_name;
  std::string client_id;
  double timestamp = 0;
  int64_t request_count = 0;
  int64_t sampled_count = 0;
  int64_t borrow_count = 0;
};

// This node's place among the Waggle nodes that serve the same rules (one ClickHouse): each
// node grants its share of a rule's reservoir, so together they grant the rule's size.
struct NodeShare {
  int64_t rank = 0;   // 0 .. nodes-1, by node id
  int64_t nodes = 1;
};

class SamplingTargets {
 public:
  static constexpr int64_t kIntervalSeconds = 10;

  // The GetSamplingTargets request body -> its response. `now` in epoch seconds.
  absl::StatusOr<nlohmann::json> Report(const nlohmann::json& request, const std::vector<SamplingRule>& rules,
                                        double last_rule_modification, double now, NodeShare share = {});

  // GetSamplingStatisticSummaries: per rule, the counts reported so far.
  nlohmann::json Summaries() const;

  // The counts one client reported for a rule so far (zeros when it never did, or was
  // forgotten after 30 s of silence).
  SamplingStatistics ClientStatistics(const std::string& rule, const std::string& client_id) const;

  // A node's share of a reservoir: floor(size / nodes), the remainder to the first ranks.
  static int64_t NodeReservoir(int64_t reservoir_size, NodeShare share);

  // The quota a client gets for a rule (exposed for tests).
  static int64_t QuotaFor(int64_t reservoir_size, const std::vector<std::string>& active_clients,
                          const std::string& client_id);

 private:
  struct ClientState {
    double last_report = 0;
    int64_t request_count = 0;
    int64_t sampled_count = 0;
    int64_t borrow_count = 0;
  };
  struct RuleTotals {
    double timestamp = 0;
    int64_t request_count = 0;
    int64_t sampled_count = 0;
    int64_t borrow_count = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, ClientState>> clients_;  // rule -> client -> state
  std::map<std::string, RuleTotals> totals_;
};

}  // namespace waggle::xray
