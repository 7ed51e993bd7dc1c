#include "zones/answer.h"

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "zones/denial.h"
#include "zones/emit.h"

namespace flatns::zones {

namespace {

using dns::NameView;
using dns::Section;
namespace rrtype = dns::rrtype;

constexpr int kMaxChainLength = 16;  // CNAMEs followed within served zones

// Types held in zone files for flattening: never shown on the wire.
bool hidden_type(uint16_t t) { return t == rrtype::ALIAS || t == rrtype::ANAME; }

class Answerer {
 public:
  Answerer(const ZoneSet& zones, const dns::Query& q, dns::ResponseBuilder& rb)
      : zones_(zones), q_(q), rb_(rb), dnssec_(q.edns.dnssec_ok) {}

  void run(const Zone& zone);

 private:
  enum class Step { Done, Follow };

  Step answer_name(const Zone& z, NameView name);
  Step follow_dname(const Zone& z, const Node* dname_node, NameView name);
  Step answer_at(const Zone& z, const Node* node, NameView owner, bool wildcard,
                 const Node* closest_encloser, NameView name);
  void referral(const Zone& z, const Node* cut);
  void nodata(const Zone& z, const Node* node, NameView name, const Node* wildcard,
              const Node* closest_encloser);
  void nxdomain(const Zone& z, NameView name, const Node* closest_encloser);
  void positive_authority(const Zone& z);
  void additional_for(const Zone& z, uint16_t type, const RRset& set);
  void add_addresses(NameView target);
  void add_soa(const Zone& z);

  bool put(const Zone& z, Section s, NameView owner, const RRset& set, bool required = true);
  bool stopped() const { return rb_.truncated(); }

  const ZoneSet& zones_;
  const dns::Query& q_;
  dns::ResponseBuilder& rb_;
  const bool dnssec_;
  dns::NameBuffer current_;  // name being answered (after CNAMEs)
  int chain_ = 0;
  const Node* visited_[kMaxChainLength + 1] = {};  // CNAME owners, to stop at a loop
};

bool Answerer::put(const Zone& z, Section s, NameView owner, const RRset& set, bool required) {
  return emit_rrset(z, rb_, s, owner, set, dnssec_, required);
}

void Answerer::run(const Zone& zone) {
  rb_.set_aa(true);
  current_ = q_.qname;
  const Zone* z = &zone;
  // RFC 4035 §3.1.4.1: DS lives in the parent; answer it there when we serve it.
  if (q_.qtype == rrtype::DS && dns::name_equal(current_.view(), z->origin().wire())) {
    const dns::NameView parent_name = dns::strip_labels(current_.view(), 1);
    if (!z->origin().is_root()) {
      if (const Zone* parent = zones_.find(parent_name)) z = parent;
    }
  }
  while (true) {
    if (answer_name(*z, current_.view()) == Step::Done) return;
    if (++chain_ > kMaxChainLength) return;
    const Zone* next = zones_.find(current_.view());
    if (!next) return;  // the target is outside our zones: the resolver's job
    z = next;
  }
}

Answerer::Step Answerer::answer_name(const Zone& z, NameView name) {
  const Node* ce = z.closest_encloser(name);
  if (!ce) return Step::Done;
  const bool exact = ce->labels == dns::label_count(name);
  // RFC 6672 §3.2: a DNAME strictly above the name redirects it. Names below
  // a DNAME are flagged occluded, so only such names need the walk upwards.
  if (ce->cut == kNone && (!exact || (ce->flags & node_flag::kOccluded))) {
    const Node* n = exact ? z.find(dns::strip_labels(name, 1)) : ce;
    while (n && n->cut == kNone) {
      if (z.rrset(n, rrtype::DNAME)) return follow_dname(z, n, name);
      if (!(n->flags & node_flag::kOccluded)) break;
      n = z.find(dns::strip_labels(z.name(n), 1));
    }
  }
  if (ce->cut != kNone) {
    const Node* cut = z.node(ce->cut);
    const bool ds_at_cut = exact && cut == ce && q_.qtype == rrtype::DS;
    if (!ds_at_cut) {
      referral(z, cut);
      return Step::Done;
    }
  }
  if (exact) return answer_at(z, ce, name, false, ce, name);
  if (ce->flags & node_flag::kWildcardChild) {
    dns::NameBuffer star;
    star.bytes[0] = 1;
    star.bytes[1] = '*';
    const NameView ce_name = z.name(ce);
    for (std::size_t i = 0; i < ce_name.size(); ++i) star.bytes[2 + i] = ce_name[i];
    star.length = static_cast<uint8_t>(2 + ce_name.size());
    if (const Node* wild = z.find(star.view())) return answer_at(z, wild, name, true, ce, name);
  }
  nxdomain(z, name, ce);
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
  dns::NameBuffer synthesized;
  for (std::size_t i = 0; i < prefix; ++i) synthesized.bytes[i] = name[i];
  for (std::size_t i = 0; i < target->size(); ++i) synthesized.bytes[prefix + i] = (*target)[i];
  synthesized.length = static_cast<uint8_t>(prefix + target->size());
  if (rb_.truncated() ||
      !rb_.add(Section::Answer, name, rrtype::CNAME, dns::rrclass::IN, dname->ttl,
               synthesized.view())) {
    rb_.set_tc();
    return Step::Done;
  }
  current_ = synthesized;
  return Step::Follow;
}

Answerer::Step Answerer::answer_at(const Zone& z, const Node* node, NameView owner,
                                   bool wildcard, const Node* ce, NameView name) {
  const uint16_t qtype = q_.qtype;
  if (qtype == rrtype::ANY) {
    // RFC 8482 §4.1: answer with one RRset rather than all of them.
    for (const RRset& set : z.rrsets(node)) {
      if (hidden_type(set.type) || set.type == rrtype::RRSIG) continue;
      put(z, Section::Answer, owner, set);
      if (wildcard && dnssec_) prove_wildcard_answer(z, rb_, name, ce);
      return Step::Done;
    }
    nodata(z, node, name, wildcard ? node : nullptr, ce);
    return Step::Done;
  }
  if (!hidden_type(qtype)) {
    if (const RRset* set = z.rrset(node, qtype)) {
      if (!put(z, Section::Answer, owner, *set)) return Step::Done;
      if (wildcard && dnssec_) prove_wildcard_answer(z, rb_, name, ce);
      positive_authority(z);
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
      if (!put(z, Section::Answer, owner, *cname)) return Step::Done;
      if (wildcard && dnssec_) prove_wildcard_answer(z, rb_, name, ce);
      std::optional<NameView> target;
      z.records(*cname).for_each(
          [&](std::span<const uint8_t> rdata) { target = dns::rdata_target_name(rrtype::CNAME, rdata); });
      if (!target) return Step::Done;
      current_.assign(*target);
      return Step::Follow;
    }
  }
  nodata(z, node, name, wildcard ? node : nullptr, ce);
  return Step::Done;
}

void Answerer::add_soa(const Zone& z) {
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
  put(z, Section::Authority, z.name(apex), negative);
}

void Answerer::nodata(const Zone& z, const Node* node, NameView name, const Node* wildcard,
                      const Node* ce) {
  if (rb_.count(Section::Answer) == 0) rb_.set_rcode(dns::rcode::NOERROR);
  add_soa(z);
  if (dnssec_ && !stopped()) prove_nodata(z, rb_, name, node, wildcard, ce, q_.qtype);
}

void Answerer::nxdomain(const Zone& z, NameView name, const Node* ce) {
  // RFC 6604 §2.1: after a CNAME chain the rcode describes the last name.
  rb_.set_rcode(dns::rcode::NXDOMAIN);
  add_soa(z);
  if (dnssec_ && !stopped()) prove_nxdomain(z, rb_, name, ce);
}

void Answerer::referral(const Zone& z, const Node* cut) {
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

void Answerer::positive_authority(const Zone& z) {
  // Like NSD: the apex NS RRset goes in authority when it fits, unless the
  // answer already is that RRset.
  const Node* apex = z.apex();
  const RRset* ns = z.rrset(apex, rrtype::NS);
  if (!ns) return;
  if (q_.qtype == rrtype::NS && dns::name_equal(current_.view(), z.name(apex))) return;
  if (put(z, Section::Authority, z.name(apex), *ns, /*required=*/false)) {
    additional_for(z, rrtype::NS, *ns);
  }
}

void Answerer::additional_for(const Zone& z, uint16_t type, const RRset& set) {
  if (type != rrtype::NS && type != rrtype::MX && type != rrtype::SRV) return;
  z.records(set).for_each([&](std::span<const uint8_t> rdata) {
    if (auto target = dns::rdata_target_name(type, rdata)) add_addresses(*target);
  });
}

void Answerer::add_addresses(NameView target) {
  const Zone* z = zones_.find(target);
  if (!z) return;
  const Node* node = z->find(target);
  if (!node) return;
  for (uint16_t t : {rrtype::A, rrtype::AAAA}) {
    if (const RRset* set = z->rrset(node, t)) {
      put(*z, Section::Additional, target, *set, /*required=*/false);
    }
  }
}

}  // namespace

void answer_query(const ZoneSet& zones, const Zone& zone, const dns::Query& q,
                  dns::ResponseBuilder& rb) {
  Answerer(zones, q, rb).run(zone);
}

}  // namespace flatns::zones
