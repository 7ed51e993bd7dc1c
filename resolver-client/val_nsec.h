// Authenticated denial of existence with NSEC (RFC 4035 §5.4, RFC 4034 §4,
// RFC 6840 §4.1, §4.3-4.4): name errors (the name and the source of synthesis
// are covered), no-data (the type bitmap at the name, or at the wildcard, or
// an empty non-terminal), the covering proof a wildcard answer needs, and the
// absence of DS at a delegation (NS set, DS and SOA clear). The NSEC RRsets
// given here must already have validated signatures (val_sigcrypt.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dns/name.h"
#include "resolver-client/val_rrset.h"

namespace flatns::resolver {

struct NsecRecord {
  dns::Name owner;
  dns::Name next;
  std::vector<uint8_t> bitmap;
};

// The NSEC records of validated NSEC RRsets; malformed RDATA is skipped.
[[nodiscard]] std::vector<NsecRecord> nsec_records(std::span<const SignedRrset* const> rrsets);

// owner < name < next in canonical order, with the zone's last NSEC (next is
// the apex) covering everything after its owner. A delegation point or DNAME
// above `name` covers nothing below it (RFC 6840 §4.1).
[[nodiscard]] bool nsec_covers(const NsecRecord& nsec, const dns::Name& name,
                               const dns::Name& zone);

// `qname` is an empty non-terminal: an NSEC covers it and its next name
// lies below it (RFC 4035 §3.1.3.2), so it exists without data.
[[nodiscard]] bool nsec_proves_empty_non_terminal(std::span<const NsecRecord> nsecs,
                                                  const dns::Name& qname, const dns::Name& zone);

// `qname` does not exist and neither does the wildcard at its closest
// encloser. On failure `why` says what is missing.
[[nodiscard]] bool nsec_proves_name_error(std::span<const NsecRecord> nsecs,
                                          const dns::Name& qname, const dns::Name& zone,
                                          std::string& why);

// `qname` exists without `qtype` (and without CNAME), is an empty
// non-terminal, or matches a wildcard that lacks `qtype`.
[[nodiscard]] bool nsec_proves_nodata(std::span<const NsecRecord> nsecs, const dns::Name& qname,
                                      uint16_t qtype, const dns::Name& zone, std::string& why);

// `qname` itself does not exist (what a wildcard expansion needs,
// RFC 4035 §5.3.4); `closest_encloser` comes from the answer's RRSIG labels.
[[nodiscard]] bool nsec_proves_wildcard_answer(std::span<const NsecRecord> nsecs,
                                               const dns::Name& qname,
                                               const dns::Name& closest_encloser,
                                               const dns::Name& zone, std::string& why);

// The delegation `child` has no DS: an NSEC at `child` with NS set and DS,
// SOA clear (RFC 4035 §5.2).
[[nodiscard]] bool nsec_proves_no_ds(std::span<const NsecRecord> nsecs, const dns::Name& child,
                                     std::string& why);

// Longest common ancestor of two names.
[[nodiscard]] dns::Name common_ancestor(const dns::Name& a, const dns::Name& b);

// The closest encloser a covering NSEC implies (RFC 4035 §5.4): the longer of
// the common ancestors of `name` with the NSEC's owner and next name.
[[nodiscard]] dns::Name closest_encloser(const NsecRecord& n, const dns::Name& name);

}  // namespace flatns::resolver
