// A bounded single-producer single-consumer ring of variable-size entries,
// packed one after the other in one buffer (the dnstap workers' rings,
// server/dnstap_log.h): a query and its response take the bytes they need,
// so a worker and the writer touch a few cache lines and pages per entry and
// the ring stays small enough to stay in cache. No lock, no allocation, no
// system call; the producer learns when its entry made the ring half full
// (to wake the consumer once per half ring, never per entry).
//
// Each entry starts with a 32-bit size (the whole entry, a multiple of
// kAlign); an entry that would not fit before the end of the buffer is
// preceded by a skip marker that covers the rest of it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

namespace flatns::server {

class ByteRing {
 public:
  static constexpr std::size_t kAlign = 8;
  static constexpr uint32_t kSkip = 0x80000000u;  // flag in the size word: no entry, skip `size` bytes

  static constexpr std::size_t rounded(std::size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }

  // capacity: rounded up to a power of two; an entry can take up to half of it.
  explicit ByteRing(std::size_t capacity) {
    std::size_t n = 64;
    while (n < capacity) n <<= 1;
    mask_ = n - 1;
    buffer_ = std::make_unique<uint64_t[]>(n / sizeof(uint64_t));  // 8-aligned, zeroed
  }
  [[nodiscard]] std::size_t capacity() const { return mask_ + 1; }
  [[nodiscard]] std::size_t max_entry() const { return capacity() / 2; }

  // Producer: room for `size` bytes (rounded(size) <= max_entry()), its first
  // four bytes the size word commit() writes; null when the ring is full.
  uint8_t* reserve(std::size_t size) {
    size = rounded(size);
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    const std::size_t offset = tail & mask_;
    pad_ = offset + size > capacity() ? capacity() - offset : 0;
    if (tail + pad_ + size - head_.load(std::memory_order_acquire) > capacity()) return nullptr;
    size_ = size;
    return bytes() + ((tail + pad_) & mask_);
  }
  // Producer: publishes the entry reserve() gave. True when it made the ring
  // (at least) half full, having been less than half full before.
  bool commit() {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (pad_ != 0) put_size(tail & mask_, kSkip | static_cast<uint32_t>(pad_));
    put_size((tail + pad_) & mask_, static_cast<uint32_t>(size_));
    const std::size_t next = tail + pad_ + size_;
    tail_.store(next, std::memory_order_release);
    const std::size_t head = head_.load(std::memory_order_relaxed);
    const std::size_t half = capacity() / 2;
    return next - head >= half && tail - head < half;
  }

  // Consumer: the next entry (its size word first) and its size, or null.
  const uint8_t* front(std::size_t& size) {
    std::size_t head = head_.load(std::memory_order_relaxed);
    while (head != tail_.load(std::memory_order_acquire)) {
      uint32_t word;
      std::memcpy(&word, bytes() + (head & mask_), sizeof word);
      if ((word & kSkip) == 0) {
        size = word;
        return bytes() + (head & mask_);
      }
      head += word & ~kSkip;
      head_.store(head, std::memory_order_release);
    }
    return nullptr;
  }
  void pop(std::size_t size) {
    head_.store(head_.load(std::memory_order_relaxed) + size, std::memory_order_release);
  }

 private:
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(buffer_.get()); }
  void put_size(std::size_t offset, uint32_t word) { std::memcpy(bytes() + offset, &word, sizeof word); }

  std::size_t mask_ = 0;  // these two never change after construction
  std::unique_ptr<uint64_t[]> buffer_;
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) std::atomic<std::size_t> tail_{0};
  std::size_t pad_ = 0, size_ = 0;  // the producer's reservation, on the producer's cache line
};

}  // namespace flatns::server
