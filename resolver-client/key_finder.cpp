#include "resolver-client/key_finder.h"

#include <algorithm>

#include "dns/rcode.h"
#include "dns/dnssec.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "resolver-client/resolution.h"

namespace flatns::resolver {

namespace {

// A walk per signer seen is plenty: a CNAME chain's later links get an
// Iteration of their own.
constexpr unsigned kMaxWalks = 3;

dns::Name ancestor_with_labels(const dns::Name& name, int labels) {
  dns::Name out;
  (void)dns::Name::from_wire(dns::strip_labels(name.wire(), name.labels() - labels), out);
  return out;
}

std::optional<dns::Name> signer_of(const dns::ResourceRecord& rrsig) {
  dns::RrsigRdata sig;
  dns::Name signer;
  if (!dns::parse_rrsig(rrsig.rdata, sig) || !dns::Name::from_wire(sig.signer, signer)) {
    return std::nullopt;
  }
  return signer;
}

}  // namespace

dns::Name response_zone(const dns::Message& response, const dns::Name& qname) {
  bool unsigned_answer = false;
  for (const auto& rr : response.answer) {
    if (rr.type != dns::rrtype::RRSIG) {
      unsigned_answer = unsigned_answer || rr.owner == qname ||
                        (rr.type == dns::rrtype::DNAME && qname.is_subdomain_of(rr.owner));
      continue;
    }
    dns::RrsigRdata sig;
    const bool at_qname = rr.owner == qname;
    const bool dname_above = qname.is_subdomain_of(rr.owner) && dns::parse_rrsig(rr.rdata, sig) &&
                             sig.type_covered == dns::rrtype::DNAME;
    if (!at_qname && !dname_above) continue;
    if (auto signer = signer_of(rr); signer && qname.is_subdomain_of(*signer)) return *signer;
  }
  if (unsigned_answer) return qname;
  std::optional<dns::Name> soa_owner;
  for (const auto& rr : response.authority) {
    if (rr.type == dns::rrtype::SOA && qname.is_subdomain_of(rr.owner)) soa_owner = rr.owner;
    if (rr.type != dns::rrtype::RRSIG) continue;
    dns::RrsigRdata sig;
    if (!dns::parse_rrsig(rr.rdata, sig)) continue;
    if (sig.type_covered != dns::rrtype::SOA && sig.type_covered != dns::rrtype::NSEC &&
        sig.type_covered != dns::rrtype::NSEC3) {
      continue;
    }
    if (auto signer = signer_of(rr); signer && qname.is_subdomain_of(*signer)) return *signer;
  }
  return soa_owner ? *soa_owner : qname;
}

void KeyFinder::enter_zone(const dns::Name& zone, const DsSet* ds, bool forwarded) {
  const Resolver& r = resolver_;
  state_ = State::Ready;
  forwarded_ = forwarded;
  if (!r.settings().validate) {
    keys_ = insecure_keys(zone, InsecureReason::NoTrustAnchor, "validation is off");
    return;
  }
  if (checking_disabled_) {
    keys_ = insecure_keys(zone, InsecureReason::NotValidated, "checking disabled (CD=1)");
    return;
  }
  if (negative_anchor_ != nullptr) {
    keys_ = insecure_keys(zone, InsecureReason::NegativeTrustAnchor,
                          "negative trust anchor " + negative_anchor_->to_text() + " (resolver.insecure_domains)");
    return;
  }
  if (const ZoneKeys* k = resolver_.cache().find_keys(zone, resolver_.clock().now_ms())) {
    keys_ = *k;
    return;
  }
  if (ds == nullptr) {
    keys_ = insecure_keys(zone, InsecureReason::NoTrustAnchor,
                          "no trust anchor or DS covers " + zone.to_text());
    return;
  }
  ds_ = *ds;
  if (ds_.verdict.is_secure()) {
    state_ = State::FetchDnskey;
    return;
  }
  keys_ = insecure_keys(zone, ds_.verdict.insecure_reason, ds_.verdict.detail);
  keys_.verdict = ds_.verdict;
}

const dns::Name& KeyFinder::question_name() const {
  return state_ == State::FetchDs ? ds_name_ : ds_.zone;
}

uint16_t KeyFinder::question_type() const {
  return state_ == State::FetchDs ? dns::rrtype::DS : dns::rrtype::DNSKEY;
}

KeyFinder::Step KeyFinder::ask(State state) {
  state_ = state;
  return Step{};
}

KeyFinder::Step KeyFinder::failed(std::string why) {
  Step s;
  s.kind = Step::Kind::ServerFailed;
  s.why = std::move(why);
  return s;
}

KeyFinder::Step KeyFinder::bogus(Verdict verdict) {
  Step s;
  s.kind = Step::Kind::Bogus;
  s.verdict = std::move(verdict);
  return s;
}

KeyFinder::Step KeyFinder::on_reply(const dns::Message& msg, ValidationContext ctx) {
  switch (state_) {
    case State::FetchDnskey: return on_dnskey(msg, ctx);
    case State::FetchDs: return on_ds(msg, ctx);
    case State::Ready: break;
  }
  return failed("reply to a key query no longer asked");
}

KeyFinder::Step KeyFinder::on_dnskey(const dns::Message& msg, ValidationContext& ctx) {
  if (msg.rcode() != dns::rcode::NOERROR) {
    return failed("DNSKEY query answered " + dns::rcode_to_text(msg.rcode()));
  }
  ZoneKeys keys = validate_dnskey_response(msg, ds_, ctx);
  if (keys.verdict.is_bogus()) return bogus(keys.verdict);
  if (keys.verdict.security == Security::Indeterminate) {
    return failed("DNSKEY answer unusable: " + keys.verdict.detail);
  }
  keys_ = std::move(keys);
  resolver_.cache().store_keys(keys_, resolver_.clock().now_ms());
  if (walk_target_) {
    walk_at_ = keys_.zone;
    return walk_step();
  }
  state_ = State::Ready;
  Step s;
  s.kind = Step::Kind::KeysReady;
  return s;
}

KeyFinder::Step KeyFinder::start_walk(const dns::Name& target) {
  ResolverCache& cache = resolver_.cache();
  uint64_t now = resolver_.clock().now_ms();
  const bool forward = forwarded_;
  if (walked_to(target) || ++walks_ > kMaxWalks ||
      (!forward && !target.is_subdomain_of(keys_.zone))) {
    // The keys are as far down as the DS records lead: data signed by a
    // zone below them has no chain of trust.
    return bogus(Verdict::bogus(target, BogusReason::NoDnskey,
                                "signed by " + target.to_text() + ", but no chain of trust from " +
                                    keys_.zone.to_text() + " leads to its keys"));
  }
  walk_target_ = target;
  // Start at the deepest zone on the way whose keys (or insecurity) are
  // known: the keys held (recursive mode), cached keys, a cached insecure
  // cut, or a trust anchor (forward mode starts from the anchors each time).
  for (dns::Name n = target;; n = n.parent()) {
    if (!forward && n == keys_.zone) {
      walk_at_ = n;
      break;
    }
    if (const ZoneKeys* k = cache.find_keys(n, now)) {
      keys_ = *k;
      walk_at_ = n;
      break;
    }
    const DsSet* ds = cache.find_ds(n, now);
    if (ds != nullptr && ds->verdict.is_insecure()) {
      keys_ = insecure_keys(n, ds->verdict.insecure_reason, ds->verdict.detail);
      keys_.verdict = ds->verdict;
      walk_at_ = n;
      break;
    }
    if (const DsSet* anchor = resolver_.anchors().find(n)) {
      ds_ = *anchor;
      walk_at_ = n;
      return ask(State::FetchDnskey);
    }
    if (n.is_root()) {
      keys_ = insecure_keys(target, InsecureReason::NoTrustAnchor,
                            "no trust anchor covers " + target.to_text());
      walk_at_ = target;
      break;
    }
  }
  return walk_step();
}

KeyFinder::Step KeyFinder::walk_step() {
  ResolverCache& cache = resolver_.cache();
  uint64_t now = resolver_.clock().now_ms();
  while (keys_.verdict.is_secure() && !(walk_at_ == *walk_target_)) {
    dns::Name next = ancestor_with_labels(*walk_target_, walk_at_.labels() + 1);
    if (const ZoneKeys* k = cache.find_keys(next, now)) {
      keys_ = *k;
      walk_at_ = next;
      continue;
    }
    if (const DsSet* ds = cache.find_ds(next, now)) {
      if (ds->verdict.is_secure()) {
        ds_ = *ds;
        return ask(State::FetchDnskey);
      }
      if (ds->verdict.is_insecure()) {
        keys_ = insecure_keys(next, ds->verdict.insecure_reason, ds->verdict.detail);
        keys_.verdict = ds->verdict;
        walk_at_ = next;
        break;
      }
    }
    const CachedNegative* no_cut = cache.find_negative(next, dns::rrtype::DS, now);
    if (no_cut != nullptr && no_cut->rcode == dns::rcode::NOERROR && no_cut->verdict.is_secure()) {
      walk_at_ = next;
      continue;
    }
    ds_name_ = next;
    return ask(State::FetchDs);
  }
  return end_walk();
}

KeyFinder::Step KeyFinder::on_ds(const dns::Message& msg, ValidationContext& ctx) {
  ResolverCache& cache = resolver_.cache();
  uint64_t now = resolver_.clock().now_ms();
  if (msg.rcode() != dns::rcode::NOERROR && msg.rcode() != dns::rcode::NXDOMAIN) {
    return failed("DS query for " + ds_name_.to_text() + " answered " + dns::rcode_to_text(msg.rcode()));
  }
  ValidatedResponse vr = validate_response(msg, ds_name_, dns::rrtype::DS, keys_, ctx);
  if (vr.verdict.is_bogus()) return bogus(vr.verdict);
  const Verdict& cut = vr.delegation.verdict;
  if (vr.kind == ResponseKind::Answer && cut.is_secure() && !vr.delegation.ds.empty()) {
    ds_ = vr.delegation;
    ds_.zone = ds_name_;
    cache.store_ds(ds_, now);
    return ask(State::FetchDnskey);
  }
  const bool proven = vr.verdict.is_secure();
  // An NSEC3 opt-out span covering the name (RFC 5155 §6) proves no cut
  // absent: the name may be an unsigned delegation, so it ends the walk below.
  const bool opt_out = cut.is_insecure() && cut.insecure_reason == InsecureReason::OptOut;
  if (vr.kind == ResponseKind::NoData && proven && !vr.ds_denied_at_cut && !opt_out) {
    // A name inside keys_.zone, no zone cut: go one label further down.
    CachedNegative neg;
    neg.rcode = dns::rcode::NOERROR;
    neg.authority = msg.authority;
    neg.verdict = vr.verdict;
    if (vr.ttl > 0) cache.store_negative(ds_name_, dns::rrtype::DS, neg, vr.ttl, now);
    walk_at_ = ds_name_;
    return walk_step();
  }
  if (vr.kind == ResponseKind::NoData && (proven || vr.verdict.is_insecure()) &&
      cut.is_insecure()) {
    // An unsigned delegation (or one in an NSEC3 opt-out span): everything
    // below it is insecure.
    DsSet ds = vr.delegation;
    ds.zone = ds_name_;
    cache.store_ds(ds, now);
    keys_ = insecure_keys(ds_name_, cut.insecure_reason, cut.detail);
    keys_.verdict = cut;
    walk_at_ = ds_name_;
    return end_walk();
  }
  if (vr.kind == ResponseKind::NxDomain && proven) {
    return bogus(Verdict::bogus(*walk_target_, BogusReason::BadDenial,
                                ds_name_.to_text() + " does not exist (NXDOMAIN from " +
                                    keys_.zone.to_text() + "), yet data is signed below it"));
  }
  return failed("DS answer for " + ds_name_.to_text() + " unusable (" +
                std::string(to_string(vr.kind)) + ", " + vr.verdict.to_text() + ")");
}

KeyFinder::Step KeyFinder::end_walk() {
  walk_done_for_ = walk_target_;
  walk_target_.reset();
  state_ = State::Ready;
  Step s;
  s.kind = Step::Kind::WalkEnded;
  return s;
}

}  // namespace flatns::resolver
