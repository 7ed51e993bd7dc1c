// The CNAME chain an answer section holds from the query name: where it
// leads, which owners lie on it, and how far a response that validation
// does not vouch for may be read (RFC 2181 §5.4.1).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "dns/message_parser.h"
#include "dns/name.h"

namespace flatns::resolver {

struct ValidatedResponse;

// The target of the (first readable) CNAME owned by `owner` in `answer`.
[[nodiscard]] std::optional<dns::Name> cname_target(const std::vector<dns::ResourceRecord>& answer,
                                                    const dns::Name& owner);

// Where the CNAMEs of an answer section starting at `qname` lead.
[[nodiscard]] dns::Name chain_end(const std::vector<dns::ResourceRecord>& answer, const dns::Name& qname);

// The owners along the CNAME chain from `qname` in `answer`, stopping
// before `exit` when given.
[[nodiscard]] std::vector<dns::Name> chain_names(const std::vector<dns::ResourceRecord>& answer,
                                                 const dns::Name& qname, const std::optional<dns::Name>& exit);

// The target of the CNAME at `qname` when the rest of the response (the
// records beyond that first link: the chain's other CNAMEs, the target's
// data, its denial) is not to be taken as the target's answer; nothing
// when the response is to be read as it stands.
//
// RFC 2181 §5.4.1: when the name sought is an alias, only the alias's
// record is necessarily authoritative; the rest may come from the server's
// cache. Unless validation vouched for every RRset (a secure verdict), the
// target is asked of its own zone's servers, as Unbound's scrubber cuts
// everything not owned by the query name (iter_scrub_cname_an). A
// DNAME's synthesised CNAME counts as that first link
// (iter_scrub_dname_insec). Unbound cuts a signed chain too (its scrubber
// runs before validation); a secure verdict means each RRset was signed by
// its own zone, as good as the target's own answer, so that query is saved.
// Forwarders resolve the chain themselves (the target's records come from
// their cache either way): their answer is read as it stands.
[[nodiscard]] std::optional<dns::Name> unvouched_chain_cut(const dns::Message& msg, const ValidatedResponse& vr,
                                                           const dns::Name& qname, uint16_t qtype,
                                                           bool forwarded);

// The records of `answer` that remain when the chain is cut after its
// first link: those owned by `qname`, and the DNAMEs above it.
[[nodiscard]] std::vector<dns::ResourceRecord> first_link_records(const std::vector<dns::ResourceRecord>& answer,
                                                                  const dns::Name& qname);

}  // namespace flatns::resolver
