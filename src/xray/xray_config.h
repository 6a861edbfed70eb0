// X-Ray's configuration objects: sampling rules (with the undeletable Default rule) and
// groups, with the X-Ray API's validation rules, kept in one JSON file in the data directory
// (rewritten atomically on each change, like markers). They are few and people make them, so
// they live in memory.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "store/document_store.h"

namespace waggle::xray {

inline constexpr char kArnPrefix[] = "arn:aws:xray:us-east-1:000000000000:";

struct SamplingRule {
  std::string name;
  std::string resource_arn = "*";
  int64_t priority = 0;
  double fixed_rate = 0;
  int64_t reservoir_size = 0;
  std::string service_name = "*";
  std::string service_type = "*";
  std::string host = "*";
  std::string http_method = "*";
  std::string url_path = "*";
  int64_t version = 1;
  std::map<std::string, std::string> attributes;
  double created_at = 0;  // epoch seconds
  double modified_at = 0;

  std::string Arn() const;
  // {"SamplingRule":{...},"CreatedAt","ModifiedAt"}: a SamplingRuleRecord.
  nlohmann::json ToRecordJson() const;
  // Does a request of this service/type/host/method/path match? `*`/`?` wildcards, any case.
  bool Matches(std::string_view service, std::string_view type, std::string_view host, std::string_view method,
               std::string_view path) const;
};

struct Group {
  std::string name;
  std::string id;  // the ARN's last part
  std::string filter_expression;
  bool insights_enabled = false;
  bool notifications_enabled = false;

  std::string Arn() const;
  nlohmann::json ToJson() const;
};

// `*` matches any run, `?` one character; ASCII case is ignored (as the SDKs match rules).
bool WildcardMatch(std::string_view pattern, std::string_view text);

class XrayConfigStore {
 public:
  static constexpr size_t kMaxRules = 25;  // X-Ray's quota, Default not counted
  static constexpr size_t kMaxGroups = 25;

  static absl::StatusOr<std::unique_ptr<XrayConfigStore>> Open(const std::string& path);
  // A shared document (ClickHouse) is reloaded when another node changed it, before each
  // answer or change; if it cannot be read, answers use the last copy and changes fail.
  static absl::StatusOr<std::unique_ptr<XrayConfigStore>> Open(std::unique_ptr<store::DocumentStore> document);

  // Rules are validated as the X-Ray API does; errors say which field and why.
  absl::StatusOr<SamplingRule> CreateRule(const nlohmann::json& rule);
  absl::StatusOr<SamplingRule> UpdateRule(const nlohmann::json& update);  // SamplingRuleUpdate
  absl::StatusOr<SamplingRule> DeleteRule(std::string_view name_or_arn);
  std::vector<SamplingRule> Rules() const;  // by (Priority, RuleName)
  double LastRuleModification() const;

  // `validate_filter` checks a filter expression (the parser lives above this store).
  absl::StatusOr<Group> CreateGroup(const Group& group);
  absl::StatusOr<Group> UpdateGroup(std::string_view name_or_arn, const std::optional<std::string>& filter,
                                    const std::optional<bool>& insights, const std::optional<bool>& notifications);
  absl::Status DeleteGroup(std::string_view name_or_arn);
  std::optional<Group> FindGroup(std::string_view name_or_arn) const;
  std::vector<Group> Groups() const;  // Default first, then by name

 private:
  explicit XrayConfigStore(std::unique_ptr<store::DocumentStore> document) : document_(std::move(document)) {}
  absl::Status Parse(const std::string& text) const;  // callers hold mutex_ (or own the store alone)
  absl::Status Load(const nlohmann::json& doc) const;
  absl::Status Save();  // callers hold mutex_
  absl::Status RefreshLocked() const;  // reloads a shared document another node changed
  void RefreshForReadLocked() const;   // ... or keeps the last copy, with a warning
  const SamplingRule* FindRuleLocked(std::string_view name_or_arn) const;
  const Group* FindGroupLocked(std::string_view name_or_arn) const;

  const std::unique_ptr<store::DocumentStore> document_;
  mutable std::mutex mutex_;
  // The document as last read or written (mutable: reads reload a shared one), guarded by mutex_.
  mutable int64_t version_ = 0;
  mutable std::vector<SamplingRule> rules_;  // Default included
  mutable std::vector<Group> groups_;        // the Default group is implicit
  mutable double last_rule_modification_ = 0;
};

}  // namespace waggle::xray
