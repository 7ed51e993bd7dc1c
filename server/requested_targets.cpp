#include "server/requested_targets.h"

namespace flatns::server {

RequestedTargets::RequestedTargets(std::size_t capacity) {
  std::size_t n = 16;
  while (n < capacity) n <<= 1;
  slots_.resize(n);
  mask_ = n - 1;
}

bool RequestedTargets::outstanding(uint64_t key_hash, uint64_t now_ms, uint64_t window_ms) const {
  for (std::size_t i = 0; i < kProbes; ++i) {
    const Slot& s = slots_[(key_hash + i) & mask_];
    if (s.key_hash == 0) return false;
    if (s.key_hash == key_hash) return s.asked_ms != 0 && now_ms - s.asked_ms < window_ms;
  }
  return false;
}

void RequestedTargets::asked(uint64_t key_hash, uint64_t now_ms, uint64_t window_ms) {
  Slot* reusable = nullptr;
  for (std::size_t i = 0; i < kProbes; ++i) {
    Slot& s = slots_[(key_hash + i) & mask_];
    if (s.key_hash == key_hash || s.key_hash == 0) {
      s = {key_hash, now_ms == 0 ? 1 : now_ms};
      return;
    }
    const bool idle = s.asked_ms == 0 || now_ms - s.asked_ms >= window_ms;
    if (idle && !reusable) reusable = &s;
  }
  // Reusing an idle slot keeps every probe chain unbroken: slots never
  // become empty again, a hash seen further along is still found first.
  if (reusable) *reusable = {key_hash, now_ms == 0 ? 1 : now_ms};
}

void RequestedTargets::completed(uint64_t key_hash) {
  for (std::size_t i = 0; i < kProbes; ++i) {
    Slot& s = slots_[(key_hash + i) & mask_];
    if (s.key_hash == 0) return;
    if (s.key_hash == key_hash) {
      s.asked_ms = 0;
      return;
    }
  }
}

void RequestedTargets::clear() {
  for (Slot& s : slots_) s.asked_ms = 0;
}

}  // namespace flatns::server
