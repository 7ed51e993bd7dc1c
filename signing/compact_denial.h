// Compact denial of existence (RFC 9824): one NSEC whose owner is the name
// asked for and whose Next Domain Name is that name's immediate successor
// in canonical order (RFC 4034 §6.1), so the NSEC proves nothing about any
// other name, and aggressive NSEC caching (RFC 8198) can deny no name that
// exists — the bug class of CVE-2026-39155, where a too-wide range let
// resolvers deny real names.
//
//  - NXDOMAIN is sent as NODATA with types RRSIG NSEC NXNAME (§3.2); the CO
//    flag in the query (§4) turns the rcode back to NXDOMAIN;
//  - NODATA lists the name's real types (§3.1), whatever type was asked;
//  - an empty non-terminal has RRSIG NSEC only (§3.3).
//
// The successor is RFC 4471 §3.1.2's absolute method: "\000." + name while
// that fits in 255 octets; otherwise a \000 octet appended to the first
// label while it is shorter than 63 octets and the name has room; otherwise
// the first label incremented in its last octet (uppercase values skipped,
// since they sort as lowercase, and trailing \255 octets dropped first); a
// label of \255 octets only is removed and the same is done to its parent.
// Past the apex it wraps to the apex (RFC 4034 §4.1.1).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dns/name.h"

namespace flatns::signing {

// The immediate successor of `name` (lowercased) within `apex`; `name` must
// be at or below `apex`. False when `name` is malformed.
[[nodiscard]] bool next_name(dns::NameView name, dns::NameView apex, dns::NameBuffer& out);

// NSEC RDATA: `next` (lowercase) then the bitmap of `types` plus RRSIG and
// NSEC (RFC 4034 §4.1).
void nsec_rdata(dns::NameView next, std::span<const uint16_t> types, std::vector<uint8_t>& out);

// The NSEC RDATA for a name that does not exist: successor, RRSIG NSEC NXNAME.
[[nodiscard]] bool nxname_nsec_rdata(dns::NameView name, dns::NameView apex,
                                     std::vector<uint8_t>& out);

}  // namespace flatns::signing
