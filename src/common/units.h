// Durations ("7d", "12h", "30m", "10s", "250ms") and sizes ("50GiB", "64MiB", "512KiB",
// "1GB", "4096") as users write them in flags and config files.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/strings.h"

namespace waggle {

namespace units_internal {

// Splits "12h" into 12 and "h"; false without a leading whole number.
inline bool SplitNumber(std::string_view text, uint64_t* number, std::string_view* unit) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0 || i > 18) return false;
  *number = std::stoull(std::string(text.substr(0, i)));
  *unit = TrimAsciiWhitespace(text.substr(i));
  return true;
}

}  // namespace units_internal

inline absl::StatusOr<std::chrono::nanoseconds> ParseDuration(std::string_view text, std::string_view flag) {
  uint64_t n = 0;
  std::string_view unit;
  text = TrimAsciiWhitespace(text);
  if (units_internal::SplitNumber(text, &n, &unit)) {
    using namespace std::chrono;
    const auto count = static_cast<int64_t>(n);
    if (unit == "ms") return duration_cast<nanoseconds>(milliseconds(count));
    if (unit == "s") return duration_cast<nanoseconds>(seconds(count));
    if (unit == "m") return duration_cast<nanoseconds>(minutes(count));
    if (unit == "h") return duration_cast<nanoseconds>(hours(count));
    if (unit == "d") return duration_cast<nanoseconds>(hours(24 * count));
    if (unit == "w") return duration_cast<nanoseconds>(hours(24 * 7 * count));
  }
  return absl::InvalidArgumentError(StrCat(flag, " '", text,
                                           "': expected a whole number and a unit, e.g. 7d, 12h, 30m, 10s, 250ms"));
}

inline absl::StatusOr<uint64_t> ParseByteSize(std::string_view text, std::string_view flag) {
  uint64_t n = 0;
  std::string_view unit;
  text = TrimAsciiWhitespace(text);
  if (units_internal::SplitNumber(text, &n, &unit)) {
    struct Unit {
      std::string_view name;
      uint64_t bytes;
    };
    static constexpr Unit kUnits[] = {{"", 1},          {"B", 1},           {"KiB", 1ull << 10}, {"MiB", 1ull << 20},
                                      {"GiB", 1ull << 30}, {"TiB", 1ull << 40}, {"KB", 1000},       {"MB", 1000000},
                                      {"GB", 1000000000}, {"TB", 1000000000000}};
    for (const Unit& u : kUnits) {
      if (unit == u.name && n <= UINT64_MAX / u.bytes) return n * u.bytes;
    }
  }
  return absl::InvalidArgumentError(StrCat(flag, " '", text,
                                           "': expected a size such as 50GiB, 512MiB, 1GB or a number of bytes"));
}

}  // namespace waggle
