// NSEC3 white lies for a zone signed online (`denial: nsec3`): RFC 7129
// Appendix B's minimally covering NSEC3 records, with RFC 9276's
// parameters (hash algorithm 1, flags 0 — no opt-out —, 0 iterations, no
// salt), made per answer rather than kept as a chain (the zone holds only
// its NSEC3PARAM):
//
//  - a name that exists gets the NSEC3 matching it: owner H(name), next
//    hashed owner H(name)+1, the name's true types (RFC 5155 §3.1.6), so
//    it covers no other hash;
//  - a hash to be covered, h = H(name) of a name that does not exist, gets
//    owner h-1 and next h+1 (arithmetic modulo 2^160, so 0x00…00 is covered
//    by ff…ff → 00…01, the chain's wrap-around record of RFC 5155 §3.1.3,
//    and ff…ff by ff…fe → 00…00), with no types: it proves that one hash
//    absent and nothing else, so aggressive use of cached NSEC3 (RFC 8198
//    §5.2) can deny no name that exists.
//
// Everything here writes into caller buffers: nothing allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/dnssec.h"
#include "dns/name.h"

namespace flatns::signing {

// RFC 9276 §3.1: SHA-1, no opt-out, no extra iterations, empty salt.
inline constexpr uint8_t kNsec3Algorithm = dns::kNsec3HashSha1;
inline constexpr std::array<uint8_t, 5> kNsec3ParamRdata = {kNsec3Algorithm, 0, 0, 0, 0};

// h-1 and h+1 modulo 2^160.
[[nodiscard]] dns::Nsec3Hash hash_before(const dns::Nsec3Hash& h);
[[nodiscard]] dns::Nsec3Hash hash_after(const dns::Nsec3Hash& h);

// The NSEC3 owner for `hash` in `apex`: base32hex (RFC 4648 §7, lowercase)
// as one label, then the apex. False when that exceeds 255 octets.
[[nodiscard]] bool nsec3_owner(const dns::Nsec3Hash& hash, dns::NameView apex, dns::NameBuffer& out);

// NSEC3 RDATA with kNsec3ParamRdata's parameters, next hashed owner `next`
// and the type bitmap of `types` (sorted in place; duplicates dropped).
// Returns the length written into `out`, 0 when it does not fit.
inline constexpr std::size_t kMaxNsec3Rdata = 1024;
[[nodiscard]] std::size_t nsec3_rdata(const dns::Nsec3Hash& next, std::span<uint16_t> types,
                                      std::span<uint8_t> out);

}  // namespace flatns::signing
