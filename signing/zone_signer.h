// Signing a zone snapshot at load, before it is served (as Knot's automatic
// signing does): the zone as loaded from its file goes in, a signed zone
// comes out, built by zones::build_zone with
//
//  - the zone file's DNSSEC records dropped (RRSIG, NSEC, NSEC3,
//    NSEC3PARAM, DNSKEY, CDS, CDNSKEY): the key set decides them;
//  - DNSKEY (published keys), CDS (SHA-256) and CDNSKEY (active SEP keys,
//    RFC 7344, RFC 8078) at the apex;
//  - with compact denial, an NSEC at every authoritative name and empty
//    non-terminal: owner = the name, next = its immediate successor, the
//    name's true types (RFC 9824 §3.1, §3.3); at a zone cut NS (and DS)
//    only, which proves an unsigned delegation (RFC 4035 §3.1.4.1);
//  - an RRSIG per signing key over every authoritative RRset: not glue or
//    occluded data, not NS at a cut, not the CNAME/ALIAS/ANAME at a name
//    that flattens (never shown, zones/answer.h).
//
// RRsets are signed by `threads` threads in parallel, through the signer's
// signature cache, so a re-sign after a reload or a refresh only signs what
// changed or is near its refresh time.
#pragma once

#include <cstdint>

#include "signing/online_signer.h"
#include "zones/zone.h"
#include "zones/zone_set.h"

namespace flatns::signing {

struct SignStats {
  std::size_t rrsets = 0;      // RRsets signed (each by every signing key)
  std::size_t signatures = 0;  // RRSIGs in the zone
  std::size_t nsec = 0;        // NSEC records added
};

// `config` is the zone's config; online_signed is set on the result.
[[nodiscard]] zones::ZoneLoadResult sign_zone(const zones::Zone& zone, zones::ZoneConfig config,
                                              const OnlineSigner& signer, int64_t now,
                                              unsigned threads, SignStats* stats = nullptr);

}  // namespace flatns::signing
