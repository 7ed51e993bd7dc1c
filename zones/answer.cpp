#include "zones/answer.h"

#include <cstring>

#include "dns/limits.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "zones/denial.h"
#include "zones/emit.h"
#include "zones/lookup.h"

namespace flatns::zones {

namespace {

using dns::NameView;
using dns::Section;
namespace rrtype = dns::rrtype;

// Types held in zone files for flattening: never shown on the wire.
bool hidden_type(uint16_t t) { return t == rrtype::ALIAS || t == rrtype::ANAME; }

// A wire name buffer (like dns::NameBuffer, not zero-filled): the Answerer
// holds twenty of them.
struct NameSlot {
  uint8_t bytes[dns::kMaxNameLength];
  uint8_t length;
  NameView view() const { return {bytes, length}; }
  void assign(NameView n) {
    std::memcpy(bytes, n.data(), n.size());
    length = static_cast<uint8_t>(n.size());
  }
};

// The name the answer ended at (after CNAMEs and DNAMEs): what the authority
// and additional stages write about.
struct Landing {
  const Zone* zone = nullptr;
  NameView name;
  const Node* node = nullptr;      // NoData: the name's node; Delegation: the zone cut
  const Node* wildcard = nullptr;  // NoData at a wildcard: the "*" node that matched
  const Node* closest_encloser = nullptr;
  const RRset* glue_for = nullptr;  // Hit: an NS answer, whose addresses go in additional
};

class Answerer {
 public:
  Answerer(const ZoneSet& zones, const dns::Query& q, dns::ResponseBuilder& rb, AnswerHook* hook)
      : zones_(zones), q_(q), rb_(rb), dnssec_(q.edns.dnssec_ok), hook_(hook) {}

  void run(const Zone& zone, const dns::NameHashes& qname_hashes);

 private:
  // The stages (Knot's internet.c solve_*), each taking the found-state.
  Found solve_answer(const Zone& zone, const dns::NameHashes& qname_hashes);
  Found solve_authority(Found state);
  Found solve_authority_dnssec(Found state);
  void solve_additional(Found state);

  // The answer section, one name at a time.
  Found answer_name(const Zone& z, const dns::NameHashes& name);
  Found follow_dname(const Zone& z, const Node* dname_node, NameView name);
  Found answer_at(const Zone& z, const Node* node, bool wildcard, const Node* closest_encloser,
                  NameView name);
  Found answer_any(const Zone& z, const Node* node, bool wildcard, const Node* ce, NameView name);
  Found answer_rrsigs(const Zone& z, const Node* node, bool wildcard, const Node* ce, NameView name);
  Found follow_cname(const Zone& z, const Node* node, const RRset& cname, bool wildcard,
                     const Node* ce, NameView name);
  Found answer_flattened(const Zone& z, const Node* node, NameView name);
  Found hit(const Zone& z, const RRset* glue_for);
  Found nodata(const Zone& z, const Node* node, NameView name, const Node* wildcard,
               const Node* closest_encloser);
  Found nxdomain(const Zone& z, NameView name, const Node* closest_encloser);
  Found referral(const Zone& z, const Node* cut, NameView name);

  // Authority and additional.
  void add_soa(const Zone& z);
  void add_addresses(const Zone& z, NameView target);
  void defer_wildcard_proof(const Zone& z, NameView name, const Node* closest_encloser);
  void prove_wildcards();
  void prove(DenialPoint::Kind kind, const Zone& z, NameView name, const Node* node,
             const Node* wildcard, const Node* closest_encloser);

  // Writes a zone RRset and, with DO=1, the RRSIGs covering it (the answer
  // and additional twins). False when it did not fit.
  bool put(const Zone& z, Section s, NameView owner, const RRset& set, bool required = true,
           uint32_t sig_ttl_cap = UINT32_MAX);
  bool sign(const Zone& z, Section s, NameView owner, const RRset& set, bool required,
            uint32_t sig_ttl_cap);
  Found written(bool ok) const { return ok ? Found::Hit : Found::Truncated; }

  const ZoneSet& zones_;
  const dns::Query& q_;
  dns::ResponseBuilder& rb_;
  const bool dnssec_;
  AnswerHook* hook_;
  Landing landing_;
  // The name being answered (after CNAMEs): the query name, a CNAME target
  // in the zone's rdata, or a DNAME synthesis in one of two buffers (the
  // next synthesis reads the previous one).
  NameView current_;
  dns::NameHashes followed_;  // the suffix hashes of current_ after a CNAME or DNAME
  NameSlot synthesized_[2];
  int next_synthesized_ = 0;
  unsigned chain_ = 0;
  const Node* visited_[dns::kMaxCnameChain + 1];  // CNAME owners, to stop at a loop; [0, chain_) set
  // Wildcard answers along the chain, proven in authority once the whole
  // chain is in the answer section.
  struct PendingProof {
    const Zone* zone;
    NameSlot name;
    const Node* closest_encloser;
  };
  PendingProof pending_[dns::kMaxCnameChain + 1];  // [0, pending_proofs_) set
  unsigned pending_proofs_ = 0;
};

void Answerer::run(const Zone& zone, const dns::NameHashes& qname_hashes) {
  rb_.set_aa(true);
  current_ = q_.qname.view();
  const Zone* z = &zone;
  // RFC 4035 §3.1.4.1: DS lives in the parent; answer it there when we serve it.
  if (q_.qtype == rrtype::DS && dns::name_equal(current_, z->origin().wire())) {
    const dns::NameView parent_name = dns::strip_labels(current_, 1);
    if (!z->origin().is_root()) {
      if (const Zone* parent = zones_.find(parent_name)) z = parent;
    }
  }
  Found state = solve_answer(*z, qname_hashes);
  if (state == Found::Held) return;
  state = solve_authority(state);
  if (dnssec_) state = solve_authority_dnssec(state);
  solve_additional(state);
}

// --- answer ------------------------------------------------------------------

Found Answerer::solve_answer(const Zone& zone, const dns::NameHashes& qname_hashes) {
  const Zone* z = &zone;
  const dns::NameHashes* hashes = &qname_hashes;
  while (true) {
    const Found state = answer_name(*z, *hashes);
    if (state != Found::Follow) return state;
    followed_.compute(current_);
    hashes = &followed_;
    z = zones_.find(followed_);
    if (++chain_ > dns::kMaxCnameChain || !z) return Found::Hit;  // outside our zones: the resolver's job
  }
}

Found Answerer::answer_name(const Zone& z, const dns::NameHashes& hashes) {
  const NameView name = hashes.name();
  const NameMatch found = lookup(z, hashes, q_.qtype);
  switch (found.kind) {
    case NameMatch::Kind::Dname:
      return follow_dname(z, found.node, name);
    case NameMatch::Kind::Delegation:
      return referral(z, found.node, name);
    case NameMatch::Kind::Exact:
      return answer_at(z, found.node, false, found.closest_encloser, name);
    case NameMatch::Kind::Wildcard:
      return answer_at(z, found.node, true, found.closest_encloser, name);
    case NameMatch::Kind::NxDomain:
      if (!found.closest_encloser) return Found::Failed;  // not in `z`: the zone choice prevents it
      return nxdomain(z, name, found.closest_encloser);
  }
  return Found::Failed;
}

Found Answerer::follow_dname(const Zone& z, const Node* node, NameView name) {
  const RRset* dname = z.rrset(node, rrtype::DNAME);
  if (!put(z, Section::Answer, z.name(node), *dname)) return Found::Truncated;
  std::optional<NameView> target;
  z.records(*dname).for_each([&](std::span<const uint8_t> rdata) {
    target = dns::rdata_target_name(rrtype::DNAME, rdata);
  });
  if (!target) return hit(z, nullptr);
  // The synthesized CNAME: the labels below the DNAME owner, then the target.
  const std::size_t prefix = name.size() - z.name(node).size();
  if (prefix + target->size() > dns::kMaxNameLength) {
    rb_.set_rcode(dns::rcode::YXDOMAIN);
    return hit(z, nullptr);
  }
  NameSlot& synthesized = synthesized_[next_synthesized_];
  next_synthesized_ ^= 1;
  std::memcpy(synthesized.bytes, name.data(), prefix);
  std::memcpy(synthesized.bytes + prefix, target->data(), target->size());
  synthesized.length = static_cast<uint8_t>(prefix + target->size());
  if (rb_.truncated() ||
      !rb_.add(Section::Answer, name, rrtype::CNAME, dns::rrclass::IN, dname->ttl,
               synthesized.view())) {
    rb_.set_tc();
    return Found::Truncated;
  }
  current_ = synthesized.view();
  return Found::Follow;
}

Found Answerer::answer_at(const Zone& z, const Node* node, bool wildcard, const Node* ce,
                          NameView name) {
  const uint16_t qtype = q_.qtype;
  if (hook_ && !wildcard && chain_ == 0 && is_flattened(z, node)) {
    return answer_flattened(z, node, name);
  }
  if (qtype == rrtype::ANY) return answer_any(z, node, wildcard, ce, name);
  if (qtype == rrtype::RRSIG) return answer_rrsigs(z, node, wildcard, ce, name);
  if (!hidden_type(qtype)) {
    if (const RRset* set = z.rrset(node, qtype)) {
      if (!put(z, Section::Answer, name, *set)) return Found::Truncated;
      if (wildcard) defer_wildcard_proof(z, name, ce);
      return hit(z, set);
    }
  }
  if (qtype != rrtype::CNAME) {
    if (const RRset* cname = z.rrset(node, rrtype::CNAME)) {
      return follow_cname(z, node, *cname, wildcard, ce, name);
    }
  }
  return nodata(z, node, name, wildcard ? node : nullptr, ce);
}

// RFC 8482 §4.1: answer with one RRset rather than all of them.
Found Answerer::answer_any(const Zone& z, const Node* node, bool wildcard, const Node* ce,
                           NameView name) {
  for (const RRset& set : z.rrsets(node)) {
    if (hidden_type(set.type) || set.type == rrtype::RRSIG) continue;
    const bool ok = put(z, Section::Answer, name, set);
    if (wildcard) defer_wildcard_proof(z, name, ce);
    return written(ok);
  }
  return nodata(z, node, name, wildcard ? node : nullptr, ce);
}

// RFC 4035 §3.1.5: all RRSIGs at the name, each set with its own TTL.
Found Answerer::answer_rrsigs(const Zone& z, const Node* node, bool wildcard, const Node* ce,
                              NameView name) {
  bool any = false;
  for (const RRset& set : z.rrsets(node)) {
    const SigSet* sigs = z.sigs(set);
    if (!sigs || hidden_type(set.type)) continue;
    if (!emit_signatures(z, rb_, Section::Answer, name, *sigs, true)) return Found::Truncated;
    any = true;
  }
  if (!any) return nodata(z, node, name, wildcard ? node : nullptr, ce);
  if (wildcard) defer_wildcard_proof(z, name, ce);
  return Found::Hit;
}

Found Answerer::follow_cname(const Zone& z, const Node* node, const RRset& cname, bool wildcard,
                             const Node* ce, NameView name) {
  for (unsigned i = 0; i < chain_; ++i) {
    if (visited_[i] == node) return hit(z, nullptr);  // a loop: each record is shown once
  }
  visited_[chain_] = node;
  if (!put(z, Section::Answer, name, cname)) return Found::Truncated;
  if (wildcard) defer_wildcard_proof(z, name, ce);
  std::optional<NameView> target;
  z.records(cname).for_each(
      [&](std::span<const uint8_t> rdata) { target = dns::rdata_target_name(rrtype::CNAME, rdata); });
  if (!target) return hit(z, nullptr);
  current_ = *target;  // in the zone's rdata, which outlives the answer
  return Found::Follow;
}

// A name that flattens: the hook answers first (A and AAAA); other types are
// served from the zone, and the CNAME itself is never shown.
Found Answerer::answer_flattened(const Zone& z, const Node* node, NameView name) {
  const uint16_t qtype = q_.qtype;
  const Found hooked = hook_->pre_answer(AnswerPoint{zones_, z, node, q_}, rb_);
  if (hooked == Found::NoData) return nodata(z, node, name, nullptr, node);
  if (hooked != Found::Begin) return hooked;
  for (const RRset& set : z.rrsets(node)) {
    if (set.type == rrtype::CNAME || hidden_type(set.type) || set.type == rrtype::RRSIG) continue;
    if (set.type == qtype || qtype == rrtype::ANY) {
      if (!put(z, Section::Answer, name, set)) return Found::Truncated;
      return hit(z, &set);
    }
  }
  // A flattened CNAME is never shown: its type, and any type the name lacks, is NODATA.
  return nodata(z, node, name, nullptr, node);
}

Found Answerer::hit(const Zone& z, const RRset* glue_for) {
  landing_.zone = &z;
  landing_.glue_for = glue_for && glue_for->type == rrtype::NS ? glue_for : nullptr;
  return Found::Hit;
}

Found Answerer::nodata(const Zone& z, const Node* node, NameView name, const Node* wildcard,
                       const Node* ce) {
  if (rb_.count(Section::Answer) == 0) rb_.set_rcode(dns::rcode::NOERROR);
  landing_ = Landing{&z, name, node, wildcard, ce, nullptr};
  return Found::NoData;
}

Found Answerer::nxdomain(const Zone& z, NameView name, const Node* ce) {
  // RFC 6604 §2.1: after a CNAME chain the rcode describes the last name.
  rb_.set_rcode(dns::rcode::NXDOMAIN);
  landing_ = Landing{&z, name, nullptr, nullptr, ce, nullptr};
  return Found::NxDomain;
}

Found Answerer::referral(const Zone& z, const Node* cut, NameView name) {
  if (rb_.count(Section::Answer) == 0) rb_.set_aa(false);
  landing_ = Landing{&z, name, cut, nullptr, nullptr, nullptr};
  return Found::Delegation;
}

// --- authority ---------------------------------------------------------------

Found Answerer::solve_authority(Found state) {
  if (rb_.truncated()) return Found::Truncated;
  switch (state) {
    case Found::NoData:
    case Found::NxDomain:
      add_soa(*landing_.zone);
      break;
    case Found::Delegation: {
      const Zone& z = *landing_.zone;
      const RRset* ns = z.rrset(landing_.node, rrtype::NS);
      if (!ns) return Found::Failed;
      if (!put(z, Section::Authority, z.name(landing_.node), *ns)) return Found::Truncated;
      landing_.glue_for = ns;
      break;
    }
    default:
      break;
  }
  return rb_.truncated() ? Found::Truncated : state;
}

// RFC 4035 §3.1.3 and §3.1.4: the proofs for the state, then those of the
// wildcards the chain went through (the only place they are written).
Found Answerer::solve_authority_dnssec(Found state) {
  if (state == Found::Truncated || state == Found::Failed) return state;
  const Landing& l = landing_;
  switch (state) {
    case Found::NoData:
      prove(DenialPoint::Kind::NoData, *l.zone, l.name, l.node, l.wildcard, l.closest_encloser);
      break;
    case Found::NxDomain:
      prove(DenialPoint::Kind::NxDomain, *l.zone, l.name, nullptr, nullptr, l.closest_encloser);
      break;
    case Found::Delegation:
      if (const RRset* ds = l.zone->rrset(l.node, rrtype::DS)) {
        put(*l.zone, Section::Authority, l.zone->name(l.node), *ds);
      } else {
        prove(DenialPoint::Kind::NoDs, *l.zone, l.zone->name(l.node), l.node, nullptr, nullptr);
      }
      break;
    default:
      break;
  }
  prove_wildcards();
  return rb_.truncated() ? Found::Truncated : state;
}

void Answerer::add_soa(const Zone& z) {
  RRset soa;
  if (negative_soa(z, soa)) put(z, Section::Authority, z.name(z.apex()), soa, true, soa.ttl);
}

void Answerer::defer_wildcard_proof(const Zone& z, NameView name, const Node* ce) {
  if (!dnssec_ || pending_proofs_ >= dns::kMaxCnameChain + 1) return;
  PendingProof& p = pending_[pending_proofs_++];
  p.zone = &z;
  p.name.assign(name);
  p.closest_encloser = ce;
}

void Answerer::prove_wildcards() {
  for (unsigned i = 0; i < pending_proofs_; ++i) {
    const PendingProof& p = pending_[i];
    prove(DenialPoint::Kind::WildcardAnswer, *p.zone, p.name.view(), nullptr, nullptr,
          p.closest_encloser);
  }
  pending_proofs_ = 0;
}

// The hook's denial (compact denial of an online signer) or the zone's stored proofs.
void Answerer::prove(DenialPoint::Kind kind, const Zone& z, NameView name, const Node* node,
                     const Node* wildcard, const Node* ce) {
  if (rb_.truncated()) return;
  const DenialPoint what{kind, z, name, node, wildcard, ce, q_.qtype, &zones_, &q_};
  if (hook_ && hook_->stages().denies && hook_->deny(what, rb_)) return;
  zones::prove(what, rb_);
}

// --- additional --------------------------------------------------------------

// Minimal responses, as NSD with minimal-responses and Knot answer: the
// additional section only carries the addresses of name servers (referral
// glue and NS answers), and only from the same zone.
void Answerer::solve_additional(Found state) {
  if (state != Found::Hit && state != Found::Delegation) return;
  const RRset* ns = landing_.glue_for;
  if (!ns || rb_.truncated()) return;
  const Zone& z = *landing_.zone;
  z.records(*ns).for_each([&](std::span<const uint8_t> rdata) {
    if (auto target = dns::rdata_target_name(rrtype::NS, rdata)) add_addresses(z, *target);
  });
}

void Answerer::add_addresses(const Zone& z, NameView target) {
  if (!dns::is_subdomain(target, z.origin().wire())) return;
  const Node* node = z.find(target);
  if (!node) return;
  for (uint16_t t : {rrtype::A, rrtype::AAAA}) {
    if (const RRset* set = z.rrset(node, t)) {
      put(z, Section::Additional, target, *set, /*required=*/false);
    }
  }
}

// --- writing -----------------------------------------------------------------

bool Answerer::put(const Zone& z, Section s, NameView owner, const RRset& set, bool required,
                   uint32_t sig_ttl_cap) {
  if (!emit_records(z, rb_, s, owner, set, required)) return false;
  return !dnssec_ || sign(z, s, owner, set, required, sig_ttl_cap);
}

// The DNSSEC twin of each RRset written (RFC 4035 §3.1.1): the hook's
// signatures (an online signer) or the zone's stored RRSIGs.
bool Answerer::sign(const Zone& z, Section s, NameView owner, const RRset& set, bool required,
                    uint32_t sig_ttl_cap) {
  if (hook_ && hook_->stages().signs && set.type != rrtype::RRSIG &&
      hook_->sign(RRsetWrite{z, s, owner, set, required, sig_ttl_cap}, rb_)) {
    return !(required && rb_.truncated());
  }
  return emit_covering_signatures(z, rb_, s, owner, set, required, sig_ttl_cap);
}

}  // namespace

bool AnswerHook::sign(const RRsetWrite&, dns::ResponseBuilder&) { return false; }
bool AnswerHook::deny(const DenialPoint&, dns::ResponseBuilder&) { return false; }

bool negative_soa(const Zone& z, RRset& negative) {
  const Node* apex = z.apex();
  const RRset* soa = z.rrset(apex, rrtype::SOA);
  if (!soa) return false;
  // RFC 2308 §3: the negative TTL is the smaller of the SOA's TTL and MINIMUM.
  uint32_t minimum = soa->ttl;
  z.records(*soa).for_each([&](std::span<const uint8_t> rd) {
    if (const auto numbers = dns::soa_numbers(rd)) minimum = numbers->minimum;
  });
  negative = *soa;
  if (minimum < negative.ttl) negative.ttl = minimum;
  return true;
}

void add_negative_soa(const Zone& z, dns::ResponseBuilder& rb, bool dnssec) {
  RRset negative;
  if (!negative_soa(z, negative)) return;
  (void)emit_rrset(z, rb, Section::Authority, z.name(z.apex()), negative, dnssec, true,
                   /*sig_ttl_cap=*/negative.ttl);
}

bool is_flattened(const Zone& zone, const Node* node) {
  if (zone.flatten() == FlattenMode::Off) return false;
  if (zone.flatten() == FlattenMode::Apex && !(node->flags & node_flag::kApex)) return false;
  for (const RRset& set : zone.rrsets(node)) {
    if (set.type == rrtype::CNAME || hidden_type(set.type)) return true;
  }
  return false;
}

void answer_query(const ZoneSet& zones, const Zone& zone, const dns::Query& q,
                  dns::ResponseBuilder& rb, AnswerHook* hook) {
  dns::NameHashes hashes;
  hashes.compute(q.qname.view());
  Answerer(zones, q, rb, hook).run(zone, hashes);
}

void answer_query(const ZoneSet& zones, const Zone& zone, const dns::Query& q,
                  const dns::NameHashes& qname_hashes, dns::ResponseBuilder& rb, AnswerHook* hook) {
  Answerer(zones, q, rb, hook).run(zone, qname_hashes);
}

}  // namespace flatns::zones
