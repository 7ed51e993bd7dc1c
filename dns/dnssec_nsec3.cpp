// NSEC3 owner name hashing (RFC 5155 §5) and hashed owner names (§3, §7.1).
#include <algorithm>

#include "dns/dnssec.h"
#include "dns/dnssec_internal.h"
#include "dns/encoding.h"

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

bool nsec3_hashed_owner(NameView name, NameView zone, uint8_t algorithm,
                        std::span<const uint8_t> salt, uint16_t iterations, NameBuffer& out) {
  Nsec3Hash hash;
  if (!dnssec_detail::is_wire_name(zone) || !nsec3_hash(name, algorithm, salt, iterations, hash)) {
    return false;
  }
  const std::string label = base32hex_encode(hash);  // 32 characters, no padding
  if (1 + label.size() + zone.size() > kMaxNameLength) return false;
  out.bytes[0] = static_cast<uint8_t>(label.size());
  for (std::size_t i = 0; i < label.size(); ++i) {
    out.bytes[1 + i] = ascii_lower(static_cast<uint8_t>(label[i]));
  }
  std::copy(zone.begin(), zone.end(), out.bytes.begin() + 1 + label.size());
  out.length = static_cast<uint8_t>(1 + label.size() + zone.size());
  return true;
}

}  // namespace flatns::dns
