// Counters of the packet path, one set per worker thread (issue 17, the
// Prometheus endpoint and `flatns ctl stats`).
//
// A worker is the only writer of its counters: each is a relaxed atomic load
// and store (a plain increment on x86, no lock prefix), so the packet path
// takes no lock and no cache line is written by two threads (every worker's
// QueryStats is its own allocation, aligned to a cache line). A reader (the
// metrics thread, the control channel) loads them relaxed and sums over the
// workers at scrape time; a count may be one query behind, never torn.
//
// Label sets are bounded: query types are the common ones plus "other",
// rcodes are the 16 header values, zones are the first metrics_max_zones
// zones the daemon ever served (sticky slots, so a label never changes
// meaning) plus "other", EDE codes are 0-31 plus "other".
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace flatns::server {

class Counter {
 public:
  void add(uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  [[nodiscard]] uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// The query types with a label of their own; the rest are "other".
inline constexpr uint16_t kCountedTypes[] = {1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 43, 48, 64, 65, 257, 255};
inline constexpr std::size_t kTypeSlots = std::size(kCountedTypes) + 1;  // + other
inline constexpr std::size_t kRcodeSlots = 16;
inline constexpr std::size_t kEdeSlots = 33;  // 0..31 and other
inline constexpr std::size_t kTransports = 2;  // udp, tcp

// Datagrams taken by one recvmmsg of the UDP listener (server/listener_udp.h):
// 0 (nothing was queued), 1, 2-3, 4-7, 8-15, 16-31, 32-63, 64 (a full batch).
// Bucket b > 0 holds the counts whose bit width is b.
inline constexpr std::size_t kUdpBatchBuckets = 8;
inline constexpr uint64_t kUdpBatchUpper[kUdpBatchBuckets] = {0, 1, 3, 7, 15, 31, 63, 64};
[[nodiscard]] constexpr std::size_t udp_batch_bucket(std::size_t datagrams) {
  std::size_t b = 0;
  while (datagrams != 0 && b + 1 < kUdpBatchBuckets) {
    ++b;
    datagrams >>= 1;
  }
  return b;
}
static_assert(udp_batch_bucket(0) == 0 && udp_batch_bucket(1) == 1 && udp_batch_bucket(3) == 2 &&
              udp_batch_bucket(63) == 6 && udp_batch_bucket(64) == 7);

enum class FlattenOutcome : uint8_t { Cached, Resolved, Stale, Servfail };
inline constexpr std::size_t kFlattenOutcomes = 4;

[[nodiscard]] std::size_t type_slot(uint16_t qtype);
[[nodiscard]] std::string_view type_slot_name(std::size_t slot);  // "A", ..., "other"
[[nodiscard]] std::string_view flatten_outcome_name(std::size_t outcome);

// The query type of a DNS message's first question; false when it has none
// or it is malformed. No allocation.
[[nodiscard]] bool question_type(std::span<const uint8_t> message, uint16_t& qtype);

struct alignas(64) QueryStats {
  explicit QueryStats(std::size_t zone_slots);  // zone_slots includes "other"

  std::array<std::array<Counter, kTypeSlots>, kTransports> queries;
  std::array<std::array<Counter, kRcodeSlots>, kTransports> responses;
  std::array<Counter, kTransports> dropped;  // no response (malformed beyond FORMERR, QR=1)
  Counter truncated;                         // UDP responses with TC=1 (RRL slips included)
  Counter rrl_dropped;                       // UDP responses dropped by RRL
  Counter rrl_slipped;                       // ... sent truncated instead by RRL
  // The UDP listener's system calls: readiness wake-ups (one epoll_wait
  // return each), recvmmsg calls by datagrams taken, and datagrams taken.
  Counter udp_wakeups;
  std::array<Counter, kUdpBatchBuckets> udp_batches;
  Counter udp_batch_datagrams;
  std::array<Counter, kFlattenOutcomes> flattened;
  std::array<Counter, kEdeSlots> flattened_servfail_ede;
  std::size_t zone_slot_count;
  std::unique_ptr<Counter[]> zone_queries;
  std::unique_ptr<Counter[]> zone_flattened;

  static constexpr std::size_t kNoZone = SIZE_MAX;  // REFUSED, FORMERR, ...
  // One query and its response (empty: dropped). `zone_slot`: the zone's
  // slot (zone_slot_count - 1 is "other"), kNoZone when no zone answered.
  void count_answer(bool tcp, std::span<const uint8_t> query, std::span<const uint8_t> response,
                    std::size_t zone_slot);
  void count_udp_batch(std::size_t datagrams) {
    udp_batches[udp_batch_bucket(datagrams)].add();
    udp_batch_datagrams.add(datagrams);
  }
  void count_flattened(FlattenOutcome outcome, uint16_t ede, std::size_t zone_slot);
};

}  // namespace flatns::server
