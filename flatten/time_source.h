// Monotonic milliseconds for the flattening cache and the parked-query
// deadlines. Workers and the flatten service read the same clock
// (CLOCK_MONOTONIC, as resolver::UvClock does, shifted by kBeforeBootMs), so
// an entry written by the service thread and read by a worker agree on
// "now". Tests substitute a manual clock.
#pragma once

#include <cstdint>

namespace flatns::flatten {

// system_time() counts from this long before CLOCK_MONOTONIC's zero (about
// boot), so that an answer validated before a restart or a reboot (its age
// known from the cache file's wall-clock times, flatten/cache_file.h) still
// has a validation time on this clock. Far above flatten.stale_max_s's bound
// (7 days) plus any TTL worth keeping.
inline constexpr uint64_t kBeforeBootMs = uint64_t{400} * 86400 * 1000;

class TimeSource {
 public:
  virtual ~TimeSource() = default;
  [[nodiscard]] virtual uint64_t now_ms() const = 0;
};

// CLOCK_MONOTONIC in milliseconds plus kBeforeBootMs; one static instance,
// safe from any thread.
[[nodiscard]] const TimeSource& system_time();

// The wall clock (CLOCK_REALTIME) in milliseconds since the Unix epoch, for
// times that must survive a restart.
[[nodiscard]] uint64_t wall_clock_ms();

}  // namespace flatns::flatten
