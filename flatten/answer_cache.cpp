// GCC warns that ThreadSanitizer does not model std::atomic_thread_fence.
// The sequence lock below orders with fences, but every word of a slot is
// itself atomic, so nothing TSan misses there can hide a data race; the
// cache's race test (tests/flatten) checks for torn entries directly.
#if defined(__SANITIZE_THREAD__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wtsan"  // before <atomic> is read
#endif

#include "flatten/answer_cache.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace flatns::flatten {

static_assert(std::is_trivially_copyable_v<CachedAnswer>);

void CachedAnswer::set_key(dns::NameView target, uint16_t type) {
  name_length = static_cast<uint8_t>(target.size());
  for (std::size_t i = 0; i < target.size(); ++i) name[i] = dns::ascii_lower(target[i]);
  qtype = type;
}

void CachedAnswer::set_failure(uint16_t ede, std::string_view text, uint64_t until_ms) {
  failed = true;
  failure_ede = ede;
  failure_until_ms = until_ms;
  const std::size_t n = text.size() < kMaxFailureText ? text.size() : kMaxFailureText;
  std::memcpy(failure_text, text.data(), n);
  failure_text_length = static_cast<uint8_t>(n);
}

uint64_t target_key_hash(dns::NameView target, uint16_t qtype) {
  uint64_t h = dns::name_hash(target) ^ (uint64_t{qtype} * 0x9E3779B97F4A7C15ull);
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 29;
  return h == 0 ? 1 : h;
}

FlattenCache::FlattenCache(std::size_t entries)
    : sets_(entries < kWays ? 1 : (entries + kWays - 1) / kWays),
      slots_(std::make_unique<Slot[]>(sets_ * kWays)),
      hands_(std::make_unique<uint8_t[]>(sets_)) {
  for (std::size_t i = 0; i < sets_ * kWays; ++i) {
    for (auto& w : slots_[i].words) w.store(0, std::memory_order_relaxed);
  }
}

// The reader side of the sequence lock (Boehm, "Can seqlocks get along with
// programming language memory models?", 2012): every word is read with a
// relaxed atomic load, an acquire fence orders them before the re-check.
bool FlattenCache::read_slot(const Slot& slot, CachedAnswer& out, uint32_t& sequence) const {
  uint64_t copy[kWords];
  for (int attempt = 0; attempt < 64; ++attempt) {
    const uint32_t before = slot.sequence.load(std::memory_order_acquire);
    if (before & 1) continue;
    for (std::size_t i = 0; i < kWords; ++i) copy[i] = slot.words[i].load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot.sequence.load(std::memory_order_relaxed) == before) {
      std::memcpy(static_cast<void*>(&out), copy, sizeof(CachedAnswer));
      sequence = before;
      return before != 0;
    }
  }
  return false;  // the writer keeps rewriting this slot: treat as a miss
}

bool FlattenCache::lookup(dns::NameView target, uint16_t qtype, CachedAnswer& out, CacheRef* ref) const {
  const uint64_t hash = target_key_hash(target, qtype);
  const std::size_t base = (hash % sets_) * kWays;
  for (std::size_t way = 0; way < kWays; ++way) {
    const Slot& slot = slots_[base + way];
    if (slot.key_hash.load(std::memory_order_relaxed) != hash) continue;
    uint32_t sequence = 0;
    if (!read_slot(slot, out, sequence)) continue;
    if (out.qtype != qtype || !dns::name_equal(out.target(), target)) continue;
    if (slot.referenced.load(std::memory_order_relaxed) == 0) {
      slot.referenced.store(1, std::memory_order_relaxed);
    }
    if (ref) *ref = {base + way, sequence};
    return true;
  }
  return false;
}

bool FlattenCache::claim_prefetch(const CacheRef& ref) const {
  if (ref.slot >= capacity()) return false;
  const Slot& slot = slots_[ref.slot];
  uint32_t claimed = slot.prefetch_claimed.load(std::memory_order_relaxed);
  if (claimed == ref.sequence + 1) return false;
  return slot.prefetch_claimed.compare_exchange_strong(claimed, ref.sequence + 1, std::memory_order_relaxed);
}

std::size_t FlattenCache::choose_slot(uint64_t hash, dns::NameView target, uint16_t qtype) {
  const std::size_t set = hash % sets_;
  const std::size_t base = set * kWays;
  std::size_t empty = SIZE_MAX;
  for (std::size_t way = 0; way < kWays; ++way) {
    const Slot& slot = slots_[base + way];
    const uint64_t h = slot.key_hash.load(std::memory_order_relaxed);
    if (h == 0) {
      if (empty == SIZE_MAX) empty = base + way;
      continue;
    }
    if (h != hash) continue;
    CachedAnswer existing;
    uint32_t sequence = 0;
    if (read_slot(slot, existing, sequence) && existing.qtype == qtype &&
        dns::name_equal(existing.target(), target)) {
      return base + way;
    }
  }
  if (empty != SIZE_MAX) return empty;
  // Second chance: skip (and clear) recently read entries, take the first
  // one nobody read since the hand last passed.
  uint8_t& hand = hands_[set];
  for (std::size_t step = 0; step < 2 * kWays; ++step) {
    Slot& slot = slots_[base + hand];
    const std::size_t chosen = base + hand;
    hand = static_cast<uint8_t>((hand + 1) % kWays);
    if (slot.referenced.load(std::memory_order_relaxed) == 0) return chosen;
    slot.referenced.store(0, std::memory_order_relaxed);
  }
  return base + hand;
}

void FlattenCache::claim_writer() {
#ifndef NDEBUG
  writer_.store(std::this_thread::get_id());
#endif
}

void FlattenCache::release_writer() {
#ifndef NDEBUG
  writer_.store(std::thread::id{});
#endif
}

// Debug builds: the calling thread takes the writer role when nobody holds
// it; a second thread writing aborts, naming the operation. The sequence
// lock is only correct with one writer, and a second one would tear entries
// silently.
void FlattenCache::check_writer([[maybe_unused]] const char* operation) {
#ifndef NDEBUG
  std::thread::id expected{};
  if (!writer_.compare_exchange_strong(expected, std::this_thread::get_id()) &&
      expected != std::this_thread::get_id()) {
    std::fprintf(stderr, "FlattenCache::%s: a second writer thread (the cache has one writer, the flatten service)\n",
                 operation);
    std::abort();
  }
#endif
}

void FlattenCache::store(const CachedAnswer& entry) {
  check_writer("store");
  const uint64_t hash = target_key_hash(entry.target(), entry.qtype);
  const std::size_t index = choose_slot(hash, entry.target(), entry.qtype);
  Slot& slot = slots_[index];
  uint64_t copy[kWords] = {};
  std::memcpy(copy, &entry, sizeof(CachedAnswer));
  const uint32_t sequence = slot.sequence.load(std::memory_order_relaxed);
  const bool was_empty = slot.key_hash.load(std::memory_order_relaxed) == 0;
  slot.sequence.store(sequence + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  slot.key_hash.store(hash, std::memory_order_relaxed);
  for (std::size_t i = 0; i < kWords; ++i) slot.words[i].store(copy[i], std::memory_order_relaxed);
  slot.referenced.store(0, std::memory_order_relaxed);
  slot.sequence.store(sequence + 2, std::memory_order_release);
  if (was_empty) size_.fetch_add(1, std::memory_order_relaxed);
}

void FlattenCache::for_each(const std::function<void(const CachedAnswer&)>& visit) const {
  CachedAnswer entry;
  for (std::size_t i = 0; i < capacity(); ++i) {
    const Slot& slot = slots_[i];
    if (slot.key_hash.load(std::memory_order_relaxed) == 0) continue;
    uint32_t sequence = 0;
    if (read_slot(slot, entry, sequence) && entry.name_length != 0) visit(entry);
  }
}

std::size_t FlattenCache::erase_below(dns::NameView name) {
  check_writer("erase_below");
  std::size_t erased = 0;
  CachedAnswer entry;
  for (std::size_t i = 0; i < capacity(); ++i) {
    Slot& slot = slots_[i];
    if (slot.key_hash.load(std::memory_order_relaxed) == 0) continue;
    uint32_t sequence = 0;
    if (!read_slot(slot, entry, sequence) || !dns::is_subdomain(entry.target(), name)) continue;
    slot.sequence.store(sequence + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    slot.key_hash.store(0, std::memory_order_relaxed);
    for (auto& w : slot.words) w.store(0, std::memory_order_relaxed);
    slot.sequence.store(sequence + 2, std::memory_order_release);
    size_.fetch_sub(1, std::memory_order_relaxed);
    ++erased;
  }
  return erased;
}

}  // namespace flatns::flatten
