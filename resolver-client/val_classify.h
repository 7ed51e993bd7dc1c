// What kind of response the validator is looking at, decided from its shape
// alone (rcode, sections, owner names, RRSIG signer fields; no signature is
// checked and nothing is counted against the budget), as Unbound's
// val_classify_response() does before the validator picks the proof to
// check. validator.cpp then validates each class with a function of its own
// (positive, CNAME, NODATA, name error, referral, ANY, RRSIG).
//
// CNAME and DNAME links are followed from the query name while they stay in
// the zone whose keys validate the response (RFC 4035 §5.3; RFC 6672 §5.3.3:
// the synthesised CNAME is ignored, the DNAME's substitution gives the next
// name); the class is then decided at the end of that chain.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "dns/message_parser.h"
#include "dns/name.h"
#include "resolver-client/val_keyset.h"
#include "resolver-client/val_rrset.h"

namespace flatns::resolver {

enum class ResponseClass : uint8_t {
  Positive,   // the qtype RRset at the query name
  Cname,      // CNAME/DNAME links ending in the qtype RRset or leaving the zone
  NoData,     // no qtype RRset at the end of the chain (NOERROR)
  NameError,  // NXDOMAIN at the end of the chain
  Referral,   // an NS RRset below the zone, no SOA: a delegation
  Any,        // qtype ANY: the RRsets at the query name
  Rrsig,      // qtype RRSIG: the RRSIGs at the query name (never signed themselves)
  Unusable,   // an rcode or a shape that answers nothing (see UnusableShape)
};
[[nodiscard]] const char* to_string(ResponseClass c);

// Why a response is Unusable; those past the first link name the link at
// fault, after the earlier links (which the validator still checks).
enum class UnusableShape : uint8_t {
  None,
  Rcode,              // neither NOERROR nor NXDOMAIN
  MalformedDname,     // a DNAME RRset without exactly one target
  DnameTooLong,       // the DNAME substitution is longer than 255 octets
                      // (with rcode YXDOMAIN, the server's answer for it)
  MalformedCname,     // a CNAME RRset without exactly one target
  ChainTooLong,       // more than kMaxValidatedCnameLinks links
  NoAnswerNoSoa,      // neither answer, referral nor SOA (lame or broken)
};

// CNAME links followed by the validator within one response; a longer chain
// is not followed (the resolution's own limit is max_cname_chain).
inline constexpr int kMaxValidatedCnameLinks = 12;

struct ChainLink {
  enum class Type : uint8_t { Cname, Dname } type = Type::Cname;
  const SignedRrset* rrset = nullptr;
  dns::Name name;  // the name this link was followed from
};

// The sections of a response grouped into RRsets once (val_rrset.h).
struct ResponseSections {
  explicit ResponseSections(const dns::Message& msg);
  std::vector<SignedRrset> answer, authority;
};

struct Classification {
  ResponseClass cls = ResponseClass::Unusable;
  UnusableShape unusable = UnusableShape::None;
  std::vector<ChainLink> links;  // in the order followed from the query name
  // The end of the chain: the owner of the answer, the name denied, the name
  // outside the zone (or below a cut) where the chain goes on, the child of
  // a referral; for a malformed link, the name it was followed from.
  dns::Name name;
  const SignedRrset* answer = nullptr;    // Positive, Cname: the qtype RRset at `name`
  const SignedRrset* referral = nullptr;  // Referral: the child's NS RRset
  const SignedRrset* malformed = nullptr;  // MalformedDname: the DNAME RRset
  bool exits = false;  // Cname: the chain leaves this zone at `name`
  // Cname, qtype CNAME: `answer` is the CNAME a DNAME above the query name
  // synthesises (RFC 6672 §3.3: it answers the CNAME question); unsigned,
  // the validated DNAME link vouches for it.
  bool synthesised_answer = false;
};

// Classifies a response from `keys.zone`'s servers to (qname, qtype).
// `keys` is read for its zone and whether it is Secure: only secure keys
// make a chain stop where the zone stops vouching for the data (signed by a
// zone below, unsigned, or absent without the zone's SOA). The pointers in
// the result point into `sections`.
[[nodiscard]] Classification classify_response(const dns::Message& response,
                                               const ResponseSections& sections,
                                               const dns::Name& qname, uint16_t qtype,
                                               const ZoneKeys& keys, bool forwarded = false);

// The signer of `rrset` when every RRSIG names the same zone strictly below
// `zone` and above (or at) the owner.
[[nodiscard]] std::optional<dns::Name> signer_below_zone(const SignedRrset& rrset,
                                                         const dns::Name& zone);

}  // namespace flatns::resolver
