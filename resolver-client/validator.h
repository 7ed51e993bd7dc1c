// The DNSSEC validator of the resolver client: pure logic, no I/O, no clock of
// its own. The iterator drives it zone by zone, as Unbound's validator module
// does (find keys, validate, finish):
//
//  1. The chain of trust starts at a trust anchor (val_anchor.h): a DsSet.
//  2. For each zone cut, the iterator fetches the zone's DNSKEY RRset and
//     calls validate_dnskey_response() with the zone's DsSet -> ZoneKeys.
//  3. Every response from that zone's servers goes through
//     validate_response() with the ZoneKeys; the result says what kind of
//     answer it is, its verdict, the TTL to cache it with, and for
//     referrals the child's DsSet (validated DS, or proof of an unsigned
//     delegation: RFC 4035 §5.2). As in Unbound, the response is first
//     classified from its shape alone (val_classify.h: positive, CNAME,
//     NODATA, name error, referral, ANY, RRSIG, unusable), then validated by the
//     function for its class.
//
// Positive answers, CNAME and DNAME chains (RFC 4035 §5.3, RFC 6672 §5.3.3:
// the synthesised CNAME is unsigned and is replaced by the validated DNAME's
// substitution), wildcard expansions
// (§5.3.4), NXDOMAIN and NODATA proofs with NSEC (§5.4) or NSEC3 (RFC 5155
// §8), opt-out (RFC 5155 §6) and the RFC 9276 iteration limit are handled
// here; the per-file modules hold the details (val_sigcrypt, val_nsec,
// val_nsec3, val_keyset). A bogus verdict is not final for the resolution:
// the iterator re-asks the zone's other servers, fills Verdict::server in and
// reports the server.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "dns/message_parser.h"
#include "dns/name.h"
#include "resolver-client/val_anchor.h"
#include "resolver-client/val_context.h"
#include "resolver-client/val_keyset.h"
#include "resolver-client/val_rrset.h"
#include "resolver-client/val_sigcrypt.h"
#include "resolver-client/verdict.h"

namespace flatns::resolver {

enum class ResponseKind : uint8_t {
  Answer,      // the qtype RRset (possibly after a CNAME chain inside the zone)
  CnameExit,   // a CNAME chain that leaves the zone: resolve `next_name` next
  NxDomain,    // the name (or the end of the CNAME chain) does not exist
  NoData,      // the name exists without the qtype
  Referral,    // a delegation to `next_name`; `delegation` tells if it is signed
  Unusable,    // none of the above (e.g. rcode SERVFAIL, REFUSED, lame answer)
  YxDomain,    // rcode YXDOMAIN: a DNAME's substitution of the name is longer
               // than a name may be (RFC 6672 §2.2); the DNAME (and any link
               // before it) is validated, the rcode itself cannot be, so the
               // verdict is at best Indeterminate, as Unbound gives no AD
};
[[nodiscard]] const char* to_string(ResponseKind k);

struct ValidatedResponse {
  ResponseKind kind = ResponseKind::Unusable;
  Verdict verdict;      // for the whole response; Secure only if every part is
  uint32_t ttl = 0;     // smallest clamped TTL of the validated RRsets (the SOA's
                        // for negative answers, RFC 2308 §5)
  dns::Name next_name;  // CnameExit: the target; Referral: the child zone
  // Referral: the child's DS set (Secure with DS records, Insecure for a proven
  // unsigned delegation, Bogus when the proof is missing or wrong).
  // qtype DS: the DS answer (Answer) or the proof of its absence (NoData).
  DsSet delegation;
  bool wildcard_answer = false;  // the answer was synthesised from a wildcard
  // qtype DS, NoData: the validated NSEC/NSEC3 at the name has NS without
  // SOA, so the name is a delegation (to an unsigned child). False for a
  // name inside the zone that is no cut at all, which a chain of trust built
  // label by label (forward mode) passes through.
  bool ds_denied_at_cut = false;
  // Set when RRsets are signed by a zone below keys.zone (the same servers
  // serve parent and child, so no referral showed the cut; or forwarders,
  // which never refer): the verdict is Indeterminate; fetch that zone's DS
  // and DNSKEY and validate again with its keys (as Unbound does when the
  // signer name is below the key zone). A CNAME chain that enters such a
  // zone after its first link ends as CnameExit at that name instead.
  std::optional<dns::Name> needs_keys_for;
  // Delegations this zone's signed NSEC records in the authority section
  // show to be unsigned (NS without DS and SOA at the owner; RFC 4035
  // §5.2), e.g. next to a CNAME into the child: the DS walk need not ask.
  // NSEC3 opt-out spans show possible ones (InsecureReason::OptOut).
  struct UnsignedCut {
    dns::Name name;
    InsecureReason reason = InsecureReason::UnsignedDelegation;
  };
  std::vector<UnsignedCut> unsigned_cuts;
  // Referral from secure keys with neither the DS RRset nor any NSEC/NSEC3:
  // the verdict is Bogus (MissingDenial) as the referral proves nothing,
  // but the DS may still be asked of the parent (RFC 4035 §5.2, as
  // Unbound's validator does); only that answer, validated, decides.
  bool ds_left_out = false;
  // Owners of the authority section's NSEC RRsets of keys.zone whose
  // signatures validated (the resolver's NSEC cache keeps them, RFC 8198).
  std::vector<dns::Name> secure_nsecs;
};

// Validates a response from one of `keys.zone`'s servers to (qname, qtype).
// An Insecure ZoneKeys makes every response Insecure (the kind is still
// classified); a Bogus ZoneKeys makes it Bogus.
[[nodiscard]] ValidatedResponse validate_response(const dns::Message& response,
                                                  const dns::Name& qname, uint16_t qtype,
                                                  const ZoneKeys& keys, ValidationContext& ctx);

// Validates the DNSKEY RRset of `ds.zone` found in the answer of `response`
// (a response to "zone DNSKEY").
[[nodiscard]] ZoneKeys validate_dnskey_response(const dns::Message& response, const DsSet& ds,
                                                ValidationContext& ctx);

}  // namespace flatns::resolver
