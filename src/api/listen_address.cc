#include "api/listen_address.h"

#include <charconv>

#include "common/strings.h"

namespace waggle::api {

std::string ListenAddress::ToString() const {
  if (host.find(':') != std::string::npos) return StrCat("[", host, "]:", port);
  return StrCat(host, ":", port);
}

bool ListenAddress::IsLoopback() const {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text, std::string_view flag) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        StrCat(flag, " '", text, "': ", why, " (expected host:port, e.g. 127.0.0.1:4318)"));
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("missing port");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad("IPv6 hosts go in brackets, e.g. [::1]:4318");
  }
  if (host.empty()) return bad("missing host");
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  return ListenAddress{std::string(host), static_cast<uint16_t>(port)};
}

}  // namespace waggle::api
