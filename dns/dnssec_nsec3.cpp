// NSEC3 owner name hashing (RFC 5155 §5).
#include <algorithm>

#include "dns/dnssec.h"
#include "dns/dnssec_internal.h"

namespace flatns::dns {

bool nsec3_hash(NameView owner, uint8_t algorithm, std::span<const uint8_t> salt,
                uint16_t iterations, Nsec3Hash& out) {
  if (algorithm != kNsec3HashSha1) return false;
  if (!dnssec_detail::is_wire_name(owner)) return false;
  NameBuffer name;
  dnssec_detail::lowercase_copy(owner, name);

  Digest d;
  const std::span<const uint8_t> first[] = {name.view(), salt};
  if (!sha_digest(DigestAlg::sha1, first, d)) return false;
  for (uint32_t i = 0; i < iterations; ++i) {
    Nsec3Hash previous;
    std::copy_n(d.bytes.begin(), previous.size(), previous.begin());
    const std::span<const uint8_t> again[] = {previous, salt};
    if (!sha_digest(DigestAlg::sha1, again, d)) return false;
  }
  std::copy_n(d.bytes.begin(), out.size(), out.begin());
  return true;
}

}  // namespace flatns::dns
