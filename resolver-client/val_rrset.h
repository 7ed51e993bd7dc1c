// RRsets as the validator sees them: the records of one owner, type and class
// taken from a response section, with the RRSIGs that cover them (RFC 4034
// §3, RFC 2181 §5). Grouping is done once per response.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dns/message_parser.h"
#include "dns/name.h"

namespace flatns::resolver {

struct SignedRrset {
  dns::Name owner;
  uint16_t type = 0;
  uint16_t rrclass = 1;
  uint32_t ttl = 0;                             // smallest TTL of the records
  std::vector<std::vector<uint8_t>> rdatas;     // duplicates removed
  std::vector<std::vector<uint8_t>> rrsigs;     // RRSIG RDATA covering `type`
};

// Groups `records` by (owner, type, class) in order of first appearance.
// RRSIGs join the RRset whose type they cover; an RRSIG without such an
// RRset yields an RRset with no rdatas (so callers can see it).
[[nodiscard]] std::vector<SignedRrset> group_rrsets(std::span<const dns::ResourceRecord> records);

// The answer section grouped as above, with the RRSIGs that cover one of its
// RRsets but were put in the authority or additional section (RFC 4035
// §3.1.1 wants them beside their RRset; Unbound accepts them anywhere, and
// a stray signature still has to verify).
[[nodiscard]] std::vector<SignedRrset> group_answer_rrsets(const dns::Message& msg);

// The RRset with this owner and type in `rrsets`, or nullptr.
[[nodiscard]] const SignedRrset* find_rrset(std::span<const SignedRrset> rrsets,
                                            const dns::Name& owner, uint16_t type);

// Back to records (RRSIGs included), e.g. for caching.
void append_records(const SignedRrset& rrset, std::vector<dns::ResourceRecord>& out);

}  // namespace flatns::resolver
