// What the answer path asks of a zone signed online, per query (issue 14):
// the records that only exist for the name asked, signed through the
// signature cache (a repeated name is signed once while its signature is
// fresh):
//
//  - compact NXDOMAIN (RFC 9824 §3.2): NOERROR (NXDOMAIN when the query set
//    CO, §4) and one NSEC owner = QNAME, next = its successor, types RRSIG
//    NSEC NXNAME, with its RRSIGs; the SOA is the caller's;
//  - NODATA (§3.1): the NSEC stored at the name (its true types), or for a
//    name synthesised from a wildcard, an NSEC at QNAME with the wildcard's
//    types;
//  - answers synthesised from a wildcard, signed as exact matches of QNAME
//    (label count = QNAME's), so no NSEC proof is needed (RFC 9824 §3.4).
//
// Each returns false when a required record did not fit (TC is then set).
#pragma once

#include "dns/message.h"
#include "signing/online_signer.h"
#include "zones/online_answer.h"
#include "zones/zone.h"

namespace flatns::signing {

// NSEC (and RRSIGs) in authority for a name that does not exist; sets the
// rcode to NOERROR, or NXDOMAIN when `compact_ok` (the CO flag) is set.
[[nodiscard]] bool write_compact_nxdomain(const zones::Zone& zone, const OnlineSigner& signer,
                                          dns::NameView qname, bool compact_ok, int64_t now,
                                          dns::ResponseBuilder& rb);

// NSEC at `qname` for a NODATA answer: the NSEC stored at `node` when `node`
// is QNAME's own node, else (a wildcard match) one made at QNAME with the
// types of the wildcard `node`.
[[nodiscard]] bool write_nodata_nsec(const zones::Zone& zone, const OnlineSigner& signer,
                                     const zones::Node* node, dns::NameView qname, int64_t now,
                                     dns::ResponseBuilder& rb);

// RRSIGs over `set` (a wildcard's RRset) written under `qname` in `section`,
// labels = QNAME's.
[[nodiscard]] bool write_synthesised_rrsigs(const zones::Zone& zone, const OnlineSigner& signer,
                                            const zones::RRset& set, dns::NameView qname,
                                            dns::Section section, int64_t now,
                                            dns::ResponseBuilder& rb);

// RRSIGs over an RRset given as RDATA spans (flattened addresses), under
// `owner` with TTL `ttl`: appended to `out` as RRSIG RDATA.
[[nodiscard]] bool sign_records(const OnlineSigner& signer, dns::NameView owner, uint16_t type,
                                uint32_t ttl, std::span<const std::span<const uint8_t>> rdatas,
                                int64_t now, std::vector<std::vector<uint8_t>>& out);

// The zones::OnlineAnswer of a zone signed by `signer` (attach it through
// ZoneConfig::online_answer before sign_zone builds the snapshot).
[[nodiscard]] std::shared_ptr<const zones::OnlineAnswer> make_online_answer(
    std::shared_ptr<const OnlineSigner> signer);

}  // namespace flatns::signing
