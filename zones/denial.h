// Authenticated denial of existence for signed zones: which NSEC (RFC 4035
// §3.1.3) or NSEC3 (RFC 5155 §7.2) records prove a negative or wildcard
// answer, written into the authority section with their RRSIGs. Zones
// without NSEC/NSEC3 records get nothing added.
#pragma once

#include <cstdint>

#include "dns/message.h"
#include "zones/answer_hook.h"
#include "zones/zone.h"

namespace flatns::zones {

// The zone's stored proof for `what` (one of the four below).
void prove(const DenialPoint& what, dns::ResponseBuilder& rb);

// NXDOMAIN: `name` does not exist and no wildcard at its closest encloser.
void prove_nxdomain(const Zone& z, dns::ResponseBuilder& rb, dns::NameView name,
                    const Node* closest_encloser);
// NODATA at `node` (exact match) or, when `wildcard` is set, at the wildcard
// that would have matched `name`.
void prove_nodata(const Zone& z, dns::ResponseBuilder& rb, dns::NameView name, const Node* node,
                  const Node* wildcard, const Node* closest_encloser, uint16_t qtype);
// A wildcard answer: `name` itself does not exist (RFC 4035 §3.1.3.3).
void prove_wildcard_answer(const Zone& z, dns::ResponseBuilder& rb, dns::NameView name,
                           const Node* closest_encloser);
// An unsigned delegation at `cut`: no DS (RFC 4035 §3.1.4, RFC 5155 §7.2.7).
void prove_no_ds(const Zone& z, dns::ResponseBuilder& rb, const Node* cut);

}  // namespace flatns::zones
