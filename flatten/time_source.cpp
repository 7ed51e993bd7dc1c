#include "flatten/time_source.h"

#include <time.h>

namespace flatns::flatten {

namespace {

uint64_t clock_ms(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

class MonotonicTime final : public TimeSource {
 public:
  uint64_t now_ms() const override { return clock_ms(CLOCK_MONOTONIC) + kBeforeBootMs; }
};

}  // namespace

const TimeSource& system_time() {
  static const MonotonicTime instance;
  return instance;
}

uint64_t wall_clock_ms() { return clock_ms(CLOCK_REALTIME); }

}  // namespace flatns::flatten
