// The Lookup's chain walk: keys for a zone no referral revealed (a child
// served by its parent's servers, or anything behind forwarders), built label
// by label from the keys held down to the zone that signed a response
// (RFC 4035 §5: the DS at each cut, then its DNSKEY; an unsigned delegation
// ends the chain as insecure). See resolution.h for where it sits.
#include <algorithm>

#include "dns/dnssec.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "resolver-client/resolution.h"

namespace flatns::resolver {

namespace {

// A walk per signer seen is plenty: a CNAME chain's later links get a Lookup
// of their own.
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

void Lookup::start_walk(const ServerAddress& server, const dns::Message& msg,
                        const dns::Name& target) {
  Resolver& r = res_.resolver;
  uint64_t now = r.clock_.now_ms();
  const bool forward = r.settings_.mode == ResolverMode::Forward;
  if ((walk_done_for_ && target == *walk_done_for_) || ++walks_ > kMaxWalks ||
      (!forward && !target.is_subdomain_of(keys_.zone))) {
    // The keys are as far down as the DS records lead: data signed by a
    // zone below them has no chain of trust.
    on_bogus(server, Verdict::bogus(target, BogusReason::NoDnskey,
                                    "signed by " + target.to_text() +
                                        ", but no chain of trust from " + keys_.zone.to_text() +
                                        " leads to its keys"));
    return;
  }
  pending_ = msg;
  pending_server_ = server;
  walk_target_ = target;
  query_tried_ = tried_;
  // Start at the deepest zone on the way whose keys (or insecurity) are
  // known: the keys held (recursive mode), cached keys, a cached insecure
  // cut, or a trust anchor (forward mode starts from the anchors each time).
  for (dns::Name n = target;; n = n.parent()) {
    if (!forward && n == keys_.zone) {
      walk_at_ = n;
      break;
    }
    if (const ZoneKeys* k = r.cache_.find_keys(n, now)) {
      keys_ = *k;
      walk_at_ = n;
      break;
    }
    const DsSet* ds = r.cache_.find_ds(n, now);
    if (ds != nullptr && ds->verdict.is_insecure()) {
      keys_ = insecure_keys(n, ds->verdict.insecure_reason, ds->verdict.detail);
      keys_.verdict = ds->verdict;
      walk_at_ = n;
      break;
    }
    if (const DsSet* anchor = r.anchors_.find(n)) {
      ds_ = *anchor;
      walk_at_ = n;
      phase_ = Phase::Keys;
      tried_.clear();
      next_server();
      return;
    }
    if (n.is_root()) {
      keys_ = insecure_keys(target, InsecureReason::NoTrustAnchor,
                            "no trust anchor covers " + target.to_text());
      walk_at_ = target;
      break;
    }
  }
  walk_step();
}

void Lookup::walk_step() {
  Resolver& r = res_.resolver;
  uint64_t now = r.clock_.now_ms();
  while (keys_.verdict.is_secure() && !(walk_at_ == *walk_target_)) {
    dns::Name next = ancestor_with_labels(*walk_target_, walk_at_.labels() + 1);
    if (const ZoneKeys* k = r.cache_.find_keys(next, now)) {
      keys_ = *k;
      walk_at_ = next;
      continue;
    }
    if (const DsSet* ds = r.cache_.find_ds(next, now)) {
      if (ds->verdict.is_secure()) {
        ds_ = *ds;
        phase_ = Phase::Keys;
        tried_.clear();
        next_server();
        return;
      }
      if (ds->verdict.is_insecure()) {
        keys_ = insecure_keys(next, ds->verdict.insecure_reason, ds->verdict.detail);
        keys_.verdict = ds->verdict;
        walk_at_ = next;
        break;
      }
    }
    const CachedNegative* no_cut = r.cache_.find_negative(next, dns::rrtype::DS, now);
    if (no_cut != nullptr && no_cut->rcode == dns::rcode::NOERROR && no_cut->verdict.is_secure()) {
      walk_at_ = next;
      continue;
    }
    ds_name_ = next;
    phase_ = Phase::Ds;
    tried_.clear();
    next_server();
    return;
  }
  end_walk();
}

void Lookup::on_ds(const ServerAddress& server, const dns::Message& msg) {
  Resolver& r = res_.resolver;
  uint64_t now = r.clock_.now_ms();
  if (msg.rcode() != dns::rcode::NOERROR && msg.rcode() != dns::rcode::NXDOMAIN) {
    server_failed(server, "DS query for " + ds_name_.to_text() + " answered " + dns::rcode_to_text(msg.rcode()));
    return;
  }
  ValidationContext ctx = res_.validation_context();
  ValidatedResponse vr = validate_response(msg, ds_name_, dns::rrtype::DS, keys_, ctx);
  if (vr.verdict.is_bogus()) {
    on_bogus(server, vr.verdict);
    return;
  }
  const Verdict& cut = vr.delegation.verdict;
  if (vr.kind == ResponseKind::Answer && cut.is_secure() && !vr.delegation.ds.empty()) {
    ds_ = vr.delegation;
    ds_.zone = ds_name_;
    r.cache_.store_ds(ds_, now);
    phase_ = Phase::Keys;
    tried_.clear();
    next_server();
    return;
  }
  const bool proven = vr.verdict.is_secure();
  if (vr.kind == ResponseKind::NoData && proven && !vr.ds_denied_at_cut) {
    // A name inside keys_.zone, no zone cut: go one label further down.
    CachedNegative neg;
    neg.rcode = dns::rcode::NOERROR;
    neg.authority = msg.authority;
    neg.verdict = vr.verdict;
    if (vr.ttl > 0) r.cache_.store_negative(ds_name_, dns::rrtype::DS, neg, vr.ttl, now);
    walk_at_ = ds_name_;
    walk_step();
    return;
  }
  if (vr.kind == ResponseKind::NoData && (proven || vr.verdict.is_insecure()) &&
      cut.is_insecure()) {
    // An unsigned delegation (or one in an NSEC3 opt-out span): everything
    // below it is insecure.
    DsSet ds = vr.delegation;
    ds.zone = ds_name_;
    r.cache_.store_ds(ds, now);
    keys_ = insecure_keys(ds_name_, cut.insecure_reason, cut.detail);
    keys_.verdict = cut;
    walk_at_ = ds_name_;
    end_walk();
    return;
  }
  if (vr.kind == ResponseKind::NxDomain && proven) {
    on_bogus(server, Verdict::bogus(*walk_target_, BogusReason::BadDenial,
                                    ds_name_.to_text() + " does not exist (NXDOMAIN from " +
                                        keys_.zone.to_text() + "), yet data is signed below it"));
    return;
  }
  server_failed(server, "DS answer for " + ds_name_.to_text() + " unusable (" +
                            std::string(to_string(vr.kind)) + ", " + vr.verdict.to_text() + ")");
}

void Lookup::end_walk() {
  Resolver& r = res_.resolver;
  walk_done_for_ = walk_target_;
  walk_target_.reset();
  phase_ = Phase::Query;
  tried_ = query_tried_;
  if (r.settings_.mode == ResolverMode::Recursive && keys_.zone.is_subdomain_of(zone_)) {
    // The servers that sent the response serve the child too: we are in it now.
    zone_ = keys_.zone;
    known_labels_ = std::max<unsigned>(known_labels_, static_cast<unsigned>(zone_.labels()));
  }
  dns::Message msg = std::move(*pending_);
  pending_.reset();
  on_response(pending_server_, msg);
}

}  // namespace flatns::resolver
