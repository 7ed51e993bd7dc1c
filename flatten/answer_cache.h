// The flattened-answer cache shared by every worker (DESIGN.md "The path of
// one query", step 5): for each (external target, A|AAAA) the last validated
// answer (addresses, NODATA or NXDOMAIN, its TTL and when it was validated)
// and the last failure (the RFC 8914 EDE code and EXTRA-TEXT naming zone,
// server and reason), which is kept only briefly (RFC 9520 §3.2: a few
// seconds) so that a failing upstream is not asked again at packet rate.
//
// Readers (the worker threads, on the packet path) take no lock and allocate
// nothing: every slot is a sequence lock over inline storage. A reader copies
// the slot and retries when the writer changed it meanwhile. There is one
// writer, the flatten service thread; debug builds check it (store() from a
// second thread aborts). Capacity is fixed at construction;
// slots are grouped in sets of four ways and a full set evicts by the clock
// (second-chance) rule, so the cache never grows.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <thread>

#include "dns/name.h"

namespace flatns::flatten {

inline constexpr std::size_t kMaxCachedAddresses = 8;  // more are cut (the client retries none of them)
inline constexpr std::size_t kMaxFailureText = 200;

enum class AnswerKind : uint8_t { None, Addresses, NoData, NxDomain };

// One cache entry, trivially copyable: it is what a reader copies out.
struct CachedAnswer {
  // The key: the target (lowercased wire form) and the query type.
  uint8_t name_length = 0;
  uint8_t name[dns::kMaxNameLength];
  uint16_t qtype = 0;

  // The last validated answer (kind None: there never was one).
  AnswerKind kind = AnswerKind::None;
  bool secure = false;  // secure, else insecure (nothing else is ever stored)
  uint8_t address_count = 0;
  uint8_t address_size = 0;  // 4 (A) or 16 (AAAA)
  uint8_t addresses[kMaxCachedAddresses][16];
  uint32_t ttl_s = 0;         // min over the chain and the final RRset
  uint64_t validated_ms = 0;  // monotonic time the answer was validated
  // The answer came with TTL 0 (ttl_s is 1 so that the queries waiting for
  // it get it): never answered stale nor written to the cache file.
  bool zero_ttl = false;

  // The last failure, answered until failure_until_ms.
  bool failed = false;
  uint16_t failure_ede = 0;
  uint8_t failure_text_length = 0;
  uint64_t failure_until_ms = 0;
  char failure_text[kMaxFailureText];

  [[nodiscard]] dns::NameView target() const { return {name, name_length}; }
  [[nodiscard]] std::string_view failure() const { return {failure_text, failure_text_length}; }
  [[nodiscard]] std::span<const uint8_t> address(std::size_t i) const { return {addresses[i], address_size}; }
  [[nodiscard]] uint64_t expires_ms() const { return validated_ms + uint64_t{ttl_s} * 1000; }
  [[nodiscard]] bool fresh(uint64_t now_ms) const { return kind != AnswerKind::None && now_ms < expires_ms(); }
  [[nodiscard]] bool failure_fresh(uint64_t now_ms) const { return failed && now_ms < failure_until_ms; }

  void set_key(dns::NameView target, uint16_t type);
  void set_failure(uint16_t ede, std::string_view text, uint64_t until_ms);
};

// Hash of (lowercased target, qtype); never 0 (0 marks an empty slot).
[[nodiscard]] uint64_t target_key_hash(dns::NameView target, uint16_t qtype);

// Where a reader found an entry: enough to claim its prefetch.
struct CacheRef {
  std::size_t slot = SIZE_MAX;
  uint32_t sequence = 0;
};

class FlattenCache {
 public:
  static constexpr std::size_t kWays = 4;

  // Room for at least `entries` entries (rounded up to a multiple of kWays).
  explicit FlattenCache(std::size_t entries);
  FlattenCache(const FlattenCache&) = delete;
  FlattenCache& operator=(const FlattenCache&) = delete;

  [[nodiscard]] std::size_t capacity() const { return sets_ * kWays; }
  [[nodiscard]] std::size_t size() const { return size_.load(std::memory_order_relaxed); }

  // Any thread, no lock, no allocation: copies the entry for (target, qtype)
  // into `out`. False when there is none.
  [[nodiscard]] bool lookup(dns::NameView target, uint16_t qtype, CachedAnswer& out,
                            CacheRef* ref = nullptr) const;

  // Any thread: true for exactly one caller per stored version of the entry,
  // the one that asks the service for a background refresh (prefetch).
  [[nodiscard]] bool claim_prefetch(const CacheRef& ref) const;

  // The writer thread only: inserts or replaces the entry with `entry`'s key.
  void store(const CachedAnswer& entry);

  // For the control channel (`flatns ctl flatten-status`), never the packet
  // path. Any thread, no lock: calls `visit` with a copy of every entry.
  void for_each(const std::function<void(const CachedAnswer&)>& visit) const;
  // The writer thread only (`flatns ctl flush`): drops every entry whose
  // target is `name` or below it; returns how many were dropped.
  std::size_t erase_below(dns::NameView name);

  // The single-writer rule, checked in debug builds: the writer is the
  // thread that last called claim_writer() or, when none holds the role,
  // the first thread that stores. release_writer() gives the role up (the
  // flatten service does when its thread ends). No-ops with NDEBUG.
  void claim_writer();
  void release_writer();

 private:
  static constexpr std::size_t kWords = (sizeof(CachedAnswer) + 7) / 8;
  struct alignas(64) Slot {
    std::atomic<uint32_t> sequence{0};  // odd while the writer is in the slot
    mutable std::atomic<uint32_t> prefetch_claimed{0};  // sequence the claim was for, +1
    mutable std::atomic<uint8_t> referenced{0};
    std::atomic<uint64_t> key_hash{0};
    std::atomic<uint64_t> words[kWords];
  };

  bool read_slot(const Slot& slot, CachedAnswer& out, uint32_t& sequence) const;
  std::size_t choose_slot(uint64_t hash, dns::NameView target, uint16_t qtype);
  void check_writer(const char* operation);

  std::size_t sets_;
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<uint8_t[]> hands_;  // per set: where the clock hand is (writer only)
  std::atomic<std::size_t> size_{0};
#ifndef NDEBUG
  std::atomic<std::thread::id> writer_{};
#endif
};

}  // namespace flatns::flatten
