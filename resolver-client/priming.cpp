// Root priming (RFC 8109, as Unbound, BIND and Knot do it): before the
// first iteration from the root, ". NS" is asked of a hint server; the root
// NS RRset of its answer and the addresses of those names (its additional
// section) are cached, and iterations start from them until the NS RRset
// expires, when the next one primes again. The answer is validated as any
// other when a root trust anchor is configured (RFC 8109 §4: the root NS
// RRset is signed; the root-servers.net addresses are not, and need not
// be: every answer is validated from the anchor anyway). When priming
// fails, the hints are used as they are for a while (limits.timeout_backoff_s)
// before priming is tried again. See iteration.h.
#include <algorithm>

#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "resolver-client/iteration.h"
#include "resolver-client/resolution.h"

namespace flatns::resolver {

bool Iteration::enter_primed_root() {
  auto servers = cached_servers(dns::Name::root());
  const bool any_address = std::any_of(servers.begin(), servers.end(),
                                       [](const NameServer& s) { return !s.addresses.empty(); });
  if (!any_address) return false;
  forwarding_ = false;
  enter_zone(dns::Name::root(), std::move(servers), resolver_.anchors().find(dns::Name::root()));
  primed_root_ = true;
  return true;
}

bool Iteration::start_priming(const dns::Name* below) {
  const uint64_t now = resolver_.clock().now_ms();
  // A query with checking disabled caches nothing it fetched: it takes the
  // hints rather than priming for nothing.
  const bool unchecked = res_.options.checking_disabled && resolver_.settings().validate;
  if (unchecked || !resolver_.priming_due(now) ||
      depth_ >= resolver_.settings().limits.max_sub_depth) {
    return false;
  }
  // Other iterations take the hints while this priming query runs (held
  // until this resolution's deadline at most, should it end first).
  resolver_.hold_priming(now + std::max<uint64_t>(res_.remaining_ms(), 1));
  zone_ = dns::Name::root();
  servers_.clear();
  ++zone_generation_;
  awaiting_ns_.reset();
  tried_.clear();
  failures_.clear();
  state_ = State::Querying;
  std::optional<dns::Name> resume_below;
  if (below != nullptr) resume_below = *below;
  Iteration* sub = res_.make_iteration(dns::Name::root(), dns::rrtype::NS, depth_ + 1,
                                       [this, resume_below](IterationOutcome&& o) {
                                         if (state_ == State::Done || !res_.running()) return;
                                         on_priming_done(std::move(o), resume_below);
                                       });
  sub->mark_priming();
  sub->start();
  return true;
}

void Iteration::on_priming_done(IterationOutcome&& o, std::optional<dns::Name> below) {
  const uint64_t now = resolver_.clock().now_ms();
  std::string failure;
  if (o.kind != IterationOutcome::Kind::Answer) {
    failure = o.failure.empty() ? o.verdict.to_text() : o.failure;
  } else if (cached_servers(dns::Name::root()).empty()) {
    failure = "the answer has no root NS RRset";
  }
  const bool primed = failure.empty() && enter_primed_root();
  if (!primed && failure.empty()) failure = "the answer gives no address for the root NS names";
  if (!primed) {
    resolver_.hold_priming(now + uint64_t{resolver_.settings().limits.timeout_backoff_s} * 1000);
    resolver_.log(LogLevel::Info, "resolver: priming the root (\". NS\" of the root hints) failed: " +
                                      failure + "; using the root hints for " +
                                      std::to_string(resolver_.settings().limits.timeout_backoff_s) +
                                      " s");
    if (find_cut(below ? &*below : nullptr)) next_server();
    return;
  }
  resolver_.hold_priming(0);
  next_server();
}

void Iteration::store_priming_glue(const dns::Message& msg) {
  ResolverCache& cache = resolver_.cache();
  const uint64_t now = resolver_.clock().now_ms();
  std::vector<dns::Name> names;
  for (const auto& rr : msg.answer) {
    if (rr.type != dns::rrtype::NS || !rr.owner.is_root()) continue;
    auto target = dns::rdata_target_name(rr.type, rr.rdata);
    dns::Name name;
    if (target && dns::Name::from_wire(*target, name)) names.push_back(std::move(name));
  }
  for (const auto& name : names) {
    for (uint16_t type : {dns::rrtype::A, dns::rrtype::AAAA}) {
      std::vector<dns::ResourceRecord> records;
      uint32_t ttl = UINT32_MAX;
      for (const auto& rr : msg.additional) {
        if (rr.type != type || !(rr.owner == name)) continue;
        records.push_back(rr);
        ttl = std::min(ttl, rr.ttl);
      }
      if (records.empty()) continue;
      cache.store_rrset(name, type, std::move(records), ttl, Trust::Additional,
                        Verdict::indeterminate("root priming glue"), now);
    }
  }
}

bool Iteration::fall_back_to_hints() {
  std::vector<dns::ServerAddress> untried;
  for (const auto& a : resolver_.root_servers()) {
    if (std::find(tried_.begin(), tried_.end(), a) == tried_.end()) untried.push_back(a);
  }
  if (untried.empty()) return false;
  resolver_.log(LogLevel::Info, "resolver: no primed root server answered for " + qname_.to_text() +
                                    "; trying the root hints");
  NameServer hints;
  hints.name = dns::Name::root();
  hints.addresses = std::move(untried);
  hints.looked_up = true;
  std::vector<NameServer> servers;
  servers.push_back(std::move(hints));
  auto saved_failures = failures_;
  enter_zone(dns::Name::root(), std::move(servers), resolver_.anchors().find(dns::Name::root()));
  failures_ = std::move(saved_failures);
  return true;
}

}  // namespace flatns::resolver
