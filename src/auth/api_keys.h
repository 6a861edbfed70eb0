// API keys, their scopes and their teams. A key sent in x-honeycomb-team is compared with
// every configured key in constant time, so response timing reveals nothing about key
// contents. With no key configured Waggle runs open (loopback only; see Server).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/teams.h"

namespace waggle::auth {

enum class KeyScope : uint8_t { kIngest = 1, kQuery = 2, kAll = 3 };

struct ApiKey {
  std::string secret;
  KeyScope scope = KeyScope::kAll;
  std::string team{kDefaultTeam};
};

// "KEY" (scope all), "KEY:SCOPE" (ingest, query or all) or "KEY:SCOPE:TEAM".
absl::StatusOr<ApiKey> ParseApiKeyFlag(std::string_view text);

class ApiKeyRegistry {
 public:
  // Open (everything allowed) when `keys` is empty.
  explicit ApiKeyRegistry(std::vector<ApiKey> keys) : keys_(std::move(keys)), open_(keys_.empty()) {}
  // One team's keys: closed whenever the server has keys at all, even if this team has none.
  ApiKeyRegistry(std::vector<ApiKey> keys, bool open) : keys_(std::move(keys)), open_(open) {}

  bool open() const { return open_; }

  // The team of `presented`, nullopt for a missing or unknown key. Every key is compared.
  std::optional<std::string> TeamOf(const std::optional<std::string_view>& presented) const;

  // OK when `presented` (the header value; nullopt if absent) may do `needed`.
  // kUnauthenticated for a missing or unknown key, kPermissionDenied for the wrong scope.
  absl::Status Check(const std::optional<std::string_view>& presented, KeyScope needed) const;

 private:
  const std::vector<ApiKey> keys_;
  const bool open_;
};

}  // namespace waggle::auth
