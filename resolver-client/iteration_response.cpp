// The Iteration's outcomes: from the cache, or from a response to the
// question (validated, minimised or not, held while its signer's keys are
// found); see iteration.h for the states.
#include <algorithm>
#include <optional>

#include "dns/rcode.h"
#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "resolver-client/answer_chain.h"
#include "resolver-client/iteration.h"
#include "resolver-client/resolution.h"

namespace flatns::resolver {

namespace {

// `keep_rrsigs`: a question for RRSIGs, which are then the answer.
std::vector<dns::ResourceRecord> without_rrsigs(const std::vector<dns::ResourceRecord>& in,
                                                uint32_t ttl_cap, bool keep_rrsigs = false) {
  std::vector<dns::ResourceRecord> out;
  for (const auto& rr : in) {
    if (rr.type == dns::rrtype::RRSIG && !keep_rrsigs) continue;
    out.push_back(rr);
    if (ttl_cap > 0 && out.back().ttl > ttl_cap) out.back().ttl = ttl_cap;
  }
  return out;
}

// A cached, validated DNAME owned by a proper ancestor of `qname` (the
// closest), or nullptr. An insecure one is not used: on unvalidated data it
// would redirect a whole subtree the zone may have changed since (Unbound's
// iter_dname_insec asks again).
const CachedRrset* cached_dname_above(ResolverCache& cache, const dns::Name& qname, uint64_t now) {
  if (qname.is_root()) return nullptr;
  for (dns::Name n = qname.parent();; n = n.parent()) {
    const CachedRrset* e = cache.find_rrset(n, dns::rrtype::DNAME, Trust::NonAuthAnswer, now);
    if (e != nullptr && e->ttl_left(now) > 0 && e->verdict.is_secure()) return e;
    if (n.is_root()) return nullptr;
  }
}

// The CNAME a DNAME synthesises for `qname` (RFC 6672 §2.2, §3.1), or
// nothing when the DNAME is unreadable or the substitution too long.
std::optional<dns::ResourceRecord> synthesise_cname(const CachedRrset& dname, const dns::Name& qname,
                                                    uint32_t ttl) {
  const dns::ResourceRecord* rr = nullptr;
  for (const auto& r : dname.records) {
    if (r.type != dns::rrtype::DNAME) continue;
    if (rr != nullptr) return std::nullopt;  // a DNAME RRset holds one record
    rr = &r;
  }
  dns::Name target_suffix;
  if (rr == nullptr || !dns::Name::from_wire(rr->rdata, target_suffix)) return std::nullopt;
  const auto wire = qname.wire();
  std::vector<uint8_t> joined(wire.begin(), wire.end() - static_cast<std::ptrdiff_t>(dname.owner.size()));
  joined.insert(joined.end(), target_suffix.wire().begin(), target_suffix.wire().end());
  dns::Name target;
  if (!dns::Name::from_wire(joined, target)) return std::nullopt;
  dns::ResourceRecord cname;
  cname.owner = qname;
  cname.type = dns::rrtype::CNAME;
  cname.rclass = rr->rclass;
  cname.ttl = ttl;
  cname.rdata.assign(target.wire().begin(), target.wire().end());
  return cname;
}

// The DS set of the closest cut at or above `name` and strictly below
// `signer` that the cache holds as proven unsigned (insecure), or nullptr.
const DsSet* insecure_cut_between(ResolverCache& cache, const dns::Name& name,
                                  const dns::Name& signer, uint64_t now) {
  if (!name.is_subdomain_of(signer)) return nullptr;
  for (dns::Name n = name; !(n == signer) && !n.is_root(); n = n.parent()) {
    const DsSet* ds = cache.find_ds(n, now);
    if (ds != nullptr && ds->verdict.is_insecure()) return ds;
  }
  return nullptr;
}

// A DS question its zone's server answered with a referral to the name
// itself, the DS RRset (and its RRSIGs) in the authority section: the DS
// RRset is the answer (as Unbound's scrubber makes it), rather than the
// referral being followed to the child, whose servers cannot answer for
// the DS (RFC 4035 §3.1.4.1: the parent side holds it).
std::optional<dns::Message> ds_answer_in_referral(const dns::Message& msg, const dns::Name& asked) {
  if (!msg.answer.empty() || msg.rcode() != dns::rcode::NOERROR) return std::nullopt;
  auto owned_ds = [&](const dns::ResourceRecord& rr) {
    if (!(rr.owner == asked)) return false;
    if (rr.type == dns::rrtype::DS) return true;
    return rr.type == dns::rrtype::RRSIG && rr.rdata.size() >= 2 &&
           (rr.rdata[0] << 8 | rr.rdata[1]) == dns::rrtype::DS;
  };
  dns::Message out = msg;
  out.authority.clear();
  out.additional.clear();
  for (const auto& rr : msg.authority) {
    if (owned_ds(rr)) out.answer.push_back(rr);
  }
  const bool has_ds = std::any_of(out.answer.begin(), out.answer.end(),
                                  [](const dns::ResourceRecord& rr) { return rr.type == dns::rrtype::DS; });
  if (!has_ds) return std::nullopt;
  return out;
}

}  // namespace

// A DNAME above the query name, cached from an earlier answer, redirects it
// without asking (RFC 6672 §3.1, as Unbound's cache does): the CNAME it
// synthesises is the answer to a CNAME question, or leads on.
bool Iteration::from_cached_dname() {
  if (qtype_ == dns::rrtype::DS) return false;  // asked at the parent of qname, not redirected
  ResolverCache& cache = resolver_.cache();
  const uint64_t now = resolver_.clock().now_ms();
  const CachedRrset* dname = cached_dname_above(cache, qname_, now);
  if (dname == nullptr) return false;
  const uint32_t ttl = dname->ttl_left(now);
  auto cname = synthesise_cname(*dname, qname_, ttl);
  if (!cname) return false;
  IterationOutcome o;
  o.ttl = ttl;
  o.verdict = dname->verdict;
  o.answer = without_rrsigs(dname->records, 0);
  for (auto& rr : o.answer) rr.ttl = ttl;
  o.answer.push_back(*cname);
  if (qtype_ == dns::rrtype::CNAME) {
    o.kind = IterationOutcome::Kind::Answer;
  } else {
    o.kind = IterationOutcome::Kind::CnameExit;
    o.next_name = chain_end(o.answer, qname_);
  }
  ++res_.result.stats.cache_hits;
  finish(std::move(o));
  return true;
}

bool Iteration::from_cache() {
  // A refresh asks the servers for every step of the chain (depth 0); the
  // iterations for server addresses below it may still be answered from the cache.
  if (res_.options.refresh && depth_ == 0) return false;
  if (const ConfiguredZone* z = resolver_.configured_zone(qname_); z != nullptr && z->no_cache) return false;
  ResolverCache& cache = resolver_.cache();
  uint64_t now = resolver_.clock().now_ms();
  auto hit = [&](const CachedRrset& e, IterationOutcome::Kind kind) {
    IterationOutcome o;
    o.kind = kind;
    o.ttl = e.ttl_left(now);
    o.answer = without_rrsigs(e.records, std::max<uint32_t>(o.ttl, 1));
    for (auto& rr : o.answer) rr.ttl = o.ttl;
    o.verdict = e.verdict;
    ++res_.result.stats.cache_hits;
    if (e.malformed_removed) res_.note_malformed(1, e.owner.to_text() + " " + dns::type_to_text(e.type) +
                                                       " (cached; a malformed record was removed from it)");
    return o;
  };
  // Data with less than a second left is asked again rather than given out
  // with TTL 0, which a caller would round up and keep past its expiry.
  if (const CachedRrset* e = cache.find_rrset(qname_, qtype_, Trust::NonAuthAnswer, now);
      e && e->ttl_left(now) > 0) {
    finish(hit(*e, IterationOutcome::Kind::Answer));
    return true;
  }
  // A DS question is answered where a cut would be (RFC 4035 §3.1.4.1): a
  // cached CNAME does not redirect it, as in Unbound; the server is asked.
  // Nor does it redirect ANY or RRSIG, whose answer is the data at the name
  // itself, the CNAME among it (RFC 1034 §4.3.2: only another type is chased).
  if (qtype_ != dns::rrtype::CNAME && qtype_ != dns::rrtype::DS && qtype_ != dns::rrtype::ANY &&
      qtype_ != dns::rrtype::RRSIG) {
    if (const CachedRrset* e = cache.find_rrset(qname_, dns::rrtype::CNAME, Trust::NonAuthAnswer, now);
        e && e->ttl_left(now) > 0) {
      IterationOutcome o = hit(*e, IterationOutcome::Kind::CnameExit);
      o.next_name = chain_end(o.answer, qname_);
      finish(std::move(o));
      return true;
    }
  }
  if (from_cached_dname()) return true;
  if (qtype_ == dns::rrtype::DS && !qname_.is_root() && validating()) {
    // A referral proved securely that the cut has no DS (RFC 4035 §5.2):
    // that proof answers the DS question too, as Unbound's negative cache
    // does; the parent need not be asked again.
    if (const DsSet* ds = cache.find_ds(qname_, now);
        ds && ds->verdict.security == Security::Insecure &&
        ds->verdict.insecure_reason == InsecureReason::UnsignedDelegation) {
      IterationOutcome o;
      o.kind = IterationOutcome::Kind::NoData;
      o.verdict = Verdict::secure(qname_.parent());
      o.ttl = ds->ttl;
      ++res_.result.stats.cache_hits;
      finish(std::move(o));
      return true;
    }
  }
  if (const CachedNegative* n = cache.find_negative(qname_, qtype_, now);
      n && n->ttl_left(now) > 0) {
    IterationOutcome o;
    o.kind = n->rcode == dns::rcode::NXDOMAIN ? IterationOutcome::Kind::NxDomain
                                              : IterationOutcome::Kind::NoData;
    o.ttl = n->ttl_left(now);
    o.verdict = n->verdict;
    o.authority = n->authority;
    for (auto& rr : o.authority) rr.ttl = std::min(rr.ttl, o.ttl);
    ++res_.result.stats.cache_hits;
    finish(std::move(o));
    return true;
  }
  return from_cached_nsec();
}

bool Iteration::from_cached_nsec() {
  // DS is the parent's to deny, and the key finder's to decide; ANY is
  // never denied by a type bitmap (the name has its NSEC at least).
  // Nor below a negative trust anchor, where nothing is secure.
  if (!resolver_.settings().aggressive_nsec || !validating() || qtype_ == dns::rrtype::DS ||
      qtype_ == dns::rrtype::ANY) {
    return false;
  }
  auto synthesized = resolver_.cache().nsecs().synthesize(qname_, qtype_, resolver_.clock().now_ms());
  if (!synthesized) return false;
  IterationOutcome o;
  o.kind = synthesized->rcode == dns::rcode::NXDOMAIN ? IterationOutcome::Kind::NxDomain
                                                      : IterationOutcome::Kind::NoData;
  o.ttl = synthesized->ttl;
  o.verdict = Verdict::secure(synthesized->zone);
  o.authority = std::move(synthesized->authority);
  ++res_.result.stats.cache_hits;
  finish(std::move(o));
  return true;
}

void Iteration::on_response(const dns::ServerAddress& server, const dns::Message& msg) {
  const bool minimised = minimiser_.asked_minimised();
  const dns::Name asked = minimiser_.asked_name(zone_);
  if (!minimised && !forwarding_ && minimiser_.asked_type() == dns::rrtype::DS) {
    if (auto ds = ds_answer_in_referral(msg, asked)) {
      on_response_as_given(server, *ds);
      return;
    }
  }
  on_response_as_given(server, msg);
}

void Iteration::on_response_as_given(const dns::ServerAddress& server, const dns::Message& msg) {
  const bool minimised = minimiser_.asked_minimised();
  const dns::Name asked = minimiser_.asked_name(zone_);
  std::optional<ZoneKeys> below_insecure_cut;
  if (forwarding_ && validating()) {
    // Forwarders never refer: the signer names which keys validate this,
    // unless the name lies below a cut proven unsigned (a CNAME's NSEC
    // showed it): whatever the forwarder attaches (here the signed SOA of
    // the parent), data there is insecure.
    const dns::Name target = response_zone(msg, asked);
    if (const DsSet* cut = insecure_cut_between(resolver_.cache(), asked, target,
                                                resolver_.clock().now_ms())) {
      below_insecure_cut = insecure_keys(target, cut->verdict.insecure_reason, cut->verdict.detail);
      below_insecure_cut->verdict = cut->verdict;
    } else if (!(target == key_finder_.keys().zone) && !key_finder_.walked_to(target)) {
      start_walk(server, msg, target);
      return;
    }
  }
  if (!forwarding_ && !minimised) {
    if (set_aside_last_resort(server, msg)) return;
    if (!below_insecure_cut && walk_to_anchored_island(server, msg, asked)) return;
  }
  const ZoneKeys& keys = below_insecure_cut ? *below_insecure_cut : key_finder_.keys();
  ValidationContext ctx = validation_context();
  ValidatedResponse vr = validate_response(msg, asked, minimiser_.asked_type(), keys, ctx);
  // Only a referral is used from a minimised query (followed below, with
  // its DS validated); any other answer just says "no cut here", and is
  // not validated, as in Unbound.
  if (minimised && on_minimised_response(server, msg, vr)) return;
  if (vr.kind == ResponseKind::Referral && vr.ds_left_out && !forwarding_) {
    on_referral(server, msg, vr);  // the DS is asked of the parent before the child is entered
    return;
  }
  if (vr.verdict.is_bogus() &&
      (vr.verdict.reason == BogusReason::MissingRrsig ||
       vr.verdict.reason == BogusReason::MissingDenial) &&
      !forwarding_ && !minimised) {
    // Unsigned data from a zone's servers may come from an unsigned child
    // they serve too (no referral showed the cut): the DS records between
    // decide, as for a signer below the zone.
    dns::Name owner_zone = response_zone(msg, asked);
    if (!(owner_zone == keys.zone) && owner_zone.is_subdomain_of(keys.zone) &&
        !key_finder_.walked_to(owner_zone)) {
      start_walk(server, msg, owner_zone);
      return;
    }
  }
  if (vr.verdict.is_bogus()) {
    on_bogus(server, vr.verdict);
    return;
  }
  if (!minimised && vr.needs_keys_for && vr.kind != ResponseKind::Unusable) {
    start_walk(server, msg, *vr.needs_keys_for);
    return;
  }
  if (vr.kind == ResponseKind::Unusable) {
    server_failed(server, "unusable answer (" + dns::rcode_to_text(msg.rcode()) +
                              (msg.has_flag(dns::flag::AA) ? ", AA" : ", no AA") + ")");
    return;
  }
  if (vr.kind == ResponseKind::Referral) {
    on_referral(server, msg, vr);
    return;
  }
  accept_response(msg, vr);
}

bool Iteration::on_minimised_response(const dns::ServerAddress& server, const dns::Message& msg,
                                      const ValidatedResponse& vr) {
  const dns::Name asked = minimiser_.asked_name(zone_);
  switch (minimiser_.on_response(vr, msg.rcode(), asked)) {
    case QnameMinimiser::Reaction::UseAsUsual:
      return false;
    case QnameMinimiser::Reaction::NxDomain: {
      IterationOutcome o;
      o.kind = IterationOutcome::Kind::NxDomain;
      o.verdict = vr.verdict;
      o.ttl = vr.ttl;
      o.authority = msg.authority;
      finish(std::move(o));
      return true;
    }
    case QnameMinimiser::Reaction::FullName: {
      const std::string why =
          vr.kind == ResponseKind::NxDomain ? std::string("NXDOMAIN") : dns::rcode_to_text(msg.rcode());
      resolver_.log(LogLevel::Debug, "resolver: " + server_label(server) + " (zone " +
                                         zone_.to_text() + ") answered the minimised query " +
                                         asked.to_text() + " with " + why +
                                         "; asking the full name " + qname_.to_text());
      break;
    }
    case QnameMinimiser::Reaction::NextLabel:
      break;
  }
  tried_.clear();
  next_server();
  return true;
}

// An answer, CNAME exit, NXDOMAIN or NODATA: cached, and the outcome.
void Iteration::accept_response(const dns::Message& msg, const ValidatedResponse& vr) {
  ResolverCache& cache = resolver_.cache();
  const ZoneKeys& keys = key_finder_.keys();
  uint64_t now = resolver_.clock().now_ms();
  Trust trust = msg.has_flag(dns::flag::AA) ? Trust::AuthAnswer : Trust::NonAuthAnswer;
  uint32_t ttl_cap = vr.verdict.is_secure() ? vr.ttl : 0;
  // Data fetched with checking disabled is not validated: it is not cached
  // as an answer, so no validating query ever takes it from the cache.
  const bool unchecked = res_.options.checking_disabled && resolver_.settings().validate;
  if (msg.has_flag(dns::flag::AA)) remember_child_ns(msg);
  for (const auto& [cut, reason] : vr.unsigned_cuts) {
    // The signed NSEC/NSEC3 proved the cut unsigned (or in an opt-out span):
    // the CNAME's target below it is insecure without asking for its DS
    // (Unbound: its NSEC cache).
    if (cache.find_ds(cut, now) != nullptr) continue;
    DsSet ds;
    ds.zone = cut;
    ds.verdict = Verdict::insecure(cut, reason,
                                   (reason == InsecureReason::OptOut ? "NSEC3 opt-out span over "
                                                                      : "no DS for ") +
                                       cut.to_text() + " (denial in " + zone_.to_text() + ")");
    ds.ttl = vr.ttl;
    cache.store_ds(ds, now);
  }
  // Past an alias only what validation vouched for is the target's answer
  // (answer_chain.h); otherwise the target is asked on its own.
  const std::optional<dns::Name> cut = unvouched_chain_cut(msg, vr, qname_, qtype_, forwarding_);
  // Cache the answer section's RRsets that this validation covered: in the
  // zone's bailiwick and the keys' zone, on the chain before any exit.
  // An ANY answer covers the RRsets at the name only (a CNAME there is
  // not followed), as does a cut chain.
  const auto covered = qtype_ == dns::rrtype::ANY || cut
                           ? std::vector<dns::Name>{qname_}
                           : chain_names(msg.answer, qname_,
                                         vr.kind == ResponseKind::CnameExit
                                             ? std::optional<dns::Name>(vr.next_name)
                                             : std::nullopt);
  for (const auto& set : group_rrsets(msg.answer)) {
    if (unchecked || vr.kind == ResponseKind::YxDomain || set.rdatas.empty() ||
        !set.owner.is_subdomain_of(zone_) || !set.owner.is_subdomain_of(keys.zone) ||
        (negative_anchor_ != nullptr && !set.owner.is_subdomain_of(*negative_anchor_))) {
      continue;
    }
    if (set.type != dns::rrtype::DNAME &&
        std::find(covered.begin(), covered.end(), set.owner) == covered.end()) {
      continue;
    }
    std::vector<dns::ResourceRecord> records;
    append_records(set, records);
    uint32_t ttl = ttl_cap > 0 ? std::min(set.ttl, ttl_cap) : set.ttl;
    cache.store_rrset(set.owner, set.type, std::move(records), ttl, trust, vr.verdict, now,
                      malformed_in_reply_ > 0);
  }
  if (priming_ && vr.kind == ResponseKind::Answer) store_priming_glue(msg);
  IterationOutcome o;
  o.verdict = vr.verdict;
  o.ttl = vr.ttl;
  o.answer = without_rrsigs(msg.answer, ttl_cap, qtype_ == dns::rrtype::RRSIG);
  if (cut) {
    o.kind = IterationOutcome::Kind::CnameExit;
    o.next_name = *cut;
    o.answer = without_rrsigs(first_link_records(msg.answer, qname_), ttl_cap);
    finish(std::move(o));
    return;
  }
  switch (vr.kind) {
    case ResponseKind::Answer: o.kind = IterationOutcome::Kind::Answer; break;
    case ResponseKind::CnameExit:
      o.kind = IterationOutcome::Kind::CnameExit;
      o.next_name = vr.next_name;
      break;
    case ResponseKind::YxDomain:
      // Not cached: the rcode is not validated (the verdict is Indeterminate).
      o.kind = IterationOutcome::Kind::YxDomain;
      break;
    default: {
      o.kind = vr.kind == ResponseKind::NxDomain ? IterationOutcome::Kind::NxDomain
                                                 : IterationOutcome::Kind::NoData;
      CachedNegative neg;
      neg.rcode = vr.kind == ResponseKind::NxDomain ? dns::rcode::NXDOMAIN : dns::rcode::NOERROR;
      neg.authority = msg.authority;
      neg.verdict = vr.verdict;
      o.authority = msg.authority;
      // Stored even with TTL 0: the positive data it denies goes either way.
      const dns::Name denied = chain_end(msg.answer, qname_);
      const bool outside_anchor = negative_anchor_ != nullptr && !denied.is_subdomain_of(*negative_anchor_);
      if (!unchecked && !outside_anchor) cache.store_negative(denied, qtype_, neg, vr.ttl, now);
      // Only secure NSECs, validated from a trust anchor (RFC 8198 §5.1).
      if (!unchecked && !outside_anchor && vr.verdict.is_secure() && validating() &&
          resolver_.settings().aggressive_nsec) {
        cache.nsecs().store(keys.zone, msg.authority, vr.secure_nsecs, vr.ttl, now);
      }
      break;
    }
  }
  finish(std::move(o));
}

// The NS set the zone's own servers name (authority section of their
// authoritative answer): a fallback when the servers the parent named
// fail, and without scrub_promiscuous the zone's cached NS RRset.
void Iteration::remember_child_ns(const dns::Message& msg) {
  std::vector<dns::ResourceRecord> ns;
  uint32_t ttl = UINT32_MAX;
  for (const auto& rr : msg.authority) {
    if (rr.type != dns::rrtype::NS || !(rr.owner == zone_)) continue;
    ns.push_back(rr);
    ttl = std::min(ttl, rr.ttl);
  }
  if (ns.empty()) return;
  const uint64_t now = resolver_.clock().now_ms();
  if (!resolver_.settings().scrub_promiscuous) {
    // Ranked above the parent's referral (RFC 2181 §5.4.1), never outliving
    // it (resolver_cache.h): the zone's own NS TTL takes over when shorter.
    resolver_.cache().store_rrset(zone_, dns::rrtype::NS, ns, ttl, Trust::AuthAuthority,
                                  Verdict::indeterminate("authority of an authoritative answer"), now);
  }
  resolver_.cache().store_other_side(zone_, dns::rrtype::NS, std::move(ns), ttl, now);
}

void Iteration::start_walk(const dns::ServerAddress& server, const dns::Message& msg,
                           const dns::Name& target) {
  KeyFinder::Step step = key_finder_.start_walk(target);
  if (step.kind == KeyFinder::Step::Kind::Bogus) {
    on_bogus(server, std::move(step.verdict));
    return;
  }
  held_ = msg;
  held_server_ = server;
  held_tried_ = tried_;
  on_key_step(server, std::move(step));
}

void Iteration::on_key_step(const dns::ServerAddress& server, KeyFinder::Step step) {
  switch (step.kind) {
    case KeyFinder::Step::Kind::Ask:
      state_ = State::FindingKeys;
      key_answer_failed_ = false;
      tried_.clear();
      next_server();
      return;
    case KeyFinder::Step::Kind::KeysReady:
      state_ = State::Querying;
      tried_.clear();
      next_server();
      return;
    case KeyFinder::Step::Kind::WalkEnded:
      state_ = State::Querying;
      resume_held_response();
      return;
    case KeyFinder::Step::Kind::ServerFailed:
      key_answer_failed_ = true;
      server_failed(server, step.why);
      return;
    case KeyFinder::Step::Kind::Bogus:
      on_bogus(server, std::move(step.verdict));
      return;
  }
}

bool Iteration::set_aside_last_resort(const dns::ServerAddress& server, const dns::Message& msg) {
  if (use_last_resort_ || msg.rcode() != dns::rcode::NOERROR) return false;
  const bool recursive = msg.has_flag(dns::flag::RA) && !msg.has_flag(dns::flag::AA);
  const bool recursion_lame = recursive && !msg.answer.empty();
  const bool empty = msg.answer.empty() && msg.authority.empty() && msg.additional.empty();
  // Neither data nor SOA nor a referral down: what a cache answers for a
  // name it does not hold when asked without RD.
  const bool recursion_lame_nothing =
      recursive && msg.answer.empty() && !empty &&
      std::none_of(msg.authority.begin(), msg.authority.end(), [&](const dns::ResourceRecord& rr) {
        return rr.type == dns::rrtype::SOA ||
               (rr.type == dns::rrtype::NS && rr.owner.is_subdomain_of(zone_) && !(rr.owner == zone_));
      });
  if (!recursion_lame && !recursion_lame_nothing && !empty) return false;
  if (!last_resort_) {
    last_resort_.emplace(server, msg);
    last_resort_asks_recursion_ = recursion_lame_nothing;
  }
  server_failed(server, recursion_lame ? "recursion lame (RA without AA), kept as a last resort"
                        : recursion_lame_nothing
                            ? "recursion lame (RA without AA, no SOA), to be asked with RD as a last resort"
                            : "empty answer, kept as a last resort");
  return true;
}

bool Iteration::walk_to_anchored_island(const dns::ServerAddress& server, const dns::Message& msg,
                                        const dns::Name& asked) {
  if (!resolver_.settings().validate) return false;
  // Only data the server serves as the island's (answers, or a negative
  // answer with its SOA), not a referral towards it.
  const bool has_soa = std::any_of(msg.authority.begin(), msg.authority.end(),
                                   [](const dns::ResourceRecord& rr) { return rr.type == dns::rrtype::SOA; });
  if (msg.answer.empty() && !has_soa) return false;
  const ZoneKeys& held = key_finder_.keys();
  if (!held.verdict.is_insecure() || held.verdict.insecure_reason != InsecureReason::NoTrustAnchor) {
    return false;
  }
  const dns::Name target = response_zone(msg, asked);
  const DsSet* anchor = resolver_.anchors().closest(target);
  if (anchor == nullptr || anchor->zone.labels() <= held.zone.labels() ||
      !target.is_subdomain_of(held.zone) || key_finder_.walked_to(target)) {
    return false;
  }
  start_walk(server, msg, target);
  return true;
}

// The walk found the keys of the zone that signed the held response: it is
// validated again with them.
void Iteration::resume_held_response() {
  tried_ = held_tried_;
  const dns::Name& keys_zone = key_finder_.keys().zone;
  if (!forwarding_ && keys_zone.is_subdomain_of(zone_)) {
    // The servers that sent the response serve the child too: we are in it now.
    zone_ = keys_zone;
    minimiser_.zone_moved_down(zone_);
  }
  dns::Message msg = std::move(*held_);
  held_.reset();
  on_response(held_server_, msg);
}

}  // namespace flatns::resolver
