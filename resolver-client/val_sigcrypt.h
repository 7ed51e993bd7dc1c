// Checking an RRset's signatures against a zone's validated DNSKEYs (RFC 4035
// §5.3, RFC 6840 §5.3-5.4): any one valid RRSIG is enough; the signer must be
// the zone; the validity window is checked in serial arithmetic; the TTL is
// clamped to the RRSIG's original TTL and to the time left before it expires
// (RFC 4035 §5.3.3); a label count smaller than the owner's means the answer
// was synthesised from a wildcard (§5.3.4), which the caller must back with a
// proof that the query name does not exist. Keys tried per tag and
// verifications per resolution are bounded (KeyTrap, CVE-2023-50387).
#pragma once

#include <cstdint>

#include "dns/name.h"
#include "resolver-client/val_context.h"
#include "resolver-client/val_keyset.h"
#include "resolver-client/val_rrset.h"
#include "resolver-client/verdict.h"

namespace flatns::resolver {

struct RrsetCheck {
  Verdict verdict;
  uint32_t ttl = 0;  // clamped TTL (secure only)
  // Set when the validating RRSIG's label count is below the owner's: the
  // owner was expanded from "*.<wildcard_parent>" (RFC 4035 §5.3.4).
  bool wildcard_expanded = false;
  dns::Name wildcard_parent;  // the closest encloser the wildcard was in
};

// Validates `rrset` with `keys` (which must be Secure; an Insecure zone gives
// an Insecure check without looking at signatures).
[[nodiscard]] RrsetCheck verify_rrset(const SignedRrset& rrset, const ZoneKeys& keys,
                                      ValidationContext& ctx);

}  // namespace flatns::resolver
