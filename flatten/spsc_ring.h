// A bounded single-producer single-consumer queue without locks: the
// hand-over between a worker thread and the flatten service thread in both
// directions (requests to resolve a target, completions back). Capacity is
// fixed at construction (rounded up to a power of two); push fails when the
// queue is full, so nothing grows on the packet path.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace flatns::flatten {

template <typename T>
class SpscRing {
 public:
  explicit SpscRing(std::size_t capacity) {
    std::size_t n = 1;
    while (n < capacity) n <<= 1;
    mask_ = n - 1;
    items_ = std::make_unique<T[]>(n);
  }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  [[nodiscard]] std::size_t capacity() const { return mask_ + 1; }

  // Producer thread only. False when full.
  [[nodiscard]] bool push(const T& item) {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_.load(std::memory_order_acquire) > mask_) return false;
    items_[tail & mask_] = item;
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer thread only. False when empty.
  [[nodiscard]] bool pop(T& out) {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_.load(std::memory_order_acquire)) return false;
    out = items_[head & mask_];
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

 private:
  std::size_t mask_ = 0;
  std::unique_ptr<T[]> items_;
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) std::atomic<std::size_t> tail_{0};
};

}  // namespace flatns::flatten
