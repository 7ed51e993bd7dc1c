// Answering a query from served zones: RFC 1034 §4.3.2 (exact answers,
// CNAME chasing within and across the zones we serve, referrals, NXDOMAIN
// and NODATA with the SOA, RFC 2308 negative TTL), RFC 4592 wildcards,
// RFC 8482 minimal ANY, and with DO=1 the DNSSEC records of RFC 4035 §3.1
// (RRSIGs, DS at delegations, NSEC and RFC 5155 §7.2 NSEC3 denial proofs).
//
// The answer is a small state machine; records are written straight into
// the ResponseBuilder, which handles compression and truncation. Nothing
// here allocates.
#pragma once

#include "dns/message.h"
#include "zones/zone.h"
#include "zones/zone_set.h"

namespace flatns::zones {

// Fills `rb` (already started for `q`) with the answer from `zone`, the
// served zone that holds q.qname. Sets rcode, AA and TC.
void answer_query(const ZoneSet& zones, const Zone& zone, const dns::Query& q,
                  dns::ResponseBuilder& rb);

}  // namespace flatns::zones
