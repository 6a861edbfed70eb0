#include "ingest/dataset_rules.h"

#include "common/strings.h"
#include "absl/strings/match.h"

namespace waggle::ingest {

bool IsClassicApiKey(std::string_view key) {
  auto all_of = [](std::string_view s, auto pred) {
    for (char c : s) {
      if (!pred(c)) return false;
    }
    return true;
  };
  auto lower_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  auto lower_alnum = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); };
  if (key.size() == 32) return all_of(key, lower_hex);
  if (key.size() == 64) {
    return key[0] == 'h' && key[1] == 'c' && key[2] >= 'a' && key[2] <= 'z' &&
           key.substr(3, 3) == "ic_" && all_of(key.substr(6), lower_alnum);
  }
  return false;
}

std::string DatasetFromServiceName(std::string_view service_name) {
  std::string_view trimmed = TrimAsciiWhitespace(service_name);
  if (trimmed.empty() || trimmed.starts_with(kUnknownServiceDataset)) {
    return std::string(kUnknownServiceDataset);
  }
  return std::string(trimmed.data(), trimmed.size());
}

}  // namespace waggle::ingest
