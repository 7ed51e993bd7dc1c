// DNSSEC primitives: the record-level checks a validator is built from.
//
//  - DNSKEY / RRSIG / DS RDATA views (RFC 4034 §2.1, §3.1, §5.1).
//  - Key tag of a DNSKEY (RFC 4034 Appendix B, with the algorithm 1 case of B.1).
//  - DS digest of a DNSKEY and DS <-> DNSKEY matching (RFC 4034 §5.1.4;
//    SHA-1 = 1, SHA-256 = 2 per RFC 4509, SHA-384 = 4 per RFC 6605).
//  - The data an RRSIG signs (RFC 4034 §3.1.8.1): RRSIG RDATA without the
//    signature, then the RRset in canonical form (§6.2) and order (§6.3),
//    duplicates removed, TTL = original TTL, and the owner rebuilt as a
//    wildcard when the RRSIG label count is smaller (RFC 4035 §5.3.2).
//  - RRSIG verification (RFC 4035 §5.3.1 field checks, then the signature) for
//    RSA/SHA-1 5 and 7, RSA/SHA-256 8, RSA/SHA-512 10 (RFC 3110, RFC 5702),
//    ECDSA P-256 13 and P-384 14 (RFC 6605), Ed25519 15 and Ed448 16 (RFC 8080),
//    and DSA 3 and 6 (RFC 2536), which the validator accepts only on request
//    (RFC 8624 §3.1: MUST NOT validate).
//  - Signature validity windows in serial number arithmetic (RFC 4034 §3.1.5,
//    RFC 1982).
//  - NSEC3 owner hashing (RFC 5155 §5).
//
// All RDATA is in uncompressed wire form as dns/rdata.h stores it. Every call
// into OpenSSL (EVP, 3.x API) is in dnssec_crypto.cpp. Nothing here throws.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dns/name.h"

namespace flatns::dns {

// IANA "DNS Security Algorithm Numbers".
namespace dnssec_alg {
inline constexpr uint8_t RSAMD5 = 1, DSA = 3, RSASHA1 = 5, DSA_NSEC3_SHA1 = 6,
                         RSASHA1_NSEC3_SHA1 = 7, RSASHA256 = 8, RSASHA512 = 10, ECCGOST = 12,
                         ECDSAP256SHA256 = 13, ECDSAP384SHA384 = 14, ED25519 = 15, ED448 = 16;
}
// IANA "Delegation Signer (DS) Resource Record (RR) Type Digest Algorithms".
namespace ds_digest_type {
inline constexpr uint8_t SHA1 = 1, SHA256 = 2, GOST = 3, SHA384 = 4;
}

// DNSKEY flag bits (RFC 4034 §2.1.1, RFC 5011 §7).
inline constexpr uint16_t kDnskeyFlagZone = 0x0100, kDnskeyFlagSep = 0x0001,
                          kDnskeyFlagRevoke = 0x0080;
inline constexpr uint8_t kDnskeyProtocol = 3;

// Views into RDATA; valid while the RDATA is.
struct DnskeyRdata {
  uint16_t flags = 0;
  uint8_t protocol = 0;
  uint8_t algorithm = 0;
  std::span<const uint8_t> public_key;
};
struct RrsigRdata {
  uint16_t type_covered = 0;
  uint8_t algorithm = 0;
  uint8_t labels = 0;
  uint32_t original_ttl = 0;
  uint32_t expiration = 0;
  uint32_t inception = 0;
  uint16_t key_tag = 0;
  NameView signer;  // as stored (case preserved)
  std::span<const uint8_t> signature;
};
struct DsRdata {
  uint16_t key_tag = 0;
  uint8_t algorithm = 0;
  uint8_t digest_type = 0;
  std::span<const uint8_t> digest;
};

// False when the RDATA is too short or (RRSIG) the signer name is malformed.
[[nodiscard]] bool parse_dnskey(std::span<const uint8_t> rdata, DnskeyRdata& out);
[[nodiscard]] bool parse_rrsig(std::span<const uint8_t> rdata, RrsigRdata& out);
[[nodiscard]] bool parse_ds(std::span<const uint8_t> rdata, DsRdata& out);

// RFC 4034 Appendix B. For algorithm 1 (RSA/MD5) the tag is the third- and
// second-to-last octets of the modulus (B.1). RDATA shorter than 4 octets
// gives 0.
[[nodiscard]] uint16_t key_tag(std::span<const uint8_t> dnskey_rdata);

// A message digest (SHA-1, SHA-256, SHA-384 or SHA-512) without allocation.
struct Digest {
  std::array<uint8_t, 64> bytes{};
  uint8_t size = 0;
  std::span<const uint8_t> view() const { return {bytes.data(), size}; }
};

// digest = H(canonical owner name | DNSKEY RDATA), RFC 4034 §5.1.4.
// False for digest types other than 1, 2, 4 or malformed input.
[[nodiscard]] bool ds_digest(NameView owner, std::span<const uint8_t> dnskey_rdata,
                             uint8_t digest_type, Digest& out);

enum class DsMatch {
  match,
  mismatch,            // key tag, algorithm or digest differ
  unsupported_digest,  // digest type not 1, 2 or 4
  malformed,           // DS or DNSKEY RDATA too short
};
// Does the DS at `owner` refer to this DNSKEY (same owner)?
[[nodiscard]] DsMatch ds_matches_dnskey(NameView owner, std::span<const uint8_t> ds_rdata,
                                        std::span<const uint8_t> dnskey_rdata);

// An RRset as the validator holds it: one owner, type and class, RDATA of
// each record (any order, duplicates allowed, names in any case).
struct RrsetRef {
  NameView owner;
  uint16_t type = 0;
  uint16_t rrclass = 1;
  std::span<const std::span<const uint8_t>> rdatas;
};

// Appends to `out` the octets the RRSIG signature covers (RFC 4034 §3.1.8.1).
// False when the RRSIG is malformed or its label count exceeds the owner's.
[[nodiscard]] bool rrsig_signed_data(const RrsetRef& rrset, std::span<const uint8_t> rrsig_rdata,
                                     std::vector<uint8_t>& out);

enum class VerifyResult {
  ok,
  unsupported_algorithm,  // not one of 3, 5, 6, 7, 8, 10, 13, 14, 15, 16
  bad_key,                // public key does not decode for its algorithm
  bad_signature,          // signature wrong length/encoding, or does not verify
  malformed_rrsig,        // RRSIG RDATA does not parse
  rrsig_mismatch,         // RFC 4035 §5.3.1: type covered, label count, or
                          // signer not the zone of the owner
  key_mismatch,           // DNSKEY tag/algorithm/owner differ from the RRSIG,
                          // zone flag clear or protocol not 3
};
[[nodiscard]] const char* to_string(VerifyResult r);

// Verifies `signature` over `data` with a DNSKEY public key field.
[[nodiscard]] VerifyResult verify_signature(uint8_t algorithm, std::span<const uint8_t> public_key,
                                            std::span<const uint8_t> data,
                                            std::span<const uint8_t> signature);

// Checks the RRSIG fields against the RRset and the DNSKEY (owned by
// `dnskey_owner`), then the signature. Does not look at the validity window.
[[nodiscard]] VerifyResult verify_rrsig(const RrsetRef& rrset, std::span<const uint8_t> rrsig_rdata,
                                        NameView dnskey_owner,
                                        std::span<const uint8_t> dnskey_rdata);

enum class SignatureTime { valid, not_yet_valid, expired };
[[nodiscard]] const char* to_string(SignatureTime t);
// RFC 4034 §3.1.5: inception <= now <= expiration compared as 32-bit serial
// numbers (RFC 1982), so the window works across the 2106 wrap. `now` is
// seconds since the epoch.
[[nodiscard]] SignatureTime signature_time(uint32_t inception, uint32_t expiration, int64_t now);
[[nodiscard]] inline SignatureTime signature_time(const RrsigRdata& sig, int64_t now) {
  return signature_time(sig.inception, sig.expiration, now);
}

// NSEC3 hash algorithm 1 is SHA-1 (RFC 5155 §11).
inline constexpr uint8_t kNsec3HashSha1 = 1;
using Nsec3Hash = std::array<uint8_t, 20>;
// RFC 5155 §5: IH(salt, x, 0) = H(x | salt), IH(salt, x, k) = H(IH(k-1) | salt),
// over the lowercased wire owner name. False for an unknown hash algorithm
// or a malformed name. Iteration limits (RFC 9276) are the caller's policy.
[[nodiscard]] bool nsec3_hash(NameView owner, uint8_t algorithm, std::span<const uint8_t> salt,
                              uint16_t iterations, Nsec3Hash& out);

// The NSEC3 owner name of `name` in `zone`: the base32hex (RFC 4648 §7)
// hash as one lowercase label, then the zone name (RFC 5155 §3, §7.1).
// False as for nsec3_hash, or when the result exceeds 255 octets.
[[nodiscard]] bool nsec3_hashed_owner(NameView name, NameView zone, uint8_t algorithm,
                                      std::span<const uint8_t> salt, uint16_t iterations,
                                      NameBuffer& out);

// ---- OpenSSL-backed digest (dnssec_crypto.cpp) ----
enum class DigestAlg { sha1, sha256, sha384, sha512 };
// H(parts[0] | parts[1] | ...). False only if OpenSSL fails.
[[nodiscard]] bool sha_digest(DigestAlg alg, std::span<const std::span<const uint8_t>> parts,
                              Digest& out);

}  // namespace flatns::dns
