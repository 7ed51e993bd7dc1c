// Authenticated denial of existence with NSEC3 (RFC 5155 §8, RFC 6840 §4.2,
// RFC 9276): the closest encloser proof (§8.3), name error (§8.4), no-data
// (§8.5, §8.6 for DS, §8.7 wildcard no-data), wildcard answers (§8.8) and
// referrals to unsigned children (§8.9), with opt-out (§6) making the result
// insecure where the RFC says so. NSEC3 records with an unknown hash
// algorithm are ignored (§8.1); when none is left, or when the iteration
// count is above the configured limit (RFC 9276 §3.2, CVE-2023-50868), the
// denial is insecure and no hashing is done at all. The NSEC3 RRsets given
// here must already have validated signatures.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dns/dnssec.h"
#include "dns/name.h"
#include "resolver-client/val_context.h"
#include "resolver-client/val_rrset.h"

namespace flatns::resolver {

struct Nsec3Record {
  dns::Name owner;
  std::vector<uint8_t> owner_hash;  // decoded first label of the owner
  uint8_t hash_algorithm = 0;
  uint8_t flags = 0;
  uint16_t iterations = 0;
  std::vector<uint8_t> salt;
  std::vector<uint8_t> next_hash;
  std::vector<uint8_t> bitmap;
  bool opt_out() const { return (flags & 1) != 0; }
};

enum class Nsec3Usability : uint8_t {
  Usable,
  NoRecords,          // no NSEC3 of this zone in the response
  UnknownHash,        // every NSEC3 uses an unknown hash algorithm
  IterationsTooHigh,  // above ValidatorOptions::max_nsec3_iterations
};

// The zone's NSEC3 records (owner one label below `zone`) with one parameter
// set: the first record with a known hash algorithm picks it, records with
// other parameters are dropped.
struct Nsec3Set {
  dns::Name zone;
  Nsec3Usability usability = Nsec3Usability::NoRecords;
  std::vector<Nsec3Record> records;
  // Hashes are taken from this budget when set; a proof that runs out is
  // NotProven and budget->nsec3_hashes_exhausted() tells why.
  ValidationBudget* budget = nullptr;
};
[[nodiscard]] Nsec3Set nsec3_records(std::span<const SignedRrset* const> rrsets,
                                     const dns::Name& zone, const ValidatorOptions& options,
                                     ValidationBudget* budget = nullptr);

enum class DenialResult : uint8_t {
  Proven,     // secure proof
  OptOut,     // proven only up to an opt-out span: insecure
  NotProven,  // missing or contradicting records; `why` says which
};

[[nodiscard]] DenialResult nsec3_proves_name_error(const Nsec3Set& set, const dns::Name& qname,
                                                   std::string& why);
[[nodiscard]] DenialResult nsec3_proves_nodata(const Nsec3Set& set, const dns::Name& qname,
                                               uint16_t qtype, std::string& why);
// `closest_encloser` from the answer's RRSIG label count.
[[nodiscard]] DenialResult nsec3_proves_wildcard_answer(const Nsec3Set& set,
                                                        const dns::Name& qname,
                                                        const dns::Name& closest_encloser,
                                                        std::string& why);
// The NSEC3 record whose owner hash is `name`'s, or nullptr (also when the
// hash budget is spent).
[[nodiscard]] const Nsec3Record* nsec3_matching(const Nsec3Set& set, const dns::Name& name);

// The delegation `child` has no DS (Proven) or sits in an opt-out span (OptOut).
[[nodiscard]] DenialResult nsec3_proves_no_ds(const Nsec3Set& set, const dns::Name& child,
                                              std::string& why);

}  // namespace flatns::resolver
