// Extended DNS Errors (RFC 8914 §4 and the IANA "Extended DNS Error Codes"
// registry): the INFO-CODE of every registered error by name, and the
// registry's purpose text for each. The EDNS option itself is written by
// dns::ResponseBuilder (message.h).
#pragma once

#include <cstdint>
#include <string_view>

namespace flatns::dns {

namespace ede {
inline constexpr uint16_t Other = 0;
inline constexpr uint16_t UnsupportedDnskeyAlgorithm = 1;
inline constexpr uint16_t UnsupportedDsDigestType = 2;
inline constexpr uint16_t StaleAnswer = 3;  // RFC 8767
inline constexpr uint16_t ForgedAnswer = 4;
inline constexpr uint16_t DnssecIndeterminate = 5;
inline constexpr uint16_t DnssecBogus = 6;
inline constexpr uint16_t SignatureExpired = 7;
inline constexpr uint16_t SignatureNotYetValid = 8;
inline constexpr uint16_t DnskeyMissing = 9;
inline constexpr uint16_t RrsigsMissing = 10;
inline constexpr uint16_t NoZoneKeyBitSet = 11;
inline constexpr uint16_t NsecMissing = 12;
inline constexpr uint16_t CachedError = 13;
inline constexpr uint16_t NotReady = 14;
inline constexpr uint16_t Blocked = 15;
inline constexpr uint16_t Censored = 16;
inline constexpr uint16_t Filtered = 17;
inline constexpr uint16_t Prohibited = 18;
inline constexpr uint16_t StaleNxdomainAnswer = 19;
inline constexpr uint16_t NotAuthoritative = 20;
inline constexpr uint16_t NotSupported = 21;
inline constexpr uint16_t NoReachableAuthority = 22;
inline constexpr uint16_t NetworkError = 23;
inline constexpr uint16_t InvalidData = 24;
inline constexpr uint16_t SignatureExpiredBeforeValid = 25;
inline constexpr uint16_t TooEarly = 26;                      // RFC 9250
inline constexpr uint16_t UnsupportedNsec3IterationsValue = 27;  // RFC 9276
inline constexpr uint16_t UnableToConformToPolicy = 28;
inline constexpr uint16_t Synthesized = 29;
inline constexpr uint16_t InvalidQueryType = 30;              // RFC 9824
}  // namespace ede

// The registry's purpose text ("Stale Answer", "DNSSEC Bogus", ...); empty
// for a code the registry does not list.
[[nodiscard]] std::string_view ede_to_text(uint16_t code);

}  // namespace flatns::dns
