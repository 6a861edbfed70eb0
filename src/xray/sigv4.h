// AWS Signature Version 4 verification for the X-Ray API (the aws CLI and the AWS SDKs sign
// every request with service "xray"): the canonical request, the string to sign and the
// derived signing key as AWS documents them, the signature compared in constant time, and
// X-Amz-Date within 15 minutes of now. Errors carry AWS's error code and message.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/teams.h"

namespace waggle::xray {

struct AwsAccessKey {
  std::string id;
  std::string secret;
  std::string team{kDefaultTeam};
};

// "ACCESS_KEY_ID:SECRET" or "ACCESS_KEY_ID:SECRET:TEAM" (the --aws-access-key flag).
absl::StatusOr<AwsAccessKey> ParseAwsAccessKeyFlag(std::string_view text);

struct SigV4Request {
  std::string_view method;
  std::string_view target;  // path and query, as received
  std::function<std::optional<std::string>(std::string_view lowercase_name)> header;
  std::string_view body;
};

struct SigV4Failure {
  std::string code;  // MissingAuthenticationTokenException, UnrecognizedClientException, InvalidSignatureException
  std::string message;
};

// nullopt when the request is signed by one of `keys`.
std::optional<SigV4Failure> VerifySigV4(const SigV4Request& request, const std::vector<AwsAccessKey>& keys,
                                        int64_t now_unix_seconds);

// The access key id an Authorization header names (Credential=ID/...), unverified: it only
// says which keys to verify against. nullopt when the header has none.
std::optional<std::string_view> SigV4AccessKeyId(std::string_view authorization);

// The pieces, exposed for tests against AWS's published examples.
std::string Sha256Hex(std::string_view data);
std::string SigV4CanonicalRequest(const SigV4Request& request, const std::vector<std::string>& signed_headers,
                                  std::string_view payload_hash);
std::string SigV4Signature(std::string_view secret, std::string_view date, std::string_view region,
                           std::string_view service, std::string_view string_to_sign);

}  // namespace waggle::xray
