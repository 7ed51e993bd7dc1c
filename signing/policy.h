// A zone's online-signing policy, as the `dnssec:` key of its config entry
// says (server/config_dnssec.cpp parses it; README "dnssec:" lists the keys).
//
// Times follow Knot's kasp names: signatures are valid from `inception_offset`
// before signing until `rrsig_lifetime` after it, and are made again when
// less than `rrsig_refresh` of that is left (RFC 6781 §4.4.2), each RRSIG's
// expiry spread over `rrsig_jitter` so that a large zone is not re-signed
// at one instant.
#pragma once

#include <cstdint>
#include <string>

namespace flatns::signing {

enum class Denial : uint8_t {
  Compact,  // RFC 9824 compact denial of existence (NSEC, NXNAME)
  Nsec3,    // NSEC3 white lies (RFC 7129 §B, RFC 9276 parameters)
};

struct SigningPolicy {
  bool online = false;
  std::string keys_dir;           // relative paths already resolved
  uint8_t algorithm = 13;         // for keys made here (ECDSAP256SHA256)
  Denial denial = Denial::Compact;
  uint32_t rrsig_lifetime = 14 * 86400;
  uint32_t rrsig_refresh = 7 * 86400;   // re-sign when less than this is left
  uint32_t rrsig_jitter = 86400;        // expiries spread over this much
  uint32_t inception_offset = 3600;     // inception this far in the past (clock skew)
  uint32_t dnskey_ttl = 3600;
};

}  // namespace flatns::signing
