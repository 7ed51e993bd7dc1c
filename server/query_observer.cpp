#include "server/query_observer.h"

#include <algorithm>

#include "dns/ede.h"
#include "dns/message.h"
#include "server/dnstap_log.h"

namespace flatns::server {

namespace {
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

zones::Found CountingFlattenHook::pre_answer(const zones::AnswerPoint& at, dns::ResponseBuilder& rb) {
  const zones::Found found = flatten::FlattenHook::pre_answer(at, rb);
  if (found == zones::Found::Begin || found == zones::Found::Held) return found;
  const bool has_ede = rb.has_extended_error();
  const uint16_t ede = has_ede ? rb.extended_error().code : 0;
  FlattenOutcome outcome = FlattenOutcome::Cached;
  if (rb.rcode() == dns::rcode::SERVFAIL) {
    outcome = FlattenOutcome::Servfail;
  } else if (has_ede && ede == dns::ede::StaleAnswer) {
    outcome = FlattenOutcome::Stale;
  } else if (call_ && call_->final) {
    outcome = FlattenOutcome::Resolved;
  }
  observer_.flattened(outcome, ede, at.zone);
  return found;
}

}  // namespace flatns::server
