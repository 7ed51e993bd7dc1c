// The worker <-> flatten service hand-over queue (flatten/spsc_ring.h) with a
// real producer and consumer thread: every item arrives once, in order, and
// a full ring refuses instead of overwriting. Run under ThreadSanitizer by
// scripts/test (build-tsan).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "flatten/spsc_ring.h"

using flatns::flatten::SpscRing;

TEST_CASE("spsc ring: a producer and a consumer thread hand over every item in order", "[threads]") {
  SpscRing<uint64_t> ring(8);  // small, so the producer often finds it full
  constexpr uint64_t kItems = 50000;
  std::atomic<uint64_t> refused{0};
  std::thread producer([&] {
    for (uint64_t i = 1; i <= kItems;) {
      if (ring.push(i)) {
        ++i;
      } else {
        refused.fetch_add(1, std::memory_order_relaxed);
        std::this_thread::yield();
      }
    }
  });
  uint64_t expected = 1, out_of_order = 0, item = 0;
  while (expected <= kItems) {
    if (!ring.pop(item)) {
      std::this_thread::yield();
      continue;
    }
    out_of_order += item != expected ? 1 : 0;
    expected = item + 1;
  }
  producer.join();
  CHECK(out_of_order == 0);
  CHECK_FALSE(ring.pop(item));  // nothing left, nothing duplicated
}
