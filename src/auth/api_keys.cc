#include "auth/api_keys.h"

#include "common/strings.h"

namespace waggle::auth {
namespace {

// Compares without early exit; the length is not secret (keys have public formats).
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

}  // namespace

absl::StatusOr<ApiKey> ParseApiKeyFlag(std::string_view text) {
  auto parse_scope = [](std::string_view scope) -> std::optional<KeyScope> {
    if (scope == "ingest") return KeyScope::kIngest;
    if (scope == "query") return KeyScope::kQuery;
    if (scope == "all") return KeyScope::kAll;
    return std::nullopt;
  };
  ApiKey key;
  std::string_view secret = text;
  size_t colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    std::string_view last = text.substr(colon + 1);
    secret = text.substr(0, colon);
    if (auto scope = parse_scope(last)) {
      if (size_t before = secret.rfind(':'); before != std::string_view::npos && parse_scope(secret.substr(before + 1))) {
        return absl::InvalidArgumentError(StrCat("--api-key: a team may not be named '", last, "' (a scope's name)"));
      }
      key.scope = *scope;
    } else if (size_t before = secret.rfind(':'); before != std::string_view::npos && parse_scope(secret.substr(before + 1))) {
      // KEY:SCOPE:TEAM
      if (!IsValidTeamName(last)) {
        return absl::InvalidArgumentError(StrCat("--api-key: team '", last.substr(0, 64),
                                                 "' is not a valid name: 1-64 letters, digits, '_' or '-'"));
      }
      key.scope = *parse_scope(secret.substr(before + 1));
      key.team = std::string(last);
      secret = secret.substr(0, before);
    } else {
      return absl::InvalidArgumentError(StrCat("--api-key: unknown scope '", last.substr(0, 64),
                                               "'; use KEY, KEY:SCOPE or KEY:SCOPE:TEAM with SCOPE ingest, query or all"));
    }
  }
  secret = TrimAsciiWhitespace(secret);
  if (secret.empty()) return absl::InvalidArgumentError("--api-key: the key is empty");
  key.secret = std::string(secret);
  return key;
}

std::optional<std::string> ApiKeyRegistry::TeamOf(const std::optional<std::string_view>& presented) const {
  if (!presented || presented->empty()) return std::nullopt;
  const ApiKey* match = nullptr;
  for (const ApiKey& key : keys_) {  // no early exit: every key is compared
    if (ConstantTimeEquals(*presented, key.secret)) match = &key;
  }
  if (match == nullptr) return std::nullopt;
  return match->team;
}

absl::Status ApiKeyRegistry::Check(const std::optional<std::string_view>& presented,
                                   KeyScope needed) const {
  if (open_) return absl::OkStatus();
  if (!presented || presented->empty()) {
    return absl::UnauthenticatedError(
        "missing API key: send it in the x-honeycomb-team header "
        "(OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team=KEY)");
  }
  const ApiKey* match = nullptr;
  for (const ApiKey& key : keys_) {  // no early exit: every key is compared
    if (ConstantTimeEquals(*presented, key.secret)) match = &key;
  }
  if (match == nullptr) {
    return absl::UnauthenticatedError("unknown API key in x-honeycomb-team; check the key");
  }
  if ((static_cast<uint8_t>(match->scope) & static_cast<uint8_t>(needed)) != static_cast<uint8_t>(needed)) {
    switch (needed) {
      case KeyScope::kIngest: return absl::PermissionDeniedError("this API key may not send data (it has the query scope only)");
      case KeyScope::kQuery: return absl::PermissionDeniedError("this API key may not read data (it has the ingest scope only)");
      case KeyScope::kAll: break;
    }
    return absl::PermissionDeniedError("this change needs an API key with the all scope (KEY or KEY:all)");
  }
  return absl::OkStatus();
}

}  // namespace waggle::auth
