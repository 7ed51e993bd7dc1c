// NSEC3 hashes (RFC 5155 §5) for the denial proofs of one worker thread,
// remembered for names that recur: a closest encloser and the wildcard
// below it are the same few names in every NXDOMAIN of a zone, while the
// next closer name is usually new. A hash is a pure function of the name
// (case-folded), the salt, the iteration count and the algorithm, so an
// entry is reused only when all four match; nothing depends on a zone
// object staying alive. Per thread, fixed size, no allocation, no lock.
#pragma once

#include <array>
#include <cstdint>

#include "dns/name.h"
#include "zones/zone.h"

namespace flatns::zones {

// Computes the hash of `name` with the zone's NSEC3 parameters; false when
// the zone's hash algorithm is not supported.
[[nodiscard]] bool nsec3_hash_of(const Zone& z, dns::NameView name, std::array<uint8_t, 20>& out);

// As nsec3_hash_of, through this thread's memo: for names likely to recur.
[[nodiscard]] bool nsec3_hash_remembered(const Zone& z, dns::NameView name,
                                         std::array<uint8_t, 20>& out);

}  // namespace flatns::zones
