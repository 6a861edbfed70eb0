#include "xray/sampling_targets.h"

#include <algorithm>
#include <cmath>

#include "common/strings.h"

namespace waggle::xray {

using Json = nlohmann::json;

int64_t SamplingTargets::QuotaFor(int64_t reservoir_size, const std::vector<std::string>& active_clients,
                                  const std::string& client_id) {
  if (active_clients.empty() || reservoir_size <= 0) return 0;
  const int64_t n = static_cast<int64_t>(active_clients.size());
  auto it = std::lower_bound(active_clients.begin(), active_clients.end(), client_id);
  const int64_t rank = it - active_clients.begin();
  return reservoir_size / n + (rank < reservoir_size % n ? 1 : 0);
}

int64_t SamplingTargets::NodeReservoir(int64_t reservoir_size, NodeShare share) {
  if (reservoir_size <= 0 || share.nodes <= 1) return std::max<int64_t>(reservoir_size, 0);
  return reservoir_size / share.nodes + (share.rank < reservoir_size % share.nodes ? 1 : 0);
}

absl::StatusOr<Json> SamplingTargets::Report(const Json& request, const std::vector<SamplingRule>& rules,
                                             double last_rule_modification, double now, NodeShare share) {
  if (!request.is_object()) return absl::InvalidArgumentError("the request body must be a JSON object");
  auto docs = request.find("SamplingStatisticsDocuments");
  if (docs == request.end() || !docs->is_array()) {
    return absl::InvalidArgumentError("SamplingStatisticsDocuments: required, an array");
  }
  if (docs->size() > 25) return absl::InvalidArgumentError("SamplingStatisticsDocuments: at most 25 documents");

  Json targets = Json::array();
  Json unprocessed = Json::array();
  std::vector<SamplingStatistics> reports;
  for (const Json& d : *docs) {
    SamplingStatistics s;
    if (!d.is_object()) continue;
    auto text = [&](const char* key) {
      auto it = d.find(key);
      return it != d.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    s.rule_name = text("RuleName");
    s.client_id = text("ClientID");
    auto number = [&](const char* key) -> int64_t {
      auto it = d.find(key);
      if (it == d.end() || !it->is_number()) return int64_t{0};
      if (it->is_number_unsigned()) return static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(), INT64_MAX));
      if (it->is_number_integer()) return std::max<int64_t>(0, it->get<int64_t>());
      const double v = it->get<double>();  // floats outside int64's range would be undefined to cast
      return std::isfinite(v) && v > 0 ? static_cast<int64_t>(std::min(v, 9e18)) : int64_t{0};
    };
    s.request_count = number("RequestCount");
    s.sampled_count = number("SampledCount");
    s.borrow_count = number("BorrowCount");
    if (auto ts = d.find("Timestamp"); ts != d.end() && ts->is_number()) s.timestamp = ts->get<double>();
    auto rule = std::find_if(rules.begin(), rules.end(), [&](const SamplingRule& r) { return r.name == s.rule_name; });
    if (s.client_id.size() != 24) {
      unprocessed.push_back({{"RuleName", s.rule_name}, {"ErrorCode", "400"}, {"Message", "ClientID must be 24 characters"}});
      continue;
    }
    if (rule == rules.end()) {
      unprocessed.push_back({{"RuleName", s.rule_name}, {"ErrorCode", "400"}, {"Message", "no such sampling rule"}});
      continue;
    }
    reports.push_back(std::move(s));
  }

  std::lock_guard lock(mutex_);
  for (const SamplingStatistics& s : reports) {
    ClientState& client = clients_[s.rule_name][s.client_id];
    client.last_report = now;
    client.request_count += s.request_count;
    client.sampled_count += s.sampled_count;
    client.borrow_count += s.borrow_count;
    RuleTotals& t = totals_[s.rule_name];
    t.timestamp = std::max(t.timestamp, s.timestamp > 0 ? s.timestamp : now);
    t.request_count += s.request_count;
    t.sampled_count += s.sampled_count;
    t.borrow_count += s.borrow_count;
  }
  for (const SamplingStatistics& s : reports) {
    const SamplingRule& rule = *std::find_if(rules.begin(), rules.end(), [&](const SamplingRule& r) { return r.name == s.rule_name; });
    // Active: reported within the last interval (plus slack for the SDKs' jitter).
    auto& clients = clients_[s.rule_name];
    std::vector<std::string> active;
    for (auto it = clients.begin(); it != clients.end();) {
      if (now - it->second.last_report > 3 * kIntervalSeconds) {
        it = clients.erase(it);
        continue;
      }
      if (now - it->second.last_report <= kIntervalSeconds + 1) active.push_back(it->first);
      ++it;
    }
    targets.push_back({{"RuleName", rule.name},
                       {"FixedRate", rule.fixed_rate},
                       {"ReservoirQuota", QuotaFor(NodeReservoir(rule.reservoir_size, share), active, s.client_id)},
                       {"ReservoirQuotaTTL", std::floor(now) + kIntervalSeconds},
                       {"Interval", kIntervalSeconds}});
  }
  return Json{{"SamplingTargetDocuments", std::move(targets)},
              {"LastRuleModification", last_rule_modification},
              {"UnprocessedStatistics", std::move(unprocessed)}};
}

SamplingStatistics SamplingTargets::ClientStatistics(const std::string& rule, const std::string& client_id) const {
  std::lock_guard lock(mutex_);
  SamplingStatistics out;
  out.rule_name = rule;
  out.client_id = client_id;
  auto r = clients_.find(rule);
  if (r == clients_.end()) return out;
  auto c = r->second.find(client_id);
  if (c == r->second.end()) return out;
  out.timestamp = c->second.last_report;
  out.request_count = c->second.request_count;
  out.sampled_count = c->second.sampled_count;
  out.borrow_count = c->second.borrow_count;
  return out;
}

Json SamplingTargets::Summaries() const {
  std::lock_guard lock(mutex_);
  Json out = Json::array();
  for (const auto& [rule, t] : totals_) {
    out.push_back({{"RuleName", rule},
                   {"Timestamp", t.timestamp},
                   {"RequestCount", t.request_count},
                   {"BorrowCount", t.borrow_count},
                   {"SampledCount", t.sampled_count}});
  }
  return out;
}

}  // namespace waggle::xray
