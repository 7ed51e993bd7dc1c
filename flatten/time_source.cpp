#include "flatten/time_source.h"

#include <time.h>

namespace flatns::flatten {

namespace {

class MonotonicTime final : public TimeSource {
 public:
  uint64_t now_ms() const override {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
  }
};

}  // namespace

const TimeSource& system_time() {
  static const MonotonicTime instance;
  return instance;
}

}  // namespace flatns::flatten
