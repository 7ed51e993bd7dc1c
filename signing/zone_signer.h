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
//  - with NSEC3 white lies (`denial: nsec3`), an NSEC3PARAM at the apex
//    (RFC 9276 parameters) and no NSEC3 record: each is made for the
//    answer that needs it (answer_signing.h);
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
  ContentDigest content{};     // of the signed zone (content_digest below)
  uint32_t serial = 0;         // the SOA serial served
  uint32_t file_serial = 0;    // the zone's own (its file's, or the served one at a re-sign pass)
  bool serial_raised = false;  // serial != file_serial (PreviousSigning)
};

// The signed zone served before: a zone transfer carries the signatures,
// so a signing whose records differ from it (a re-sign pass that made new
// signatures, a key published or withdrawn) must serve a higher SOA serial
// for secondaries to follow (RFC 1982 arithmetic). The zone file's serial
// is kept while it is higher than `serial`; otherwise the serial becomes
// the Unix time, or `serial` + 1 when that is not higher (Knot's
// `serial-policy: unixtime`), and stays `serial` when nothing changed.
struct PreviousSigning {
  uint32_t serial = 0;
  ContentDigest content{};
};

// `config` is the zone's config; online_signed is set on the result.
[[nodiscard]] zones::ZoneLoadResult sign_zone(const zones::Zone& zone, zones::ZoneConfig config,
                                              const OnlineSigner& signer, int64_t now,
                                              unsigned threads, SignStats* stats = nullptr,
                                              const PreviousSigning* previous = nullptr);

// RFC 1982: `a` is after `b`.
[[nodiscard]] bool serial_after(uint32_t a, uint32_t b);

}  // namespace flatns::signing
