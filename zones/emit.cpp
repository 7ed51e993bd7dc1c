#include "zones/emit.h"

#include "dns/rrtype.h"

namespace flatns::zones {

namespace {

bool emit_wire(dns::ResponseBuilder& rb, dns::Section s, dns::NameView owner, uint16_t type,
               uint32_t ttl, RRsetRecords records, bool required) {
  if (rb.truncated()) return false;
  if (rb.add_rrset(s, owner, type, ttl, records.wire(), records.size())) return true;
  if (required) rb.set_tc();
  return false;
}

}  // namespace

bool emit_rrset(const Zone& z, dns::ResponseBuilder& rb, dns::Section s, dns::NameView owner,
                const RRset& set, bool dnssec, bool required, uint32_t sig_ttl_cap) {
  if (!emit_records(z, rb, s, owner, set, required)) return false;
  if (!dnssec) return true;
  return emit_covering_signatures(z, rb, s, owner, set, required, sig_ttl_cap);
}

bool emit_covering_signatures(const Zone& z, dns::ResponseBuilder& rb, dns::Section s,
                              dns::NameView owner, const RRset& set, bool required,
                              uint32_t sig_ttl_cap) {
  if (set.type == dns::rrtype::RRSIG) return true;
  const SigSet* sigs = z.sigs(set);
  if (!sigs) return true;
  if (sigs->ttl <= sig_ttl_cap) return emit_signatures(z, rb, s, owner, *sigs, required);
  SigSet capped = *sigs;  // a negative answer's SOA RRSIG takes the negative TTL
  capped.ttl = sig_ttl_cap;
  return emit_signatures(z, rb, s, owner, capped, required);
}

bool emit_signatures(const Zone& z, dns::ResponseBuilder& rb, dns::Section s, dns::NameView owner,
                     const SigSet& sigs, bool required) {
  return emit_wire(rb, s, owner, dns::rrtype::RRSIG, sigs.ttl, z.records(sigs), required);
}

bool emit_node_rrset(const Zone& z, dns::ResponseBuilder& rb, dns::Section s, const Node* node,
                     uint16_t type, bool dnssec) {
  const RRset* set = node ? z.rrset(node, type) : nullptr;
  if (!set) return false;
  return emit_rrset(z, rb, s, z.name(node), *set, dnssec);
}

}  // namespace flatns::zones
