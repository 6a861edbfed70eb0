#include "xray/xray_config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include <spdlog/spdlog.h>

#include "common/status_macros.h"
#include "common/strings.h"
#include "common/wall_clock.h"
#include "store/file_util.h"

namespace waggle::xray {
namespace {

using Json = nlohmann::json;

constexpr char kDefaultRule[] = "Default";
constexpr char kDefaultGroup[] = "Default";

SamplingRule DefaultRule() {
  SamplingRule rule;
  rule.name = kDefaultRule;
  rule.priority = 10000;
  rule.fixed_rate = 0.05;
  rule.reservoir_size = 1;
  return rule;
}

absl::Status Invalid(std::string_view message) { return absl::InvalidArgumentError(std::string(message)); }

// Reads one field of a SamplingRule or SamplingRuleUpdate. `required` fields must be present.
class RuleReader {
 public:
  explicit RuleReader(const Json& json) : json_(json) {}

  absl::Status String(const char* key, std::string& out, bool required, size_t min, size_t max) {
    auto it = json_.find(key);
    if (it == json_.end() || it->is_null()) {
      return required ? Invalid(StrCat("SamplingRule.", key, ": required")) : absl::OkStatus();
    }
    if (!it->is_string()) return Invalid(StrCat("SamplingRule.", key, ": must be a string"));
    std::string v = it->get<std::string>();
    if (v.size() < min || v.size() > max) {
      return Invalid(StrCat("SamplingRule.", key, ": length must be ", min, " to ", max, " characters"));
    }
    out = std::move(v);
    return absl::OkStatus();
  }
  absl::Status Number(const char* key, double& out, bool required, double min, double max) {
    auto it = json_.find(key);
    if (it == json_.end() || it->is_null()) {
      return required ? Invalid(StrCat("SamplingRule.", key, ": required")) : absl::OkStatus();
    }
    if (!it->is_number()) return Invalid(StrCat("SamplingRule.", key, ": must be a number"));
    double v = it->get<double>();
    if (!std::isfinite(v) || v < min || v > max) {
      return Invalid(StrCat("SamplingRule.", key, ": must be between ", min, " and ", max));
    }
    out = v;
    return absl::OkStatus();
  }
  absl::Status Integer(const char* key, int64_t& out, bool required, int64_t min, int64_t max) {
    double v = static_cast<double>(out);
    RETURN_IF_NOT_OK(Number(key, v, required, static_cast<double>(min), static_cast<double>(max)));
    if (v != std::floor(v)) return Invalid(StrCat("SamplingRule.", key, ": must be a whole number"));
    out = static_cast<int64_t>(v);
    return absl::OkStatus();
  }
  absl::Status Attributes(std::map<std::string, std::string>& out) {
    auto it = json_.find("Attributes");
    if (it == json_.end() || it->is_null()) return absl::OkStatus();
    if (!it->is_object() || it->size() > 5) return Invalid("SamplingRule.Attributes: an object of at most 5 strings");
    std::map<std::string, std::string> attributes;
    for (auto a = it->begin(); a != it->end(); ++a) {
      if (!a.value().is_string()) return Invalid("SamplingRule.Attributes: values must be strings");
      attributes[a.key()] = a.value().get<std::string>();
    }
    out = std::move(attributes);
    return absl::OkStatus();
  }

  // Every field; `required` for CreateSamplingRule, optional for an update.
  absl::Status All(SamplingRule& rule, bool required) {
    RETURN_IF_NOT_OK(String("ResourceARN", rule.resource_arn, required, 0, 500));
    RETURN_IF_NOT_OK(Integer("Priority", rule.priority, required, 1, 9999));
    RETURN_IF_NOT_OK(Number("FixedRate", rule.fixed_rate, required, 0, 1));
    RETURN_IF_NOT_OK(Integer("ReservoirSize", rule.reservoir_size, required, 0, 1ll << 31));
    RETURN_IF_NOT_OK(String("ServiceName", rule.service_name, required, 0, 64));
    RETURN_IF_NOT_OK(String("ServiceType", rule.service_type, required, 0, 64));
    RETURN_IF_NOT_OK(String("Host", rule.host, required, 0, 64));
    RETURN_IF_NOT_OK(String("HTTPMethod", rule.http_method, required, 0, 10));
    RETURN_IF_NOT_OK(String("URLPath", rule.url_path, required, 0, 128));
    if (required) {
      RETURN_IF_NOT_OK(Integer("Version", rule.version, true, 1, 1ll << 31));
      if (rule.version != 1) return Invalid("SamplingRule.Version: only version 1 rules exist");
    }
    return Attributes(rule.attributes);
  }

 private:
  const Json& json_;
};

Json RuleToStored(const SamplingRule& r) {
  Json j = SamplingRule(r).ToRecordJson();
  return j;
}

absl::StatusOr<SamplingRule> RuleFromStored(const Json& record) {
  if (!record.is_object() || !record.contains("SamplingRule")) return Invalid("a stored rule has no SamplingRule");
  const Json& j = record["SamplingRule"];
  SamplingRule rule;
  RuleReader reader(j);
  RETURN_IF_NOT_OK(reader.String("RuleName", rule.name, true, 1, 32));
  if (rule.name == kDefaultRule) {
    rule.priority = 10000;  // outside the 1..9999 users may set
    Json copy = j;
    copy.erase("Priority");
    RuleReader default_reader(copy);
    RETURN_IF_NOT_OK(default_reader.All(rule, false));
  } else {
    RETURN_IF_NOT_OK(reader.All(rule, true));
  }
  rule.created_at = record.value("CreatedAt", 0.0);
  rule.modified_at = record.value("ModifiedAt", 0.0);
  return rule;
}

std::string NewGroupId() {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::random_device device;
  std::mt19937_64 rng(device());
  std::string id(52, 'A');
  for (char& c : id) c = kAlphabet[rng() % 32];
  return id;
}

bool MatchesNameOrArn(std::string_view name_or_arn, const std::string& name, const std::string& arn) {
  return name_or_arn == name || name_or_arn == arn;
}

}  // namespace

std::string SamplingRule::Arn() const { return StrCat(kArnPrefix, "sampling-rule/", name); }

Json SamplingRule::ToRecordJson() const {
  Json attrs = Json::object();
  for (const auto& [k, v] : attributes) attrs[k] = v;
  return {{"SamplingRule",
           {{"RuleName", name},
            {"RuleARN", Arn()},
            {"ResourceARN", resource_arn},
            {"Priority", priority},
            {"FixedRate", fixed_rate},
            {"ReservoirSize", reservoir_size},
            {"ServiceName", service_name},
            {"ServiceType", service_type},
            {"Host", host},
            {"HTTPMethod", http_method},
            {"URLPath", url_path},
            {"Version", version},
            {"Attributes", std::move(attrs)}}},
          {"CreatedAt", created_at},
          {"ModifiedAt", modified_at}};
}

bool SamplingRule::Matches(std::string_view service, std::string_view type, std::string_view host_name,
                           std::string_view method, std::string_view path) const {
  return WildcardMatch(service_name, service) && WildcardMatch(service_type, type) && WildcardMatch(host, host_name) &&
         WildcardMatch(http_method, method) && WildcardMatch(url_path, path);
}

std::string Group::Arn() const {
  return name == kDefaultGroup ? StrCat(kArnPrefix, "group/Default") : StrCat(kArnPrefix, "group/", name, "/", id);
}

Json Group::ToJson() const {
  Json j = {{"GroupName", name},
            {"GroupARN", Arn()},
            {"InsightsConfiguration", {{"InsightsEnabled", insights_enabled}, {"NotificationsEnabled", notifications_enabled}}}};
  if (!filter_expression.empty()) j["FilterExpression"] = filter_expression;
  return j;
}

bool WildcardMatch(std::string_view pattern, std::string_view text) {
  // Iterative glob with backtracking to the last '*': linear in practice, no recursion.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || lower(pattern[p]) == lower(text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

absl::StatusOr<std::unique_ptr<XrayConfigStore>> XrayConfigStore::Open(const std::string& path) {
  return Open(std::make_unique<store::FileDocumentStore>(path));
}

absl::StatusOr<std::unique_ptr<XrayConfigStore>> XrayConfigStore::Open(std::unique_ptr<store::DocumentStore> document) {
  std::unique_ptr<XrayConfigStore> store(new XrayConfigStore(std::move(document)));
  store->rules_.push_back(DefaultRule());
  ASSIGN_OR_RETURN(store::DocumentStore::Snapshot snapshot, store->document_->Load());
  if (snapshot.text) RETURN_IF_NOT_OK(store->Parse(*snapshot.text));
  store->version_ = snapshot.version;
  return store;
}

absl::Status XrayConfigStore::Parse(const std::string& text) const {
  const std::string where = document_->Describe();
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::DataLossError(StrCat(where, ": not valid JSON; fix or move it away to start with no rules and groups"));
  }
  // Read with value(), which throws on a wrong type: a hand-edited file is reported, not fatal.
  try {
    return Load(doc);
  } catch (const Json::exception& e) {
    return absl::DataLossError(StrCat(where, ": ", e.what()));
  }
}

absl::Status XrayConfigStore::RefreshLocked() const {
  if (!document_->shared()) return absl::OkStatus();
  ASSIGN_OR_RETURN(store::DocumentStore::Snapshot snapshot, document_->Load());
  if (snapshot.version == version_ || !snapshot.text) return absl::OkStatus();
  RETURN_IF_NOT_OK(Parse(*snapshot.text));
  version_ = snapshot.version;
  return absl::OkStatus();
}

void XrayConfigStore::RefreshForReadLocked() const {
  if (absl::Status refreshed = RefreshLocked(); !refreshed.ok()) {
    spdlog::warn("X-Ray rules and groups: answering from the last copy read: {}", std::string(refreshed.message()));
  }
}

absl::Status XrayConfigStore::Load(const Json& doc) const {
  const std::string path = document_->Describe();
  std::vector<SamplingRule> rules;
  std::vector<Group> groups;
  bool has_default = false;
  for (const Json& record : doc.value("rules", Json::array())) {
    auto rule = RuleFromStored(record);
    if (!rule.ok()) return absl::DataLossError(StrCat(path, ": ", std::string(rule.status().message())));
    has_default |= rule->name == kDefaultRule;
    rules.push_back(std::move(*rule));
  }
  if (!has_default) rules.push_back(DefaultRule());
  for (const Json& g : doc.value("groups", Json::array())) {
    Group group;
    group.name = g.value("name", "");
    group.id = g.value("id", "");
    group.filter_expression = g.value("filter_expression", "");
    group.insights_enabled = g.value("insights_enabled", false);
    group.notifications_enabled = g.value("notifications_enabled", false);
    if (group.name.empty()) return absl::DataLossError(StrCat(path, ": a group has no name"));
    groups.push_back(std::move(group));
  }
  last_rule_modification_ = doc.value("last_rule_modification", 0.0);
  rules_ = std::move(rules);
  groups_ = std::move(groups);
  return absl::OkStatus();
}

absl::Status XrayConfigStore::Save() {
  Json rules = Json::array();
  for (const SamplingRule& r : rules_) rules.push_back(RuleToStored(r));
  Json groups = Json::array();
  for (const Group& g : groups_) {
    groups.push_back({{"name", g.name},
                      {"id", g.id},
                      {"filter_expression", g.filter_expression},
                      {"insights_enabled", g.insights_enabled},
                      {"notifications_enabled", g.notifications_enabled}});
  }
  Json doc = {{"rules", rules}, {"groups", groups}, {"last_rule_modification", last_rule_modification_}};
  ASSIGN_OR_RETURN(version_, document_->Save(doc.dump(1)));
  return absl::OkStatus();
}

const SamplingRule* XrayConfigStore::FindRuleLocked(std::string_view name_or_arn) const {
  for (const SamplingRule& r : rules_) {
    if (MatchesNameOrArn(name_or_arn, r.name, r.Arn())) return &r;
  }
  return nullptr;
}

absl::StatusOr<SamplingRule> XrayConfigStore::CreateRule(const Json& json) {
  if (!json.is_object()) return Invalid("SamplingRule: required, an object");
  SamplingRule rule;
  RuleReader reader(json);
  RETURN_IF_NOT_OK(reader.String("RuleName", rule.name, true, 1, 32));
  if (json.contains("RuleARN")) return Invalid("SamplingRule: give RuleName, not RuleARN, when creating a rule");
  RETURN_IF_NOT_OK(reader.All(rule, true));
  std::lock_guard lock(mutex_);
  RETURN_IF_NOT_OK(RefreshLocked());
  if (FindRuleLocked(rule.name)) return absl::AlreadyExistsError(StrCat("sampling rule '", rule.name, "' already exists"));
  if (rules_.size() - 1 >= kMaxRules) {
    return absl::FailedPreconditionError(StrCat("at most ", kMaxRules, " sampling rules besides Default; delete one first"));
  }
  rule.created_at = rule.modified_at = static_cast<double>(UnixNanosNow()) / 1e9;
  rules_.push_back(rule);
  last_rule_modification_ = rule.modified_at;
  if (absl::Status saved = Save(); !saved.ok()) {
    rules_.pop_back();
    return saved;
  }
  return rule;
}

absl::StatusOr<SamplingRule> XrayConfigStore::UpdateRule(const Json& update) {
  if (!update.is_object()) return Invalid("SamplingRuleUpdate: required, an object");
  std::string name;
  if (auto it = update.find("RuleName"); it != update.end() && it->is_string()) name = it->get<std::string>();
  if (auto it = update.find("RuleARN"); name.empty() && it != update.end() && it->is_string()) name = it->get<std::string>();
  if (name.empty()) return Invalid("SamplingRuleUpdate: give RuleName or RuleARN");
  std::lock_guard lock(mutex_);
  RETURN_IF_NOT_OK(RefreshLocked());
  const SamplingRule* found = FindRuleLocked(name);
  if (!found) return absl::NotFoundError(StrCat("sampling rule '", name, "' does not exist"));
  SamplingRule rule = *found;
  Json fields = update;
  fields.erase("RuleName");
  fields.erase("RuleARN");
  if (rule.name == kDefaultRule) {
    for (const char* locked : {"Priority", "ServiceName", "ServiceType", "Host", "HTTPMethod", "URLPath", "ResourceARN"}) {
      if (fields.contains(locked)) return Invalid(StrCat("the Default rule's ", locked, " cannot change; only FixedRate and ReservoirSize"));
    }
  }
  RuleReader reader(fields);
  RETURN_IF_NOT_OK(reader.All(rule, false));
  SamplingRule previous = *found;
  rule.modified_at = static_cast<double>(UnixNanosNow()) / 1e9;
  for (SamplingRule& r : rules_) {
    if (r.name == rule.name) r = rule;
  }
  double previous_modification = last_rule_modification_;
  last_rule_modification_ = rule.modified_at;
  if (absl::Status saved = Save(); !saved.ok()) {
    for (SamplingRule& r : rules_) {
      if (r.name == rule.name) r = previous;
    }
    last_rule_modification_ = previous_modification;
    return saved;
  }
  return rule;
}

absl::StatusOr<SamplingRule> XrayConfigStore::DeleteRule(std::string_view name_or_arn) {
  std::lock_guard lock(mutex_);
  RETURN_IF_NOT_OK(RefreshLocked());
  const SamplingRule* found = FindRuleLocked(name_or_arn);
  if (!found) return absl::NotFoundError(StrCat("sampling rule '", name_or_arn, "' does not exist"));
  if (found->name == kDefaultRule) return Invalid("the Default sampling rule cannot be deleted; update it instead");
  SamplingRule rule = *found;
  std::vector<SamplingRule> previous = rules_;
  std::erase_if(rules_, [&](const SamplingRule& r) { return r.name == rule.name; });
  double previous_modification = last_rule_modification_;
  last_rule_modification_ = static_cast<double>(UnixNanosNow()) / 1e9;
  if (absl::Status saved = Save(); !saved.ok()) {
    rules_ = std::move(previous);
    last_rule_modification_ = previous_modification;
    return saved;
  }
  return rule;
}

std::vector<SamplingRule> XrayConfigStore::Rules() const {
  std::lock_guard lock(mutex_);
  RefreshForReadLocked();
  std::vector<SamplingRule> rules = rules_;
  std::sort(rules.begin(), rules.end(), [](const SamplingRule& a, const SamplingRule& b) {
    return std::tie(a.priority, a.name) < std::tie(b.priority, b.name);
  });
  return rules;
}

double XrayConfigStore::LastRuleModification() const {
  std::lock_guard lock(mutex_);
  RefreshForReadLocked();
  return last_rule_modification_;
}

const Group* XrayConfigStore::FindGroupLocked(std::string_view name_or_arn) const {
  for (const Group& g : groups_) {
    if (MatchesNameOrArn(name_or_arn, g.name, g.Arn())) return &g;
  }
  return nullptr;
}

absl::StatusOr<Group> XrayConfigStore::CreateGroup(const Group& input) {
  if (input.name.empty() || input.name.size() > 32) return Invalid("GroupName: 1 to 32 characters");
  for (char c : input.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' && c != '#') {
      return Invalid("GroupName: letters, digits, '_', '-', '.' and '#' only");
    }
  }
  if (input.name == kDefaultGroup) return Invalid("the Default group exists already");
  std::lock_guard lock(mutex_);
  RETURN_IF_NOT_OK(RefreshLocked());
  if (FindGroupLocked(input.name)) return absl::AlreadyExistsError(StrCat("group '", input.name, "' already exists"));
  if (groups_.size() >= kMaxGroups) return absl::FailedPreconditionError(StrCat("at most ", kMaxGroups, " groups"));
  Group group = input;
  group.id = NewGroupId();
  groups_.push_back(group);
  if (absl::Status saved = Save(); !saved.ok()) {
    groups_.pop_back();
    return saved;
  }
  return group;
}

absl::StatusOr<Group> XrayConfigStore::UpdateGroup(std::string_view name_or_arn, const std::optional<std::string>& filter,
                                                   const std::optional<bool>& insights,
                                                   const std::optional<bool>& notifications) {
  std::lock_guard lock(mutex_);
  RETURN_IF_NOT_OK(RefreshLocked());
  const Group* found = FindGroupLocked(name_or_arn);
  if (!found) return absl::NotFoundError(StrCat("group '", name_or_arn, "' does not exist"));
  std::vector<Group> previous = groups_;
  Group& group = const_cast<Group&>(*found);
  if (filter) group.filter_expression = *filter;
  if (insights) group.insights_enabled = *insights;
  if (notifications) group.notifications_enabled = *notifications;
  Group updated = group;
  if (absl::Status saved = Save(); !saved.ok()) {
    groups_ = std::move(previous);
    return saved;
  }
  return updated;
}

absl::Status XrayConfigStore::DeleteGroup(std::string_view name_or_arn) {
  std::lock_guard lock(mutex_);
  RETURN_IF_NOT_OK(RefreshLocked());
  const Group* found = FindGroupLocked(name_or_arn);
  if (!found) return absl::NotFoundError(StrCat("group '", name_or_arn, "' does not exist"));
  std::vector<Group> previous = groups_;
  std::string name = found->name;
  std::erase_if(groups_, [&](const Group& g) { return g.name == name; });
  if (absl::Status saved = Save(); !saved.ok()) {
    groups_ = std::move(previous);
    return saved;
  }
  return absl::OkStatus();
}

std::optional<Group> XrayConfigStore::FindGroup(std::string_view name_or_arn) const {
  if (name_or_arn == kDefaultGroup || name_or_arn == StrCat(kArnPrefix, "group/Default")) {
    Group group;
    group.name = kDefaultGroup;
    return group;
  }
  std::lock_guard lock(mutex_);
  RefreshForReadLocked();
  const Group* found = FindGroupLocked(name_or_arn);
  if (!found) return std::nullopt;
  return *found;
}

std::vector<Group> XrayConfigStore::Groups() const {
  Group default_group;
  default_group.name = kDefaultGroup;
  std::vector<Group> out = {default_group};
  std::lock_guard lock(mutex_);
  RefreshForReadLocked();
  std::vector<Group> sorted = groups_;
  std::sort(sorted.begin(), sorted.end(), [](const Group& a, const Group& b) { return a.name < b.name; });
  out.insert(out.end(), sorted.begin(), sorted.end());
  return out;
}

}  // namespace waggle::xray
