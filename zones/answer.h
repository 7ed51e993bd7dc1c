// Answering a query from served zones: RFC 1034 §4.3.2 (exact answers,
// CNAME chasing within and across the zones we serve, referrals, NXDOMAIN
// and NODATA with the SOA, RFC 2308 negative TTL), RFC 4592 wildcards,
// RFC 8482 minimal ANY, and with DO=1 the DNSSEC records of RFC 4035 §3.1
// (RRSIGs, DS at delegations, NSEC and RFC 5155 §7.2 NSEC3 denial proofs).
//
// The answer runs in stages (zones/answer_hook.h): a lookup per name gives
// a found-state, then one step per section with its DNSSEC twin; features
// (flattening, next online signing) attach through an AnswerHook. Records
// are written straight into the ResponseBuilder, which handles compression
// and truncation. Nothing here allocates.
#pragma once

#include "dns/message.h"
#include "zones/answer_hook.h"
#include "zones/zone.h"
#include "zones/zone_set.h"

namespace flatns::zones {

// True when `node` of `zone` is a flattened name: it holds a CNAME, ALIAS or
// ANAME where the zone's flatten mode applies (the apex, or every name with
// `flatten: all`).
[[nodiscard]] bool is_flattened(const Zone& zone, const Node* node);

// Fills `rb` (already started for `q`) with the answer from `zone`, the
// served zone that holds q.qname. Sets rcode, AA and TC. With a hook, the
// CNAME of a flattened name is never shown and A/AAAA there go to its
// pre-answer stage; without one, such CNAMEs are chased like any other.
// When the hook returns Found::Held the builder's content is meaningless.
void answer_query(const ZoneSet& zones, const Zone& zone, const dns::Query& q,
                  dns::ResponseBuilder& rb, AnswerHook* hook = nullptr);
// The same with the hashes of q.qname's suffixes, already computed by the
// caller to choose `zone` (ZoneSet::find), so the name is hashed once.
void answer_query(const ZoneSet& zones, const Zone& zone, const dns::Query& q,
                  const dns::NameHashes& qname_hashes, dns::ResponseBuilder& rb,
                  AnswerHook* hook = nullptr);

// The apex SOA of `zone` with the negative-answer TTL (RFC 2308 §3: the
// smaller of its TTL and MINIMUM); false when the zone has none.
[[nodiscard]] bool negative_soa(const Zone& zone, RRset& out);
// Writes the negative-answer SOA (RFC 2308 §3 TTL) of `zone` into authority.
void add_negative_soa(const Zone& zone, dns::ResponseBuilder& rb, bool dnssec);

}  // namespace flatns::zones
