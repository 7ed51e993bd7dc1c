// The chain of trust, one zone cut at a time (RFC 4035 §5.2, RFC 6840 §5.2,
// §5.11): a DS RRset the parent vouches for (or a trust anchor) authenticates
// the child's DNSKEY RRset when a DNSKEY matches a DS of a supported digest
// and algorithm and that key signs the DNSKEY RRset. When no DS uses a
// supported digest or algorithm the child zone is insecure, not bogus.
#pragma once

#include <cstdint>
#include <vector>

#include "dns/name.h"
#include "resolver-client/val_context.h"
#include "resolver-client/val_rrset.h"
#include "resolver-client/verdict.h"

namespace flatns::resolver {

// What the parent side says about a zone cut: the validated DS RRset
// (verdict Secure), or a proof that the child is unsigned (verdict Insecure),
// or a failure (Bogus / Indeterminate). Trust anchors are DsSets too
// (DNSKEY anchors are turned into SHA-256 DS records when loaded).
struct DsSet {
  dns::Name zone;
  Verdict verdict;
  std::vector<std::vector<uint8_t>> ds;  // DS RDATA (secure only)
  uint32_t ttl = 0;                      // clamped TTL (0 for anchors: no expiry)
};

// A zone's DNSKEY RRset once validated (verdict Secure), or why the zone is
// insecure or bogus. The iterator caches this per zone.
struct ZoneKeys {
  dns::Name zone;
  Verdict verdict;
  std::vector<std::vector<uint8_t>> dnskeys;  // validated DNSKEY RDATA (secure only)
  uint32_t ttl = 0;                           // clamped TTL of the DNSKEY RRset
};

// Validates `dnskeys` (the DNSKEY RRset at ds.zone with its RRSIGs) against
// the DS set. An insecure or bogus DsSet carries over to the keys.
[[nodiscard]] ZoneKeys validate_dnskeys(const SignedRrset& dnskeys, const DsSet& ds,
                                        ValidationContext& ctx);

// Keys for a zone proven unsigned, or for validation being off.
[[nodiscard]] ZoneKeys insecure_keys(const dns::Name& zone, InsecureReason why,
                                     std::string detail = {});

// Is this DS algorithm / digest type one we can validate?
[[nodiscard]] bool algorithm_supported(uint8_t algorithm, const ValidatorOptions& options);
[[nodiscard]] bool digest_supported(uint8_t digest_type, const ValidatorOptions& options);

}  // namespace flatns::resolver
