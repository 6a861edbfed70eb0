// The wall clock as unix time, where Waggle needs "now" (relative query ranges, event times
// sent without one, marker timestamps).
#pragma once

#include <chrono>
#include <cstdint>

namespace waggle {

inline int64_t UnixNanosNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t UnixSecondsNow() { return UnixNanosNow() / 1000000000; }

}  // namespace waggle
