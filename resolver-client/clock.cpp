#include "resolver-client/clock.h"

#include <ctime>

namespace flatns::resolver {

// A timer's uv handle must outlive uv_close, so each Timer frees itself in
// the close callback; the clock only keeps a pointer while it is armed.
struct UvClock::Timer {
  uv_timer_t handle;
  UvClock* owner;
  TimerId id;
  std::function<void()> fn;
};

namespace {
void on_closed(uv_handle_t* h) { std::unique_ptr<UvClock::Timer>(static_cast<UvClock::Timer*>(h->data)); }
}  // namespace

UvClock::~UvClock() {
  for (auto& [id, t] : timers_) {
    (void)uv_timer_stop(&t->handle);  // always 0: it only unlinks the timer
    uv_close(reinterpret_cast<uv_handle_t*>(&t->handle), on_closed);
  }
}

uint64_t UvClock::now_ms() const {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

int64_t UvClock::wall_seconds() const { return static_cast<int64_t>(std::time(nullptr)); }

TimerId UvClock::start_timer(uint64_t delay_ms, std::function<void()> fn) {
  auto owned = std::make_unique<Timer>(Timer{{}, this, next_id_++, std::move(fn)});
  // libuv documents uv_timer_init as unable to fail; if it does, the handle
  // was never opened and is freed here.
  if (uv_timer_init(loop_, &owned->handle) != 0) return kNoTimer;
  Timer* t = owned.release();  // owned again by on_closed
  t->handle.data = t;
  timers_[t->id] = t;
  uv_update_time(loop_);
  auto on_fired = [](uv_timer_t* h) {
    auto* timer = static_cast<Timer*>(h->data);
    auto fn = std::move(timer->fn);
    timer->owner->release(timer->id);
    fn();
  };
  if (uv_timer_start(&t->handle, on_fired, delay_ms, 0) != 0) {
    release(t->id);
    return kNoTimer;
  }
  return t->id;
}

void UvClock::release(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  Timer* t = it->second;
  timers_.erase(it);
  (void)uv_timer_stop(&t->handle);  // always 0: it only unlinks the timer
  uv_close(reinterpret_cast<uv_handle_t*>(&t->handle), on_closed);
}

void UvClock::cancel_timer(TimerId id) { release(id); }

}  // namespace flatns::resolver
