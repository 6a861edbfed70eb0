// SigV4 verification (and the key id lookup that routes a request to a team) on hostile
// headers: the input's lines are the Authorization header,
// X-Amz-Date, x-amz-content-sha256 (if any), the request target, then the body.
#include <map>
#include <string>

#include "xray/sigv4.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string lines[4];
  for (std::string& line : lines) {
    size_t newline = input.find('\n');
    line = std::string(input.substr(0, newline));
    input = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  }
  std::map<std::string, std::string, std::less<>> headers = {
      {"authorization", lines[0]}, {"x-amz-date", lines[1]}, {"host", "127.0.0.1:4318"}, {"content-type", "application/json"}};
  if (!lines[2].empty()) headers["x-amz-content-sha256"] = lines[2];
  waggle::xray::SigV4Request request{"POST", lines[3].empty() ? std::string_view("/TraceSummaries") : lines[3],
                                     [&](std::string_view name) -> std::optional<std::string> {
                                       auto it = headers.find(name);
                                       if (it == headers.end()) return std::nullopt;
                                       return it->second;
                                     },
                                     input};
  // The server reads the key id first, to find the key's team.
  if (auto id = waggle::xray::SigV4AccessKeyId(lines[0]); id && id->empty()) std::abort();
  (void)waggle::xray::VerifySigV4(request, {{"AKIDEXAMPLE", "secret"}}, 1795485485);
  return 0;
}
