// Writing zone RRsets into a response: the records, then (with DO=1) the
// RRSIGs that cover them (RFC 4035 §3.1.1). A set that does not fit in a
// required section sets TC (RFC 2181 §9); optional sets are just left out.
#pragma once

#include "dns/message.h"
#include "zones/zone.h"

namespace flatns::zones {

[[nodiscard]] bool emit_rrset(const Zone& z, dns::ResponseBuilder& rb, dns::Section s,
                              dns::NameView owner, const RRset& set, bool dnssec,
                              bool required = true, uint32_t sig_ttl_cap = UINT32_MAX);

// The records of `set` alone (inline: the answer path writes most sets through it).
[[nodiscard]] inline bool emit_records(const Zone& z, dns::ResponseBuilder& rb, dns::Section s,
                                       dns::NameView owner, const RRset& set, bool required = true) {
  if (rb.truncated()) return false;
  const RRsetRecords records = z.records(set);
  if (rb.add_rrset(s, owner, set.type, set.ttl, records.wire(), records.size())) return true;
  if (required) rb.set_tc();
  return false;
}
// The RRSIGs the zone holds for `set` (true when it holds none), with their
// TTL capped at `sig_ttl_cap`.
[[nodiscard]] bool emit_covering_signatures(const Zone& z, dns::ResponseBuilder& rb, dns::Section s,
                                            dns::NameView owner, const RRset& set, bool required = true,
                                            uint32_t sig_ttl_cap = UINT32_MAX);

// Emits a set of RRSIG records under `owner`.
bool emit_signatures(const Zone& z, dns::ResponseBuilder& rb, dns::Section s,
                     dns::NameView owner, const SigSet& sigs, bool required);

// Emits `type` at `node` under the node's own name, if present.
bool emit_node_rrset(const Zone& z, dns::ResponseBuilder& rb, dns::Section s, const Node* node,
                     uint16_t type, bool dnssec);

}  // namespace flatns::zones
