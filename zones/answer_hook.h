// The stages of an answer and the hook that features attach to, the way
// Knot's knot/nameserver/internet.c and its query modules work: a lookup
// gives a found-state, then one step per section, each with a DNSSEC twin
// (RFC 4035 §3.1):
//
//   lookup -> [pre-answer hook at a name that flattens] -> answer -> Follow? (loop)
//          -> authority -> authority DNSSEC (DS, denial, wildcard proofs)
//          -> additional
//
// The answer and additional twins run per RRset, right after it (the set,
// then the RRSIGs that cover it), so the hook's sign() sees each RRset as it
// is written.
//
// Zones knows nothing of the network or of keys: a hook brings them.
// Flattening (flatten/flattener.h, FlattenHook) answers A and AAAA at names
// that flatten at the pre-answer stage; the responder builds one per query.
//
// How online signing attaches (issue 14): the signer implements the same
// hook (or flatten's hook hands these calls to it) and sets the stages it
// takes part in when constructed:
//   - `signs`: sign() is called for every RRset the answer writes from the
//     zone when DO=1 (answer, authority and additional); writing RRSIGs from
//     its signature cache and returning true replaces the zone's stored ones;
//   - `denies`: deny() is called instead of writing the zone's stored
//     NSEC/NSEC3 proofs (NXDOMAIN, NODATA, no DS, wildcard answers), so a
//     compact-denial signer (RFC 9824) writes its own NSEC there (and may
//     change NXDOMAIN to NOERROR through the builder);
//   - pre_answer() writes the flattened A/AAAA with their RRSIGs and returns
//     Hit, or returns NoData so the authority stages write the SOA and call
//     deny() for the signed NODATA.
// Nothing here allocates; a hook must not either.
#pragma once

#include <cstdint>

#include "dns/message.h"
#include "zones/zone.h"
#include "zones/zone_set.h"

namespace flatns::zones {

// Where the answer stands after a step (Knot's KNOTD_IN_STATE_*).
enum class Found : uint8_t {
  Begin,       // nothing decided yet (a pre-answer hook that passes)
  Hit,         // the answer section is complete: a positive answer, the end
               // of a chain that leaves our zones, a CNAME loop, or YXDOMAIN
  NoData,      // the name exists without the type: SOA (RFC 2308 §2.2)
  NxDomain,    // the name does not exist: NXDOMAIN and the SOA (RFC 2308 §2.1)
  Delegation,  // at or below a zone cut: a referral (RFC 1034 §4.3.2 step 3b)
  Follow,      // a CNAME or DNAME was written: its target is answered next
  Truncated,   // a required RRset did not fit: TC=1, nothing more is written
  Failed,      // a hook set the rcode (SERVFAIL and EDE): nothing more is written
  Held,        // a hook holds the query to answer it later: the response is dropped
};

// What the pre-answer hook is told: the query name was found at `node`, a
// name that flattens (is_flattened()).
struct AnswerPoint {
  const ZoneSet& zones;
  const Zone& zone;
  const Node* node;
  const dns::Query& query;
};

// An RRset being written from a zone, for sign().
struct RRsetWrite {
  const Zone& zone;
  dns::Section section;
  dns::NameView owner;
  const RRset& set;
  bool required;         // false in additional: what does not fit is left out
  uint32_t sig_ttl_cap;  // the negative SOA's RRSIGs take the negative TTL
};

// What the authority section has to prove (RFC 4035 §3.1.3, RFC 5155 §7.2).
struct DenialPoint {
  enum class Kind : uint8_t {
    NxDomain,        // `name` does not exist, nor a wildcard at its closest encloser
    NoData,          // `node` (or `wildcard`, which matched `name`) lacks `qtype`
    NoDs,            // the delegation at `node` is unsigned
    WildcardAnswer,  // `name` was synthesised from a wildcard: it does not exist itself
  };
  Kind kind;
  const Zone& zone;
  dns::NameView name;
  const Node* node;
  const Node* wildcard;
  const Node* closest_encloser;
  uint16_t qtype;
  // What the query was asked in: a hook that must know what a flattened
  // closest encloser's target has (an NSEC3 proof lists its types) asks
  // there. Null when not answering a query (tests).
  const ZoneSet* zones = nullptr;
  const dns::Query* query = nullptr;
};

// The optional stages a hook takes part in, fixed at construction so the
// answer path pays no call for the others.
struct HookStages {
  bool signs = false;
  bool denies = false;
};

class AnswerHook {
 public:
  AnswerHook() = default;
  explicit AnswerHook(HookStages stages) : stages_(stages) {}
  virtual ~AnswerHook() = default;

  // Pre-answer: called before the zone's data at a name that flattens is
  // written (only for the query name, not along a CNAME chain). Returns
  // Begin to let the zone answer (the CNAME stays hidden), or the state of
  // the answer it wrote: Hit, NoData (the authority stages add the SOA),
  // Truncated, Failed, or Held.
  virtual Found pre_answer(const AnswerPoint& at, dns::ResponseBuilder& rb) = 0;
  // With `signs`: writes the RRSIGs for `w` and returns true, or returns
  // false to let the zone's stored RRSIGs be written. Sets TC when a
  // required set does not fit (zones/emit.h).
  virtual bool sign(const RRsetWrite& w, dns::ResponseBuilder& rb);
  // With `denies`: writes the proof for `what` in authority and returns
  // true, or false to let the zone's stored NSEC/NSEC3 proofs be written.
  virtual bool deny(const DenialPoint& what, dns::ResponseBuilder& rb);

  [[nodiscard]] const HookStages& stages() const { return stages_; }

 private:
  HookStages stages_;
};

}  // namespace flatns::zones
