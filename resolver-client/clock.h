// Time for the resolver client: a monotonic millisecond clock for timeouts,
// RTTs, deadlines and cache expiry, wall-clock seconds for RRSIG validity
// windows, and one-shot timers. Behind an interface so unit tests drive the
// resolver on virtual time (as Unbound's testbound does); UvClock is the
// libuv implementation used by the server and the CLI.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

namespace flatns::resolver {

using TimerId = uint64_t;
inline constexpr TimerId kNoTimer = 0;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic milliseconds (arbitrary origin).
  [[nodiscard]] virtual uint64_t now_ms() const = 0;
  // Seconds since the Unix epoch.
  [[nodiscard]] virtual int64_t wall_seconds() const = 0;
  // Runs `fn` once, `delay_ms` from now, unless cancelled first. kNoTimer
  // when no timer could be armed (libuv documents that it cannot happen):
  // `fn` never runs.
  virtual TimerId start_timer(uint64_t delay_ms, std::function<void()> fn) = 0;
  // Cancelling an unknown or already fired timer does nothing.
  virtual void cancel_timer(TimerId id) = 0;
};

// libuv timers on one loop; use it only from that loop's thread.
class UvClock final : public Clock {
 public:
  explicit UvClock(uv_loop_t* loop) : loop_(loop) {}
  ~UvClock() override;
  UvClock(const UvClock&) = delete;
  UvClock& operator=(const UvClock&) = delete;

  uint64_t now_ms() const override;
  int64_t wall_seconds() const override;
  TimerId start_timer(uint64_t delay_ms, std::function<void()> fn) override;
  void cancel_timer(TimerId id) override;

 struct Timer;  // one armed libuv timer (defined in clock.cpp)

 private:
  void release(TimerId id);
  uv_loop_t* loop_;
  TimerId next_id_ = 1;
  std::unordered_map<TimerId, Timer*> timers_;
};

}  // namespace flatns::resolver
