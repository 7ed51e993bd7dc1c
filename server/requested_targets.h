// Which targets one worker has already asked the flatten service for and
// not yet heard back about, so that a burst of queries for one uncached
// target sends one request, not one per query (the service coalesces too,
// but its queue from each worker is bounded). Fixed size, no allocation
// after construction: a small open-addressing table of key hashes with the
// time each was asked; a completion or the deadline passing forgets it.
// When no slot is free within a few probes the target is simply not
// remembered, which costs one more request, never an answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace flatns::server {

class RequestedTargets {
 public:
  explicit RequestedTargets(std::size_t capacity);

  // True when `key_hash` was asked for less than `window_ms` ago and has not completed.
  [[nodiscard]] bool outstanding(uint64_t key_hash, uint64_t now_ms, uint64_t window_ms) const;
  void asked(uint64_t key_hash, uint64_t now_ms, uint64_t window_ms);
  void completed(uint64_t key_hash);
  void clear();

 private:
  static constexpr std::size_t kProbes = 16;
  struct Slot {
    uint64_t key_hash = 0;  // 0: never used
    uint64_t asked_ms = 0;  // 0: not outstanding
  };
  std::vector<Slot> slots_;
  std::size_t mask_;
};

}  // namespace flatns::server
