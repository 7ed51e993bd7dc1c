// The validation verdict that travels with every answer of the resolver
// client: secure, insecure, bogus or indeterminate (RFC 4033 §5, RFC 4035
// §4.3), why (for bogus and insecure), the zone whose data was at fault, the
// upstream server it came from, and the Extended DNS Error (RFC 8914 §4) that
// flatten and `flatns resolve` report for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dns/name.h"

namespace flatns::resolver {

enum class Security : uint8_t {
  Secure,         // a chain of trust from an anchor validates the data
  Insecure,       // proven to be outside any chain of trust (unsigned delegation,
                  // only unsupported algorithms/digests, NSEC3 opt-out, no anchor)
  Bogus,          // should validate and does not
  Indeterminate,  // not decided (validation not run, or the answer was unusable)
};

// Why data is bogus. Each maps to an RFC 8914 code (see ede_code()).
enum class BogusReason : uint8_t {
  None,
  SignatureExpired,      // every usable RRSIG is past its expiration (EDE 7)
  SignatureNotYetValid,  // every usable RRSIG is before its inception (EDE 8)
  NoMatchingKey,         // no DNSKEY with the RRSIG's key tag/algorithm (EDE 9)
  CryptoFailure,         // the signature does not verify (EDE 6)
  MissingRrsig,          // an RRset that must be signed has no RRSIG (EDE 10)
  MissingDenial,         // NXDOMAIN/NODATA/wildcard without NSEC/NSEC3 proof (EDE 12)
  BadDenial,             // NSEC/NSEC3 present but proving something else (EDE 6)
  DsDnskeyMismatch,      // no DNSKEY matches a supported DS (EDE 9)
  NoDnskey,              // the zone's DNSKEY RRset is missing or empty (EDE 9)
  TooMuchWork,           // KeyTrap budget exhausted (CVE-2023-50387) (EDE 6)
  Malformed,             // records that cannot be parsed or are inconsistent (EDE 6)
};

// Why data is insecure.
enum class InsecureReason : uint8_t {
  None,
  NoTrustAnchor,          // no anchor covers the name, or validation is off
  UnsignedDelegation,     // the parent proves there is no DS (RFC 4035 §5.2)
  OptOut,                 // NSEC3 opt-out span covers the delegation (RFC 5155 §6)
  UnsupportedAlgorithm,   // DS/DNSKEY algorithms all unsupported (EDE 1)
  UnsupportedDigest,      // DS digest types all unsupported (EDE 2)
  Nsec3IterationsTooHigh, // RFC 9276 §3.2, CVE-2023-50868 (EDE 27)
  UnknownNsec3Hash,       // NSEC3 hash algorithm other than SHA-1 (RFC 5155 §8.1)
  NotValidated,           // the query asked for no validation (CD=1, RFC 4035 §3.2.2),
                          // or for RRSIGs, which are never signed themselves (RFC 4035 §2.2)
  NegativeTrustAnchor,    // at or below a negative trust anchor (RFC 7646, insecure_domains)
};

[[nodiscard]] const char* to_string(Security s);  // "secure", "insecure", ...
[[nodiscard]] const char* to_string(BogusReason r);  // "signature expired", ...
[[nodiscard]] const char* to_string(InsecureReason r);

struct Verdict {
  Security security = Security::Indeterminate;
  BogusReason reason = BogusReason::None;
  InsecureReason insecure_reason = InsecureReason::None;
  dns::Name zone;      // the zone whose data or proof decided (root when unknown)
  std::string server;  // upstream address "ip" or "ip:port"; filled in by the caller;
                       // "ip, ip" when every server of the zone was bogus
  std::string detail;  // human text, names the RRset/key tag at fault

  [[nodiscard]] static Verdict secure(const dns::Name& zone);
  [[nodiscard]] static Verdict insecure(const dns::Name& zone, InsecureReason why,
                                        std::string detail = {});
  [[nodiscard]] static Verdict bogus(const dns::Name& zone, BogusReason why, std::string detail);
  [[nodiscard]] static Verdict indeterminate(std::string detail);

  bool is_secure() const { return security == Security::Secure; }
  bool is_insecure() const { return security == Security::Insecure; }
  bool is_bogus() const { return security == Security::Bogus; }
  // Data flatten may use: secure or insecure.
  bool usable() const { return is_secure() || is_insecure(); }

  // RFC 8914 INFO-CODE: 6..12 for bogus reasons, 1/2/27 for insecure-by-policy,
  // 5 (DNSSEC Indeterminate) for indeterminate; nothing for secure and plain
  // insecure answers.
  [[nodiscard]] std::optional<uint16_t> ede_code() const;
  // One line for logs and `flatns resolve`: "bogus: signature expired (zone
  // example., server 192.0.2.1): RRSIG A www.example. key tag 1234 ...".
  [[nodiscard]] std::string to_text() const;
};

// Combines verdicts of the parts of one answer: bogus wins over
// indeterminate, which wins over insecure, which wins over secure. The first
// verdict of the strongest class is kept (its reason and detail).
[[nodiscard]] Verdict combine(const Verdict& a, const Verdict& b);

}  // namespace flatns::resolver
