// host:port listen addresses from flags, and whether they stay on this machine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace waggle::api {

struct ListenAddress {
  std::string host;  // "127.0.0.1", "::1", "0.0.0.0", "localhost", ...
  uint16_t port = 0;

  std::string ToString() const;
  // True only for addresses reachable from this machine alone (127.0.0.0/8, ::1, localhost).
  bool IsLoopback() const;
};

// "host:port" or "[v6]:port"; port 0 asks the OS for a free port.
absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text, std::string_view flag);

}  // namespace waggle::api
