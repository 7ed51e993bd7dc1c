// What one validation step needs besides the records: the caller's clock, the
// policy knobs, and the work budget of the resolution (KeyTrap,
// CVE-2023-50387). The budget is per resolution: the caller creates one when
// a resolution starts and passes the same object to every validator call.
#pragma once

#include <cstdint>

namespace flatns::resolver {

struct ValidationBudget {
  // Signature verifications (crypto operations) allowed per resolution. A
  // normal resolution over five zones needs about 20 (DNSKEY, DS, answer and
  // denial RRsets); 64 leaves room for retries at other servers while bounding
  // what a hostile zone can make us do (Unbound and BIND bound this too).
  uint32_t max_verifications = 64;
  // DNSKEYs tried for one RRSIG when several keys share its tag and
  // algorithm (RFC 4034 §5.3.1 collisions). Legitimate zones almost never
  // collide; KeyTrap builds hundreds of colliding keys.
  uint32_t max_keys_per_tag = 4;
  // RRSIGs tried per RRset.
  uint32_t max_rrsigs_per_rrset = 8;

  // NSEC3 owner-name hashes per resolution (each costs iterations + 1 SHA-1
  // runs, CVE-2023-50868). A proof needs the query name's depth below the
  // zone plus two; 128 covers a dozen proofs of deep names.
  uint32_t max_nsec3_hashes = 128;

  uint32_t verifications = 0;  // spent so far
  uint32_t nsec3_hashes = 0;   // spent so far

  [[nodiscard]] bool exhausted() const { return verifications >= max_verifications; }
  // Takes one verification from the budget; false when none is left.
  [[nodiscard]] bool spend() {
    if (exhausted()) return false;
    ++verifications;
    return true;
  }
  [[nodiscard]] bool nsec3_hashes_exhausted() const { return nsec3_hashes >= max_nsec3_hashes; }
  [[nodiscard]] bool spend_nsec3_hash() {
    if (nsec3_hashes_exhausted()) return false;
    ++nsec3_hashes;
    return true;
  }
};

struct ValidatorOptions {
  // NSEC3 records with more iterations make the zone's denial insecure
  // (RFC 9276 §3.2). 150 is what Unbound (val-nsec3-keysize-iterations since
  // 1.19.1) and BIND 9.18 use: the end-to-end tests compare our verdicts with
  // Unbound's, and 150 still caps the hashing cost of CVE-2023-50868.
  uint16_t max_nsec3_iterations = 150;
  // RSA/SHA-1 (algorithms 5 and 7): RFC 8624 still says MUST validate.
  bool accept_sha1_algorithms = true;
  // DS digest type 1 (SHA-1): RFC 8624 §3.3, MUST validate.
  bool accept_sha1_digest = true;
  // DSA (algorithms 3 and 6): RFC 8624 §3.1 says MUST NOT validate, so DSA
  // signed zones are insecure; ResolverSettings::accept_dsa (tests only).
  bool accept_dsa = false;
  // The responses come from forwarders, asked with RD=1 (forward mode): an
  // NS RRset in the authority section is no referral, and a NOERROR without
  // answer or SOA is their NODATA (as Unbound reads RD answers).
  bool forwarded_answers = false;
};

struct ValidationContext {
  int64_t now = 0;  // seconds since the epoch, from the caller's clock
  ValidationBudget& budget;
  ValidatorOptions options{};
};

}  // namespace flatns::resolver
