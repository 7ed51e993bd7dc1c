#include "zones/answer.h"

#include <cstring>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "zones/denial.h"
#include "zones/emit.h"
#include "zones/lookup.h"
#include "zones/online_answer.h"

namespace flatns::zones {

namespace {

using dns::NameView;
using dns::Section;
namespace rrtype = dns::rrtype;

constexpr int kMaxChainLength = 16;  // CNAMEs followed within served zones

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

class Answerer {
 public:
  Answerer(const ZoneSet& zones, const dns::Query& q, dns::ResponseBuilder& rb,
           const FlattenStage* flatten, FlattenCall* flatten_call)
      : zones_(zones), q_(q), rb_(rb), dnssec_(q.edns.dnssec_ok), flatten_(flatten),
        flatten_call_(flatten_call) {}

  void run(const Zone& zone, const dns::NameHashes& qname_hashes);

 private:
  enum class Step { Done, Follow };

  Step answer_name(const Zone& z, const dns::NameHashes& name);
  Step follow_dname(const Zone& z, const Node* dname_node, NameView name);
  Step answer_at(const Zone& z, const Node* node, NameView owner, bool wildcard,
                 const Node* closest_encloser, NameView name);
  Step answer_flattened(const Zone& z, const Node* node, NameView name);
  void referral(const Zone& z, const Node* cut);
  void nodata(const Zone& z, const Node* node, NameView name, const Node* wildcard,
              const Node* closest_encloser);
  void nxdomain(const Zone& z, NameView name, const Node* closest_encloser);
  void additional_for(const Zone& z, uint16_t type, const RRset& set);
  void add_addresses(const Zone& z, NameView target);
  void add_soa(const Zone& z);
  void defer_wildcard_proof(const Zone& z, NameView name, const Node* closest_encloser);
  void flush_wildcard_proofs();

  bool put(const Zone& z, Section s, NameView owner, const RRset& set, bool required = true);
  // An answer RRset; from a wildcard in a zone signed online, signed as an
  // exact match of `owner` rather than with the wildcard's RRSIGs.
  bool put_synthesised(const Zone& z, NameView owner, const RRset& set, bool wildcard);
  bool stopped() const { return rb_.truncated(); }

  const ZoneSet& zones_;
  const dns::Query& q_;
  dns::ResponseBuilder& rb_;
  const bool dnssec_;
  const FlattenStage* flatten_;
  FlattenCall* flatten_call_;
  // The name being answered (after CNAMEs): the query name, a CNAME target
  // in the zone's rdata, or a DNAME synthesis in one of two buffers (the
  // next synthesis reads the previous one).
  NameView current_;
  dns::NameHashes followed_;  // the suffix hashes of current_ after a CNAME or DNAME
  NameSlot synthesized_[2];
  int next_synthesized_ = 0;
  int chain_ = 0;
  const Node* visited_[kMaxChainLength + 1];  // CNAME owners, to stop at a loop; [0, chain_) set
  struct PendingProof {
    const Zone* zone;
    NameSlot name;
    const Node* closest_encloser;
  };
  PendingProof pending_[kMaxChainLength + 1];  // [0, pending_proofs_) set
  int pending_proofs_ = 0;
};

bool Answerer::put(const Zone& z, Section s, NameView owner, const RRset& set, bool required) {
  return emit_rrset(z, rb_, s, owner, set, dnssec_, required);
}

bool Answerer::put_synthesised(const Zone& z, NameView owner, const RRset& set, bool wildcard) {
  const OnlineAnswer* online = z.online_answer();
  if (!wildcard || !dnssec_ || !online) return put(z, Section::Answer, owner, set);
  if (!emit_rrset(z, rb_, Section::Answer, owner, set, false, true)) return false;
  online->sign_synthesised(z, set, owner, Section::Answer, rb_);
  return !rb_.truncated();
}

void Answerer::run(const Zone& zone, const dns::NameHashes& qname_hashes) {
  rb_.set_aa(true);
  current_ = q_.qname.view();
  const dns::NameHashes* hashes = &qname_hashes;
  const Zone* z = &zone;
  // RFC 4035 §3.1.4.1: DS lives in the parent; answer it there when we serve it.
  if (q_.qtype == rrtype::DS && dns::name_equal(current_, z->origin().wire())) {
    const dns::NameView parent_name = dns::strip_labels(current_, 1);
    if (!z->origin().is_root()) {
      if (const Zone* parent = zones_.find(parent_name)) z = parent;
    }
  }
  while (true) {
    if (answer_name(*z, *hashes) == Step::Done) {
      flush_wildcard_proofs();
      return;
    }
    followed_.compute(current_);
    hashes = &followed_;
    const Zone* next = zones_.find(followed_);
    if (++chain_ > kMaxChainLength || !next) {  // outside our zones: the resolver's job
      flush_wildcard_proofs();
      return;
    }
    z = next;
  }
}

Answerer::Step Answerer::answer_name(const Zone& z, const dns::NameHashes& hashes) {
  const NameView name = hashes.name();
  const Lookup found = lookup(z, hashes, q_.qtype);
  switch (found.kind) {
    case Lookup::Kind::Dname:
      return follow_dname(z, found.node, name);
    case Lookup::Kind::Delegation:
      referral(z, found.node);
      return Step::Done;
    case Lookup::Kind::Exact:
      return answer_at(z, found.node, name, false, found.closest_encloser, name);
    case Lookup::Kind::Wildcard:
      return answer_at(z, found.node, name, true, found.closest_encloser, name);
    case Lookup::Kind::NxDomain:
      if (found.closest_encloser) nxdomain(z, name, found.closest_encloser);
      return Step::Done;
  }
  return Step::Done;
}

Answerer::Step Answerer::follow_dname(const Zone& z, const Node* node, NameView name) {
  const RRset* dname = z.rrset(node, rrtype::DNAME);
  if (!put(z, Section::Answer, z.name(node), *dname)) return Step::Done;
  std::optional<NameView> target;
  z.records(*dname).for_each([&](std::span<const uint8_t> rdata) {
    target = dns::rdata_target_name(rrtype::DNAME, rdata);
  });
  if (!target) return Step::Done;
  // The synthesized CNAME: the labels below the DNAME owner, then the target.
  const std::size_t prefix = name.size() - z.name(node).size();
  if (prefix + target->size() > dns::kMaxNameLength) {
    rb_.set_rcode(dns::rcode::YXDOMAIN);
    return Step::Done;
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
    return Step::Done;
  }
  current_ = synthesized.view();
  return Step::Follow;
}

Answerer::Step Answerer::answer_at(const Zone& z, const Node* node, NameView owner,
                                   bool wildcard, const Node* ce, NameView name) {
  const uint16_t qtype = q_.qtype;
  if (flatten_ && !wildcard && chain_ == 0 && is_flattened(z, node)) {
    return answer_flattened(z, node, name);
  }
  if (qtype == rrtype::ANY) {
    // RFC 8482 §4.1: answer with one RRset rather than all of them.
    for (const RRset& set : z.rrsets(node)) {
      if (hidden_type(set.type) || set.type == rrtype::RRSIG) continue;
      put_synthesised(z, owner, set, wildcard);
      if (wildcard) defer_wildcard_proof(z, name, ce);
      return Step::Done;
    }
    nodata(z, node, name, wildcard ? node : nullptr, ce);
    return Step::Done;
  }
  if (qtype == rrtype::RRSIG) {
    // RFC 4035 §3.1.5: all RRSIGs at the name, each set with its own TTL.
    bool any = false;
    for (const RRset& set : z.rrsets(node)) {
      const SigSet* sigs = z.sigs(set);
      if (!sigs || hidden_type(set.type)) continue;
      if (!emit_signatures(z, rb_, Section::Answer, owner, *sigs, true)) return Step::Done;
      any = true;
    }
    if (any) {
      if (wildcard) defer_wildcard_proof(z, name, ce);
      return Step::Done;
    }
    nodata(z, node, name, wildcard ? node : nullptr, ce);
    return Step::Done;
  }
  if (!hidden_type(qtype)) {
    if (const RRset* set = z.rrset(node, qtype)) {
      if (!put_synthesised(z, owner, *set, wildcard)) return Step::Done;
      if (wildcard) defer_wildcard_proof(z, name, ce);
      additional_for(z, qtype, *set);
      return Step::Done;
    }
  }
  if (qtype != rrtype::CNAME) {
    if (const RRset* cname = z.rrset(node, rrtype::CNAME)) {
      for (int i = 0; i < chain_; ++i) {
        if (visited_[i] == node) return Step::Done;  // a loop: each record is shown once
      }
      visited_[chain_] = node;
      if (!put_synthesised(z, owner, *cname, wildcard)) return Step::Done;
      if (wildcard) defer_wildcard_proof(z, name, ce);
      std::optional<NameView> target;
      z.records(*cname).for_each(
          [&](std::span<const uint8_t> rdata) { target = dns::rdata_target_name(rrtype::CNAME, rdata); });
      if (!target) return Step::Done;
      current_ = *target;  // in the zone's rdata, which outlives the answer
      return Step::Follow;
    }
  }
  nodata(z, node, name, wildcard ? node : nullptr, ce);
  return Step::Done;
}

Answerer::Step Answerer::answer_flattened(const Zone& z, const Node* node, NameView name) {
  const uint16_t qtype = q_.qtype;
  if (qtype == rrtype::A || qtype == rrtype::AAAA) {
    flatten_->answer(zones_, z, node, q_, rb_, flatten_call_);
    return Step::Done;
  }
  for (const RRset& set : z.rrsets(node)) {
    if (set.type == rrtype::CNAME || hidden_type(set.type) || set.type == rrtype::RRSIG) continue;
    if (set.type == qtype || qtype == rrtype::ANY) {
      if (put(z, Section::Answer, name, set)) additional_for(z, set.type, set);
      return Step::Done;
    }
  }
  // A flattened CNAME is never shown: its type, and any type the name lacks, is NODATA.
  nodata(z, node, name, nullptr, node);
  return Step::Done;
}

void Answerer::add_soa(const Zone& z) {
  flush_wildcard_proofs();
  add_negative_soa(z, rb_, dnssec_);
}

void Answerer::defer_wildcard_proof(const Zone& z, NameView name, const Node* ce) {
  // Signed online, a wildcard answer is signed as an exact match: no proof.
  if (!dnssec_ || z.online_answer() || pending_proofs_ >= kMaxChainLength + 1) return;
  PendingProof& p = pending_[pending_proofs_++];
  p.zone = &z;
  p.name.assign(name);
  p.closest_encloser = ce;
}

// Wildcard proofs go in authority, which starts only after the whole CNAME
// chain is in the answer section.
void Answerer::flush_wildcard_proofs() {
  for (int i = 0; i < pending_proofs_; ++i) {
    const PendingProof& p = pending_[i];
    prove_wildcard_answer(*p.zone, rb_, p.name.view(), p.closest_encloser);
  }
  pending_proofs_ = 0;
}


void Answerer::nodata(const Zone& z, const Node* node, NameView name, const Node* wildcard,
                      const Node* ce) {
  if (rb_.count(Section::Answer) == 0) rb_.set_rcode(dns::rcode::NOERROR);
  add_soa(z);
  if (!dnssec_ || stopped()) return;
  if (const OnlineAnswer* online = z.online_answer()) {
    online->nodata(z, wildcard ? wildcard : node, name, rb_);
    return;
  }
  prove_nodata(z, rb_, name, node, wildcard, ce, q_.qtype);
}

void Answerer::nxdomain(const Zone& z, NameView name, const Node* ce) {
  // RFC 6604 §2.1: after a CNAME chain the rcode describes the last name.
  rb_.set_rcode(dns::rcode::NXDOMAIN);
  add_soa(z);
  if (!dnssec_ || stopped()) return;
  if (const OnlineAnswer* online = z.online_answer()) {
    online->nxdomain(z, name, q_, rb_);  // RFC 9824: NODATA unless the query set CO
    return;
  }
  prove_nxdomain(z, rb_, name, ce);
}

void Answerer::referral(const Zone& z, const Node* cut) {
  flush_wildcard_proofs();
  if (rb_.count(Section::Answer) == 0) rb_.set_aa(false);
  const NameView cut_name = z.name(cut);
  const RRset* ns = z.rrset(cut, rrtype::NS);
  if (!ns || !put(z, Section::Authority, cut_name, *ns)) return;
  if (dnssec_) {
    if (const RRset* ds = z.rrset(cut, rrtype::DS)) {
      put(z, Section::Authority, cut_name, *ds);
    } else {
      prove_no_ds(z, rb_, cut);
    }
  }
  additional_for(z, rrtype::NS, *ns);
}

// Minimal responses, as NSD with minimal-responses and Knot answer: the
// additional section only carries the addresses of name servers (referral
// glue and NS answers), and only from the same zone.
void Answerer::additional_for(const Zone& z, uint16_t type, const RRset& set) {
  flush_wildcard_proofs();
  if (type != rrtype::NS) return;
  z.records(set).for_each([&](std::span<const uint8_t> rdata) {
    if (auto target = dns::rdata_target_name(type, rdata)) add_addresses(z, *target);
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

}  // namespace

void add_negative_soa(const Zone& z, dns::ResponseBuilder& rb, bool dnssec) {
  const Node* apex = z.apex();
  const RRset* soa = z.rrset(apex, rrtype::SOA);
  if (!soa) return;
  // RFC 2308 §3: the negative TTL is the smaller of the SOA's TTL and MINIMUM.
  uint32_t minimum = soa->ttl;
  z.records(*soa).for_each([&](std::span<const uint8_t> rd) {
    if (rd.size() >= 4) {
      const std::size_t p = rd.size() - 4;
      minimum = static_cast<uint32_t>(rd[p]) << 24 | static_cast<uint32_t>(rd[p + 1]) << 16 |
                static_cast<uint32_t>(rd[p + 2]) << 8 | rd[p + 3];
    }
  });
  RRset negative = *soa;
  if (minimum < negative.ttl) negative.ttl = minimum;
  (void)emit_rrset(z, rb, Section::Authority, z.name(apex), negative, dnssec, true,
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
                  dns::ResponseBuilder& rb, const FlattenStage* flatten,
                  FlattenCall* flatten_call) {
  dns::NameHashes hashes;
  hashes.compute(q.qname.view());
  Answerer(zones, q, rb, flatten, flatten_call).run(zone, hashes);
}

void answer_query(const ZoneSet& zones, const Zone& zone, const dns::Query& q,
                  const dns::NameHashes& qname_hashes, dns::ResponseBuilder& rb,
                  const FlattenStage* flatten, FlattenCall* flatten_call) {
  Answerer(zones, q, rb, flatten, flatten_call).run(zone, qname_hashes);
}

}  // namespace flatns::zones
