#include "server/query_observer.h"

#include <algorithm>

#include "dns/message.h"
#include "server/dnstap_log.h"

namespace flatns::server {

namespace {
constexpr uint16_t kEdeStaleAnswer = 3;  // RFC 8914 §4.4
}

std::size_t ZoneSlots::slot(const zones::Zone* zone) const {
  auto it = std::lower_bound(by_zone.begin(), by_zone.end(), zone,
                             [](const auto& entry, const zones::Zone* z) { return entry.first < z; });
  return it != by_zone.end() && it->first == zone ? it->second : other;
}

void QueryObserver::answered(bool tcp, const sockaddr* peer, std::span<const uint8_t> query,
                             std::span<const uint8_t> response, const zones::Zone* zone) {
  stats_->count_answer(tcp, query, response, zone_slot(zone));
  if (dnstap_) dnstap_->log_exchange(worker_, tcp, peer, query, response);
}

void QueryObserver::flattened(FlattenOutcome outcome, uint16_t ede, const zones::Zone& zone) {
  stats_->count_flattened(outcome, ede, zone_slot(&zone));
}

void CountingFlattenStage::answer(const zones::ZoneSet& zones, const zones::Zone& zone, const zones::Node* node,
                                  const dns::Query& q, dns::ResponseBuilder& rb, zones::FlattenCall* call) const {
  inner_->answer(zones, zone, node, q, rb, call);
  if (call && call->outcome == zones::FlattenCall::Outcome::Park) return;
  const bool has_ede = rb.has_extended_error();
  const uint16_t ede = has_ede ? rb.extended_error().code : 0;
  FlattenOutcome outcome = FlattenOutcome::Cached;
  if (rb.rcode() == dns::rcode::SERVFAIL) {
    outcome = FlattenOutcome::Servfail;
  } else if (has_ede && ede == kEdeStaleAnswer) {
    outcome = FlattenOutcome::Stale;
  } else if (call && call->final) {
    outcome = FlattenOutcome::Resolved;
  }
  observer_.flattened(outcome, ede, zone);
}

}  // namespace flatns::server
