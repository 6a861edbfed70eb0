#include <gtest/gtest.h>

#include <random>

#include "testing/temp_dir.h"
#include "xray/sampling_targets.h"
#include "xray/xray_config.h"

namespace waggle::xray {
namespace {

using Json = nlohmann::json;

TEST(Wildcards, MatchLikeTheSdks) {
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("*", "anything"));
  EXPECT_TRUE(WildcardMatch("backend-*", "Backend-Flask"));
  EXPECT_TRUE(WildcardMatch("/api/*/home", "/api/activities/home"));
  EXPECT_TRUE(WildcardMatch("GE?", "get"));
  EXPECT_FALSE(WildcardMatch("GE?", "GETS"));
  EXPECT_FALSE(WildcardMatch("backend-*", "frontend"));
  EXPECT_TRUE(WildcardMatch("*a*b*c", "xxaxxbxxc"));
  EXPECT_FALSE(WildcardMatch("*a*b*c", "xxaxxcxxb"));
}

TEST(XrayConfigStore, RulesPersistAndDefaultCannotBeDeleted) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/xray.json";
  {
    auto store = XrayConfigStore::Open(path);
    ASSERT_TRUE(store.ok());
    ASSERT_EQ((*store)->Rules().size(), 1u);
    EXPECT_EQ((*store)->Rules()[0].name, "Default");
    auto created = (*store)->CreateRule(Json::parse(R"({"RuleName":"Cruddur","ResourceARN":"*","Priority":9000,"FixedRate":0.1,
      "ReservoirSize":5,"ServiceName":"backend-flask","ServiceType":"*","Host":"*","HTTPMethod":"*","URLPath":"*","Version":1})"));
    ASSERT_TRUE(created.ok()) << created.status();
    EXPECT_EQ(created->Arn(), "arn:aws:xray:us-east-1:000000000000:sampling-rule/Cruddur");
    EXPECT_EQ((*store)->CreateRule(Json::parse(R"({"RuleName":"Cruddur","ResourceARN":"*","Priority":1,"FixedRate":0.1,
      "ReservoirSize":5,"ServiceName":"x","ServiceType":"*","Host":"*","HTTPMethod":"*","URLPath":"*","Version":1})")).status().code(),
              absl::StatusCode::kAlreadyExists);
    auto deleted = (*store)->DeleteRule("Default");
    EXPECT_EQ(deleted.status().code(), absl::StatusCode::kInvalidArgument);
    auto updated = (*store)->UpdateRule(Json::parse(R"({"RuleName":"Default","FixedRate":0.2})"));
    ASSERT_TRUE(updated.ok()) << updated.status();
    EXPECT_FALSE((*store)->UpdateRule(Json::parse(R"({"RuleName":"Default","Priority":5})")).ok());
    Group group;
    group.name = "Cruddur";
    group.filter_expression = "service(\"backend-flask\")";
    ASSERT_TRUE((*store)->CreateGroup(group).ok());
    EXPECT_GT((*store)->LastRuleModification(), 0);
  }
  auto reopened = XrayConfigStore::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto rules = (*reopened)->Rules();
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].name, "Cruddur");  // by priority
  EXPECT_EQ(rules[1].name, "Default");
  EXPECT_DOUBLE_EQ(rules[1].fixed_rate, 0.2);
  EXPECT_EQ(rules[1].priority, 10000);
  auto group = (*reopened)->FindGroup("Cruddur");
  ASSERT_TRUE(group);
  EXPECT_EQ(group->filter_expression, "service(\"backend-flask\")");
  EXPECT_TRUE((*reopened)->FindGroup(group->Arn()));
  EXPECT_EQ((*reopened)->Groups().size(), 2u);  // Default first
  ASSERT_TRUE((*reopened)->DeleteGroup("Cruddur").ok());
  EXPECT_FALSE((*reopened)->FindGroup("Cruddur"));
  EXPECT_EQ((*reopened)->DeleteGroup("Cruddur").code(), absl::StatusCode::kNotFound);
}

TEST(XrayConfigStore, ValidatesRules) {
  testing::TempDir dir;
  auto store = XrayConfigStore::Open(dir.path() + "/xray.json");
  ASSERT_TRUE(store.ok());
  auto error = [&](std::string_view patch) {
    Json rule = Json::parse(R"({"RuleName":"r","ResourceARN":"*","Priority":1,"FixedRate":0.1,"ReservoirSize":5,
      "ServiceName":"*","ServiceType":"*","Host":"*","HTTPMethod":"*","URLPath":"*","Version":1})");
    rule.merge_patch(Json::parse(patch));
    auto r = (*store)->CreateRule(rule);
    return r.ok() ? std::string() : std::string(r.status().message());
  };
  EXPECT_NE(error(R"({"Priority":0})").find("Priority"), std::string::npos);
  EXPECT_NE(error(R"({"FixedRate":1.5})").find("FixedRate"), std::string::npos);
  EXPECT_NE(error(R"({"ReservoirSize":-1})").find("ReservoirSize"), std::string::npos);
  EXPECT_NE(error(R"({"RuleName":"this-name-is-far-too-long-for-xray-rules"})").find("RuleName"), std::string::npos);
  EXPECT_NE(error(R"({"Host":null})").find("Host: required"), std::string::npos);
  EXPECT_NE(error(R"({"Version":2})").find("Version"), std::string::npos);
  EXPECT_NE(error(R"({"ServiceName":5})").find("ServiceName: must be a string"), std::string::npos);
  EXPECT_EQ(error("{}"), "");
}

TEST(SamplingTargets, QuotasSumToTheReservoir) {
  std::vector<std::string> clients = {"a", "b", "c"};
  EXPECT_EQ(SamplingTargets::QuotaFor(5, clients, "a"), 2);
  EXPECT_EQ(SamplingTargets::QuotaFor(5, clients, "b"), 2);
  EXPECT_EQ(SamplingTargets::QuotaFor(5, clients, "c"), 1);
  EXPECT_EQ(SamplingTargets::QuotaFor(0, clients, "a"), 0);
  EXPECT_EQ(SamplingTargets::QuotaFor(1, clients, "b"), 0);
}

TEST(SamplingTargets, NodesSplitTheReservoirWithoutExceedingIt) {
  for (int64_t size : {0, 1, 2, 7, 100}) {
    for (int64_t nodes : {1, 2, 3, 5}) {
      int64_t total = 0;
      for (int64_t rank = 0; rank < nodes; ++rank) total += SamplingTargets::NodeReservoir(size, {rank, nodes});
      EXPECT_EQ(total, size) << size << " over " << nodes << " nodes";
    }
  }
  EXPECT_EQ(SamplingTargets::NodeReservoir(7, {0, 2}), 4);
  EXPECT_EQ(SamplingTargets::NodeReservoir(7, {1, 2}), 3);
  EXPECT_EQ(SamplingTargets::NodeReservoir(7, {}), 7);
}

// A client as the SDKs implement centralized sampling (aws-xray-sdk-python
// sampling/sampler.py and rule_cache.py): per second, take from the quota while its TTL
// holds, else borrow one per second; beyond that, sample with FixedRate.
struct SimulatedClient {
  std::string id;
  int64_t quota = -1;
  double ttl = 0;
  int64_t this_second = -1;
  int64_t taken = 0;
  int64_t requests = 0, sampled = 0, borrowed = 0;
  int64_t total_requests = 0;

  enum class Decision { kReservoir, kBorrowed, kFixedRate, kNotSampled };

  Decision Decide(double now, double fixed_rate, std::mt19937_64& rng) {
    ++requests;
    int64_t second = static_cast<int64_t>(now);
    if (second != this_second) {
      this_second = second;
      taken = 0;
    }
    if (quota >= 0 && now < ttl) {
      if (taken < quota) {
        ++taken;
        ++sampled;
        return Decision::kReservoir;
      }
    } else if (taken < 1) {
      ++taken;
      ++borrowed;
      ++sampled;
      return Decision::kBorrowed;
    }
    if (std::uniform_real_distribution<double>(0, 1)(rng) < fixed_rate) {
      ++sampled;
      return Decision::kFixedRate;
    }
    return Decision::kNotSampled;
  }
};

TEST(SamplingTargets, SimulatedClientsSampleWhatTheRuleAllows) {
  SamplingRule rule;
  rule.name = "Cruddur";
  rule.fixed_rate = 0.1;
  rule.reservoir_size = 5;
  rule.priority = 9000;
  SamplingTargets targets;
  std::mt19937_64 rng(42);
  std::vector<SimulatedClient> clients(3);
  for (int i = 0; i < 3; ++i) clients[i].id = std::string(23, 'a') + static_cast<char>('0' + i);
  const double start = 1795485960;
  constexpr int kRequestsPerSecond = 100;  // per client
  std::vector<int64_t> reservoir_per_second;
  for (int second = 0; second < 60; ++second) {
    const double now = start + second;
    if (second % 10 == 0) {  // every client reports, as the SDKs do every 10 s
      for (SimulatedClient& c : clients) {
        Json request = {{"SamplingStatisticsDocuments",
                         {{{"RuleName", "Cruddur"}, {"ClientID", c.id}, {"Timestamp", now},
                           {"RequestCount", c.requests}, {"SampledCount", c.sampled}, {"BorrowCount", c.borrowed}}}}};
        auto response = targets.Report(request, {rule}, 0, now);
        ASSERT_TRUE(response.ok());
        const Json& doc = (*response)["SamplingTargetDocuments"][0];
        EXPECT_DOUBLE_EQ(doc["FixedRate"].get<double>(), 0.1);
        c.quota = doc["ReservoirQuota"].get<int64_t>();
        // The SDKs report counts since their last report.
        c.total_requests += c.requests;
        c.requests = c.sampled = c.borrowed = 0;
        c.ttl = doc["ReservoirQuotaTTL"].get<double>();
        EXPECT_EQ(doc["Interval"].get<int64_t>(), 10);
      }
    }
    int64_t reservoir_sampled = 0;
    int64_t fixed_sampled = 0;
    for (SimulatedClient& c : clients) {
      for (int r = 0; r < kRequestsPerSecond; ++r) {
        switch (c.Decide(now + r / 1000.0, rule.fixed_rate, rng)) {
          case SimulatedClient::Decision::kReservoir:
          case SimulatedClient::Decision::kBorrowed:
            ++reservoir_sampled;
            break;
          case SimulatedClient::Decision::kFixedRate:
            ++fixed_sampled;
            break;
          case SimulatedClient::Decision::kNotSampled:
            break;
        }
      }
    }
    reservoir_per_second.push_back(reservoir_sampled);
    if (second >= 10) {
      // Once all three clients have reported, the three quotas (2 + 2 + 1) hold the rule's 5 per second.
      EXPECT_EQ(reservoir_sampled, rule.reservoir_size) << "second " << second;
      // The rest are sampled at FixedRate: 295 left per second, 29.5 expected.
      EXPECT_NEAR(fixed_sampled, 29.5, 17) << "second " << second;
    }
  }
  // Statistics per rule, summed over every client's reports.
  Json summaries = targets.Summaries();
  ASSERT_EQ(summaries.size(), 1u);
  int64_t reported_requests = 0;
  for (const SimulatedClient& c : clients) reported_requests += c.total_requests;
  // The last reports were at second 50; the 10 seconds after are not reported yet.
  EXPECT_EQ(summaries[0]["RequestCount"].get<int64_t>(), 50 * kRequestsPerSecond * 3);
  EXPECT_EQ(summaries[0]["RequestCount"].get<int64_t>(), reported_requests);
  // ...and per client.
  for (const SimulatedClient& c : clients) {
    SamplingStatistics stats = targets.ClientStatistics("Cruddur", c.id);
    EXPECT_EQ(stats.request_count, c.total_requests);
    EXPECT_GT(stats.sampled_count, 0);
    EXPECT_DOUBLE_EQ(stats.timestamp, start + 50);
  }
}

TEST(SamplingTargets, ClientsThatStopReportingNoLongerShareTheReservoir) {
  SamplingRule rule;
  rule.name = "r";
  rule.reservoir_size = 4;
  SamplingTargets targets;
  auto report = [&](const std::string& client, double now) {
    Json request = {{"SamplingStatisticsDocuments", {{{"RuleName", "r"}, {"ClientID", client}, {"RequestCount", 1}}}}};
    return (*targets.Report(request, {rule}, 0, now))["SamplingTargetDocuments"][0]["ReservoirQuota"].get<int64_t>();
  };
  const std::string a(24, 'a'), b(24, 'b');
  EXPECT_EQ(report(a, 1000), 4);
  EXPECT_EQ(report(b, 1001), 2);
  EXPECT_EQ(report(a, 1010), 2);
  EXPECT_EQ(report(a, 1012), 2);  // b reported 11 s ago: within the interval and its slack
  EXPECT_EQ(report(a, 1020), 4);  // b is gone
  Json bad = {{"SamplingStatisticsDocuments", {{{"RuleName", "nope"}, {"ClientID", a}}, {{"RuleName", "r"}, {"ClientID", "short"}}}}};
  auto response = targets.Report(bad, {rule}, 0, 1030);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ((*response)["UnprocessedStatistics"].size(), 2u);
  EXPECT_FALSE(targets.Report(Json::object(), {rule}, 0, 1030).ok());
}

}  // namespace
}  // namespace waggle::xray
