// The Iteration's referrals (RFC 1034 §4.3.2, glue within the bailiwick of
// the zone that sent it only; with harden_unverified_glue, glue outside the
// child only as a last resort) and the nested Iterations for NS names
// without glue, and the other side of a delegation (widen_to_other_side);
// see iteration.h for where they sit.
#include <algorithm>

#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "resolver-client/iteration.h"
#include "resolver-client/resolution.h"

namespace flatns::resolver {

void Iteration::on_referral(const dns::ServerAddress& server, const dns::Message& msg,
                         ValidatedResponse& vr) {
  ResolverCache& cache = resolver_.cache();
  const ResolverLimits& lim = resolver_.settings().limits;
  uint64_t now = resolver_.clock().now_ms();
  const dns::Name& child = vr.next_name;
  const dns::Name& below = (qtype_ == dns::rrtype::DS && !qname_.is_root()) ? qname_.parent() : qname_;
  if (child == zone_ || !child.is_subdomain_of(zone_) || !below.is_subdomain_of(child)) {
    server_failed(server, "lame: referral to " + child.to_text() + " does not lead below " +
                              zone_.to_text() + " towards " + qname_.to_text());
    return;
  }
  if (++referrals_ > lim.max_referrals) {
    IterationOutcome o;
    o.kind = IterationOutcome::Kind::Failed;
    o.failure = "more than " + std::to_string(lim.max_referrals) + " referrals for " +
                qname_.to_text();
    o.verdict = Verdict::indeterminate(o.failure);
    finish(std::move(o));
    return;
  }
  if (validating() && vr.delegation.verdict.security == Security::Indeterminate &&
      key_finder_.keys().verdict.is_secure()) {
    server_failed(server, "referral to " + child.to_text() + " without a usable DS answer: " +
                              vr.delegation.verdict.detail);
    return;
  }
  std::vector<dns::ResourceRecord> ns_records;
  std::vector<NameServer> servers;
  uint32_t ns_ttl = UINT32_MAX;
  for (const auto& rr : msg.authority) {
    if (rr.type != dns::rrtype::NS || !(rr.owner == child)) continue;
    ns_records.push_back(rr);
    ns_ttl = std::min(ns_ttl, rr.ttl);
    NameServer s;
    auto target = dns::rdata_target_name(rr.type, rr.rdata);
    if (target && dns::Name::from_wire(*target, s.name)) servers.push_back(std::move(s));
  }
  if (servers.empty()) {
    server_failed(server, "referral to " + child.to_text() + " without NS records");
    return;
  }
  // Glue: address records for the child's NS names, accepted only when the
  // name lies within the bailiwick of the zone that sent the referral.
  const bool harden = resolver_.settings().harden_unverified_glue;
  for (auto& s : servers) {
    // Glue outside the child under resolver.harden_unverified_glue: the
    // name, left without an address, is looked up (lookup_ns_address); the
    // glue is kept only as the parent's side of the delegation, which
    // widen_to_other_side() adds once every address of the zone failed or
    // none was found (Unbound's last resort), never cached as the name's.
    const bool unverified = harden && !s.name.is_subdomain_of(child);
    std::vector<dns::ResourceRecord> glue[2];
    for (const auto& rr : msg.additional) {
      if ((rr.type != dns::rrtype::A && rr.type != dns::rrtype::AAAA) || !(rr.owner == s.name)) continue;
      if (!rr.owner.is_subdomain_of(zone_)) {
        resolver_.log(LogLevel::Debug, "resolver: ignoring out-of-bailiwick glue " + rr.owner.to_text() +
                                   " from " + server_label(server) + " (zone " + zone_.to_text() + ")");
        continue;
      }
      if (!unverified) s.addresses.push_back(dns::ServerAddress::from_rdata(rr.rdata, 53));
      glue[rr.type == dns::rrtype::A ? 0 : 1].push_back(rr);
    }
    for (auto& g : glue) {
      if (g.empty()) continue;
      uint32_t ttl = g.front().ttl;
      uint16_t type = g.front().type;
      cache.store_other_side(s.name, type, g, ttl, now);
      if (unverified) continue;
      cache.store_rrset(s.name, type, std::move(g), ttl, Trust::Additional,
                           Verdict::indeterminate("glue"), now);
    }
    if (s.addresses.empty()) {
      // Addresses learnt earlier (e.g. from an authoritative answer).
      for (uint16_t t : {dns::rrtype::A, dns::rrtype::AAAA}) {
        if (const CachedRrset* a = cache.find_rrset(s.name, t, Trust::Additional, now)) {
          for (const auto& arr : a->records) {
            if (arr.type == t) s.addresses.push_back(dns::ServerAddress::from_rdata(arr.rdata, 53));
          }
        }
      }
    }
  }
  cache.store_rrset(child, dns::rrtype::NS, std::move(ns_records), ns_ttl,
                       Trust::ReferralAuthority, Verdict::indeterminate("referral"), now);
  const DsSet* anchor = resolver_.anchors().find(child);
  if (vr.ds_left_out && anchor == nullptr && validating()) {
    fetch_left_out_ds(server, child, std::move(servers));
    return;
  }
  DsSet ds = vr.delegation;
  ds.zone = child;
  if (anchor != nullptr) ds = *anchor;
  if (validating()) cache.store_ds(ds, now);
  if (validating() && anchor == nullptr && ds.verdict.is_secure() && !ds.ds.empty()) {
    store_referral_ds(msg, ds, now);
  }
  enter_zone(child, std::move(servers), &ds);
  next_server();
}

// The validated DS RRset of a signed referral answers a later "DS child"
// question from the cache (as Unbound's RRset cache does): the parent, which
// gave it already, need not be asked, nor be able to answer it again.
void Iteration::store_referral_ds(const dns::Message& msg, const DsSet& ds, uint64_t now) {
  std::vector<dns::ResourceRecord> records, rrsigs;
  for (const auto& rr : msg.authority) {
    if (!(rr.owner == ds.zone)) continue;
    if (rr.type == dns::rrtype::DS) records.push_back(rr);
    if (rr.type == dns::rrtype::RRSIG && rr.rdata.size() >= 2 &&
        (rr.rdata[0] << 8 | rr.rdata[1]) == dns::rrtype::DS) {
      rrsigs.push_back(rr);
    }
  }
  if (records.empty()) return;
  records.insert(records.end(), rrsigs.begin(), rrsigs.end());
  resolver_.cache().store_rrset(ds.zone, dns::rrtype::DS, std::move(records), ds.ttl,
                                Trust::AuthAuthority, ds.verdict, now);
}

void Iteration::fetch_left_out_ds(const dns::ServerAddress& server, const dns::Name& child,
                                  std::vector<NameServer> servers) {
  if (const DsSet* cached = resolver_.cache().find_ds(child, resolver_.clock().now_ms())) {
    DsSet ds = *cached;
    enter_zone(child, std::move(servers), &ds);
    next_server();
    return;
  }
  if (depth_ >= resolver_.settings().limits.max_sub_depth) {
    server_failed(server, "referral to " + child.to_text() +
                              " without DS or NSEC/NSEC3, and no depth left to ask its DS");
    return;
  }
  child_servers_ = std::move(servers);
  Iteration* sub = res_.make_iteration(child, dns::rrtype::DS, depth_ + 1,
                                       [this, server, child](IterationOutcome&& o) {
                                         if (state_ == State::Done || !res_.running()) return;
                                         enter_child_with_ds(server, child, std::move(o));
                                       });
  sub->start();
}

// The answer to "DS child" decides the child's keys: a secure DS RRset, or a
// secure (or opt-out) NODATA for an unsigned child; anything else fails.
void Iteration::enter_child_with_ds(const dns::ServerAddress& server, const dns::Name& child,
                                    IterationOutcome&& o) {
  using Kind = IterationOutcome::Kind;
  DsSet ds;
  ds.zone = child;
  ds.ttl = o.ttl;
  if (o.kind == Kind::Answer && o.verdict.is_secure()) {
    for (const auto& rr : o.answer) {
      if (rr.type == dns::rrtype::DS && rr.owner == child) ds.ds.push_back(rr.rdata);
    }
  }
  if (!ds.ds.empty()) {
    ds.verdict = o.verdict;
  } else if (o.kind == Kind::NoData && o.verdict.is_secure()) {
    ds.verdict = Verdict::insecure(child, InsecureReason::UnsignedDelegation,
                                   "no DS for " + child.to_text() + " in " + zone_.to_text());
  } else if (o.kind == Kind::NoData && o.verdict.is_insecure() &&
             o.verdict.insecure_reason == InsecureReason::OptOut) {
    ds.verdict = o.verdict;
    ds.verdict.zone = child;
  } else if (o.kind == Kind::Bogus) {
    on_bogus(server, o.verdict);
    return;
  } else {
    server_failed(server, "referral to " + child.to_text() +
                              " without DS or NSEC/NSEC3, and its DS query gave no validated answer (" +
                              (o.failure.empty() ? o.verdict.to_text() : o.failure) + ")");
    return;
  }
  resolver_.cache().store_ds(ds, resolver_.clock().now_ms());
  enter_zone(child, std::move(child_servers_), &ds);
  next_server();
}

void Iteration::lookup_ns_address(NameServer& ns) {
  const ResolverLimits& lim = resolver_.settings().limits;
  ns.looked_up = true;
  if (res_.failed_ns_lookups > lim.max_failed_ns_lookups) {
    // NXNS (CVE-2020-12662): a referral to many names that do not resolve
    // would make every query it answers cost a query per name.
    note_failure_once("NS names not looked up: " + std::to_string(res_.failed_ns_lookups) +
                      " lookups already found no address (limit " + std::to_string(lim.max_failed_ns_lookups) +
                      ")");
    next_server();
    return;
  }
  // A name inside the zone it serves cannot be found without glue.
  if (res_.ns_lookups >= lim.max_ns_lookups || depth_ >= lim.max_sub_depth ||
      ns.name.is_subdomain_of(zone_)) {
    next_server();
    return;
  }
  ++res_.ns_lookups;
  // Both families at once, as Unbound asks its targets: an IPv6-only
  // server is reachable too, and the wait is that of the faster lookup.
  ns.lookups_pending = 2;
  awaiting_ns_ = ns.name;
  const dns::Name name = ns.name;
  const unsigned generation = zone_generation_;
  for (uint16_t type : {dns::rrtype::A, dns::rrtype::AAAA}) {
    Iteration* sub = res_.make_iteration(name, type, depth_ + 1,
                                         [this, name, type, generation](IterationOutcome&& o) {
                                           if (state_ == State::Done || !res_.running() ||
                                               generation != zone_generation_) {
                                             return;
                                           }
                                           on_ns_address(name, type, std::move(o));
                                         });
    sub->start();
    if (state_ == State::Done || generation != zone_generation_) return;
  }
}

void Iteration::on_ns_address(const dns::Name& name, uint16_t type, IterationOutcome&& o) {
  auto it = std::find_if(servers_.begin(), servers_.end(), [&](const NameServer& s) { return s.name == name; });
  if (it == servers_.end()) return;
  NameServer& ns = *it;
  if (ns.lookups_pending > 0) --ns.lookups_pending;
  if (!o.from_cache) ns.asked_upstream = true;
  bool added = false;
  if (o.kind == IterationOutcome::Kind::Answer) {
    for (const auto& rr : o.answer) {
      if (rr.type != type || !(rr.owner == name)) continue;
      const auto a = dns::ServerAddress::from_rdata(rr.rdata, 53);
      if (std::find(ns.addresses.begin(), ns.addresses.end(), a) == ns.addresses.end()) {
        ns.addresses.push_back(a);
        added = true;
      }
    }
  } else if (ns.lookup_failure.empty() && !o.failure.empty()) {
    ns.lookup_failure = o.failure;
  }
  // A new address ends the wait (an NS with IPv6 glue only that failed has
  // addresses already: only a new one helps). Without one both lookups end
  // before the name counts as failed, even after an NXDOMAIN: the other
  // answer is a query spent as well, and waiting for it keeps the lookups
  // one name at a time.
  if (!ns.settled && (added || ns.lookups_pending == 0)) {
    ns.settled = true;
    if (ns.addresses.empty()) {
      failures_.push_back("NS " + name.to_text() + ": no address (" +
                          (ns.lookup_failure.empty() ? "no A or AAAA record" : ns.lookup_failure) + ")");
      if (ns.asked_upstream) ++res_.failed_ns_lookups;
    }
  }
  if (!awaiting_ns_ || !(*awaiting_ns_ == name) || !ns.settled) return;
  awaiting_ns_.reset();
  next_server();
}

bool Iteration::widen_to_other_side() {
  // Each call adds only names and addresses not held yet: it ends.
  if (forwarding_ || zone_.is_root()) return false;
  ResolverCache& cache = resolver_.cache();
  const uint64_t now = resolver_.clock().now_ms();
  bool added = false;
  if (const auto* ns = cache.find_other_side(zone_, dns::rrtype::NS, now)) {
    for (const auto& rr : *ns) {
      auto target = dns::rdata_target_name(rr.type, rr.rdata);
      NameServer s;
      if (!target || !dns::Name::from_wire(*target, s.name)) continue;
      if (std::any_of(servers_.begin(), servers_.end(),
                      [&](const NameServer& have) { return have.name == s.name; })) {
        continue;
      }
      for (uint16_t t : {dns::rrtype::A, dns::rrtype::AAAA}) {
        if (const CachedRrset* a = cache.find_rrset(s.name, t, Trust::Additional, now)) {
          for (const auto& arr : a->records) {
            if (arr.type == t) s.addresses.push_back(dns::ServerAddress::from_rdata(arr.rdata, 53));
          }
        }
      }
      servers_.push_back(std::move(s));
      added = true;
    }
  }
  for (auto& s : servers_) {
    for (uint16_t t : {dns::rrtype::A, dns::rrtype::AAAA}) {
      const auto* glue = cache.find_other_side(s.name, t, now);
      if (glue == nullptr) continue;
      for (const auto& rr : *glue) {
        if (rr.type != t) continue;
        dns::ServerAddress a = dns::ServerAddress::from_rdata(rr.rdata, 53);
        if (std::find(s.addresses.begin(), s.addresses.end(), a) != s.addresses.end()) continue;
        s.addresses.push_back(a);
        added = true;
      }
    }
  }
  return added;
}

}  // namespace flatns::resolver
