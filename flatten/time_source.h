// Monotonic milliseconds for the flattening cache and the parked-query
// deadlines. Workers and the flatten service read the same clock
// (CLOCK_MONOTONIC, as resolver::UvClock does), so an entry written by the
// service thread and read by a worker agree on "now". Tests substitute a
// manual clock.
#pragma once

#include <cstdint>

namespace flatns::flatten {

class TimeSource {
 public:
  virtual ~TimeSource() = default;
  [[nodiscard]] virtual uint64_t now_ms() const = 0;
};

// CLOCK_MONOTONIC in milliseconds; one static instance, safe from any thread.
[[nodiscard]] const TimeSource& system_time();

}  // namespace flatns::flatten
