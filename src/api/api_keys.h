// API keys and their scopes. A key sent in x-honeycomb-team is compared with every
// configured key in constant time, so response timing reveals nothing about key contents.
// With no key configured Waggle runs open (loopback only; see Server).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace waggle::api {

enum class KeyScope : uint8_t { kIngest = 1, kQuery = 2, kAll = 3 };

struct ApiKey {
  std::string secret;
  KeyScope scope = KeyScope::kAll;
};

// "KEY" (scope all) or "KEY:ingest" / "KEY:query" / "KEY:all".
absl::StatusOr<ApiKey> ParseApiKeyFlag(std::string_view text);

class ApiKeyRegistry {
 public:
  explicit ApiKeyRegistry(std::vector<ApiKey> keys) : keys_(std::move(keys)) {}

  bool open() const { return keys_.empty(); }

  // OK when `presented` (the header value; nullopt if absent) may do `needed`.
  // kUnauthenticated for a missing or unknown key, kPermissionDenied for the wrong scope.
  absl::Status Check(const std::optional<std::string_view>& presented, KeyScope needed) const;

 private:
  const std::vector<ApiKey> keys_;
};

}  // namespace waggle::api
