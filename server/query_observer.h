// What a worker does with each query beside answering it, when the operator
// asked for it (issue 17): count it (server/query_stats.h, for the metrics
// endpoint and `flatns ctl stats`) and log it to dnstap (server/dnstap_log.h).
// One QueryObserver per worker, reached from WorkerBuffers; the responder
// calls answered() once per query with its final response (a parked query
// when it is finally answered). Nothing here allocates or locks.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "server/query_stats.h"
#include "flatten/flattener.h"
#include "zones/answer_hook.h"

namespace flatns::server {

class DnstapLog;

// Zone -> metric slot for one zone-set snapshot (built by the daemon with the
// snapshot; sorted by address for a binary search on the packet path).
struct ZoneSlots {
  std::vector<std::pair<const zones::Zone*, std::size_t>> by_zone;
  std::size_t other = 0;  // the slot of zones without a label of their own
  [[nodiscard]] std::size_t slot(const zones::Zone* zone) const;
};

class QueryObserver {
 public:
  QueryObserver(unsigned worker, std::size_t zone_slots, DnstapLog* dnstap)
      : stats_(std::make_unique<QueryStats>(zone_slots)), worker_(worker), dnstap_(dnstap) {}

  // The worker thread, between packets: the slots of the snapshot it answers from.
  void set_zone_slots(const ZoneSlots* slots) { zone_slots_ = slots; }

  // One query and its final response (empty: dropped, no answer).
  void answered(bool tcp, const sockaddr* peer, std::span<const uint8_t> query, std::span<const uint8_t> response,
                const zones::Zone* zone);
  void flattened(FlattenOutcome outcome, uint16_t ede, const zones::Zone& zone);
  // The UDP listener: one readiness callback; one recvmmsg that took `datagrams`.
  void udp_wakeup() { stats_->udp_wakeups.add(); }
  void udp_batch(std::size_t datagrams) { stats_->count_udp_batch(datagrams); }
  void rrl(bool slipped) { slipped ? stats_->rrl_slipped.add() : stats_->rrl_dropped.add(); }

  [[nodiscard]] const QueryStats& stats() const { return *stats_; }

 private:
  std::size_t zone_slot(const zones::Zone* zone) const {
    return zone && zone_slots_ ? zone_slots_->slot(zone) : QueryStats::kNoZone;
  }
  std::unique_ptr<QueryStats> stats_;
  unsigned worker_;
  DnstapLog* dnstap_;
  const ZoneSlots* zone_slots_ = nullptr;
};

// Flattening's answer hook (flatten/flattener.h) with each flattened answer
// counted by outcome (cached, resolved after waiting, stale, SERVFAIL by EDE
// code) and zone; the responder uses it when an observer is set. A parked
// query is counted when it is finally answered.
class CountingFlattenHook final : public zones::AnswerHook {
 public:
  CountingFlattenHook(const flatten::Flattener& flattener, flatten::FlattenCall* call, QueryObserver& observer)
      : flattener_(flattener), call_(call), observer_(observer) {}
  zones::Found pre_answer(const zones::AnswerPoint& at, dns::ResponseBuilder& rb) override;

 private:
  const flatten::Flattener& flattener_;
  flatten::FlattenCall* call_;
  QueryObserver& observer_;
};

}  // namespace flatns::server
