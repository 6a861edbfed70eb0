#include "xray/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>
#include <map>

#include "common/strings.h"
#include "model/ids.h"

// GCC 12 reports a false -Wrestrict in std::string appends here (GCC bug 105651).
#pragma GCC diagnostic ignored "-Wrestrict"

namespace waggle::xray {
namespace {

constexpr int64_t kMaxClockSkewSeconds = 15 * 60;

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

bool Unreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '~';
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (Unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
      out.push_back(kHex[static_cast<unsigned char>(c) & 15]);
    }
  }
  return out;
}

std::string UriDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto hex = model::HexDecode(s.substr(i + 1, 2));
      if (hex) {
        out += *hex;
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// Header values are trimmed and runs of spaces collapsed to one.
std::string CanonicalHeaderValue(std::string_view v) {
  v = TrimAsciiWhitespace(v);
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// 20261124T020805Z -> unix seconds, or -1.
int64_t ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return -1;
  std::tm tm{};
  auto num = [&](size_t at, size_t len) { return std::atoi(std::string(s.substr(at, len)).c_str()); };
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  return static_cast<int64_t>(timegm(&tm));
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

}  // namespace

absl::StatusOr<AwsAccessKey> ParseAwsAccessKeyFlag(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return absl::InvalidArgumentError("--aws-access-key: expected ACCESS_KEY_ID:SECRET_ACCESS_KEY");
  }
  AwsAccessKey key{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
  // AWS secret keys are base64-like and hold no ':', so a third field is a team.
  if (size_t team = key.secret.find(':'); team != std::string::npos) {
    std::string name = key.secret.substr(team + 1);
    key.secret.resize(team);
    if (key.secret.empty() || !IsValidTeamName(name)) {
      return absl::InvalidArgumentError(StrCat("--aws-access-key: expected ACCESS_KEY_ID:SECRET[:TEAM], team '",
                                               name.substr(0, 64), "' is not 1-64 letters, digits, '_' or '-'"));
    }
    key.team = std::move(name);
  }
  return key;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return model::HexEncode(std::string_view(reinterpret_cast<char*>(digest), sizeof digest));
}

std::string SigV4CanonicalRequest(const SigV4Request& request, const std::vector<std::string>& signed_headers,
                                  std::string_view payload_hash) {
  std::string_view target = request.target;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  // Services other than S3 encode the path's segments once more than the client sent them.
  std::string canonical_path = UriEncode(UriEncode(UriDecode(path), true), true);
  if (canonical_path.empty()) canonical_path = "/";
  std::vector<std::pair<std::string, std::string>> params;
  if (!query.empty()) {
    for (std::string_view pair : Split(query, '&')) {
      if (pair.empty()) continue;
      size_t eq = pair.find('=');
      std::string key = UriEncode(UriDecode(pair.substr(0, eq)), false);
      std::string value = eq == std::string_view::npos ? "" : UriEncode(UriDecode(pair.substr(eq + 1)), false);
      params.emplace_back(std::move(key), std::move(value));
    }
  }
  std::sort(params.begin(), params.end());
  std::string canonical_query;
  for (const auto& [k, v] : params) StrAppend(&canonical_query, canonical_query.empty() ? "" : "&", k, "=", v);
  std::string headers;
  std::string names;
  for (const std::string& name : signed_headers) {
    std::string value = CanonicalHeaderValue(request.header(name).value_or(""));
    headers.append(name).append(1, ':').append(value).append(1, '\n');
    StrAppend(&names, names.empty() ? "" : ";", name);
  }
  return StrCat(request.method, "\n", canonical_path, "\n", canonical_query, "\n", headers, "\n", names, "\n",
                payload_hash);
}

std::string SigV4Signature(std::string_view secret, std::string_view date, std::string_view region,
                           std::string_view service, std::string_view string_to_sign) {
  std::string key = Hmac(StrCat("AWS4", secret), date);
  key = Hmac(key, region);
  key = Hmac(key, service);
  key = Hmac(key, "aws4_request");
  return model::HexEncode(Hmac(key, string_to_sign));
}

std::optional<std::string_view> SigV4AccessKeyId(std::string_view authorization) {
  constexpr std::string_view kCredential = "Credential=";
  size_t at = authorization.find(kCredential);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = authorization.substr(at + kCredential.size());
  std::string_view id = rest.substr(0, rest.find_first_of("/, "));
  if (id.empty()) return std::nullopt;
  return id;
}

std::optional<SigV4Failure> VerifySigV4(const SigV4Request& request, const std::vector<AwsAccessKey>& keys,
                                        int64_t now_unix_seconds) {
  auto authorization = request.header("authorization");
  if (!authorization || authorization->empty()) {
    return SigV4Failure{"MissingAuthenticationTokenException",
                        "Missing Authentication Token: sign requests with AWS Signature Version 4 (the aws CLI and "
                        "SDKs do, given AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"};
  }
  constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256 ";
  if (!std::string_view(*authorization).starts_with(kAlgorithm)) {
    return SigV4Failure{"IncompleteSignatureException", "Authorization must use AWS4-HMAC-SHA256"};
  }
  std::map<std::string, std::string> parts;
  for (std::string_view part : Split(std::string_view(*authorization).substr(kAlgorithm.size()), ',')) {
    part = TrimAsciiWhitespace(part);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos) parts[std::string(part.substr(0, eq))] = std::string(part.substr(eq + 1));
  }
  if (!parts.contains("Credential") || !parts.contains("SignedHeaders") || !parts.contains("Signature")) {
    return SigV4Failure{"IncompleteSignatureException",
                        "Authorization must have Credential=, SignedHeaders= and Signature="};
  }
  std::vector<std::string_view> scope = Split(parts["Credential"], '/');
  if (scope.size() != 5 || scope[4] != "aws4_request") {
    return SigV4Failure{"IncompleteSignatureException", "Credential must be KEY/DATE/REGION/SERVICE/aws4_request"};
  }
  if (scope[3] != "xray") {
    return SigV4Failure{"InvalidSignatureException", StrCat("Credential should be scoped to service 'xray', not '", scope[3], "'")};
  }
  const AwsAccessKey* key = nullptr;
  for (const AwsAccessKey& k : keys) {
    // Key ids are public (they appear in every request); only the secret needs constant time.
    if (k.id == scope[0]) key = &k;
  }
  if (!key) {
    return SigV4Failure{"UnrecognizedClientException", "The security token included in the request is invalid: unknown access key id"};
  }
  std::optional<std::string> amz_date = request.header("x-amz-date");
  int64_t signed_at = amz_date ? ParseAmzDate(*amz_date) : -1;
  if (signed_at < 0) return SigV4Failure{"IncompleteSignatureException", "X-Amz-Date is missing or not yyyyMMddTHHmmssZ"};
  if (std::llabs(now_unix_seconds - signed_at) > kMaxClockSkewSeconds) {
    return SigV4Failure{"InvalidSignatureException",
                        StrCat("Signature expired: ", *amz_date, " is more than 15 minutes from the server's time")};
  }
  if (amz_date->substr(0, 8) != scope[1]) {
    return SigV4Failure{"InvalidSignatureException", "Credential date does not match X-Amz-Date"};
  }
  std::vector<std::string> signed_headers;
  for (std::string_view h : Split(parts["SignedHeaders"], ';')) signed_headers.push_back(AsciiLower(h));
  if (std::find(signed_headers.begin(), signed_headers.end(), "host") == signed_headers.end()) {
    return SigV4Failure{"IncompleteSignatureException", "SignedHeaders must include host"};
  }
  std::string payload_hash = Sha256Hex(request.body);
  if (auto declared = request.header("x-amz-content-sha256"); declared && *declared != "UNSIGNED-PAYLOAD") {
    if (*declared != payload_hash) {
      return SigV4Failure{"InvalidSignatureException", "x-amz-content-sha256 does not match the body"};
    }
  }
  std::string canonical = SigV4CanonicalRequest(request, signed_headers, payload_hash);
  std::string string_to_sign = StrCat("AWS4-HMAC-SHA256\n", *amz_date, "\n", scope[1], "/", scope[2], "/", scope[3],
                                      "/aws4_request\n", Sha256Hex(canonical));
  std::string expected = SigV4Signature(key->secret, scope[1], scope[2], scope[3], string_to_sign);
  const std::string& given = parts["Signature"];
  if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return SigV4Failure{"InvalidSignatureException",
                        "The request signature we calculated does not match the signature you provided. Check your "
                        "AWS Secret Access Key and signing method."};
  }
  return std::nullopt;
}

}  // namespace waggle::xray
