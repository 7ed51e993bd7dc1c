// Answering a query from served zones: RFC 1034 §4.3.2 (exact answers,
// CNAME chasing within and across the zones we serve, referrals, NXDOMAIN
// and NODATA with the SOA, RFC 2308 negative TTL), RFC 4592 wildcards,
// RFC 8482 minimal ANY, and with DO=1 the DNSSEC records of RFC 4035 §3.1
// (RRSIGs, DS at delegations, NSEC and RFC 5155 §7.2 NSEC3 denial proofs).
//
// The answer is a small state machine; records are written straight into
// the ResponseBuilder, which handles compression and truncation. Nothing
// here allocates.
#pragma once

#include "dns/message.h"
#include "zones/zone.h"
#include "zones/zone_set.h"

namespace flatns::zones {

// What the query path and a flatten stage tell each other beyond the
// response itself (DESIGN.md "The path of one query", step 5). The caller
// owns one per worker and resets it before each query, so the static path
// pays for three stores, not for the name buffers.
struct FlattenCall {
  enum class Outcome : uint8_t {
    Answered,  // the response is in the builder
    Park,      // the target is being resolved: hold the query, ask again later
  };
  // In: answer from whatever is known now (the target's resolution ended or
  // the deadline passed); never Park.
  bool final = false;
  // Out.
  Outcome outcome = Outcome::Answered;
  bool refresh = false;  // ask for a background refresh of `target` (prefetch)
  dns::NameBuffer target;  // with Park or refresh: the external target ...
  uint16_t qtype = 0;      // ... and the type to resolve
  dns::NameView zone;      // the zone of the flattened name (valid during the call)

  void reset(bool final_answer) {
    final = final_answer;
    outcome = Outcome::Answered;
    refresh = false;
  }
};

// The stage where flattening attaches (DESIGN.md "Flattening rules"). The
// answer machine hands it A and AAAA queries at names that flatten: names
// holding a CNAME, ALIAS or ANAME where the zone's flatten mode applies
// (the apex, or every name with `flatten: all`). Other types at such names
// are answered from the zone, and the CNAME itself is never shown.
class FlattenStage {
 public:
  virtual ~FlattenStage() = default;
  // Writes the answer (records under `qname`, or rcode and SOA) into `rb`,
  // or, when `call` is given and not final, may set call->outcome = Park
  // instead (the builder's content is then meaningless). A null `call` is
  // a final call.
  virtual void answer(const ZoneSet& zones, const Zone& zone, const Node* node,
                      const dns::Query& q, dns::ResponseBuilder& rb, FlattenCall* call) const = 0;
};

// True when `node` of `zone` is a flattened name.
[[nodiscard]] bool is_flattened(const Zone& zone, const Node* node);

// Fills `rb` (already started for `q`) with the answer from `zone`, the
// served zone that holds q.qname. Sets rcode, AA and TC. Without a flatten
// stage, CNAMEs at flattened names are chased like any other CNAME.
void answer_query(const ZoneSet& zones, const Zone& zone, const dns::Query& q,
                  dns::ResponseBuilder& rb, const FlattenStage* flatten = nullptr,
                  FlattenCall* flatten_call = nullptr);
// The same with the hashes of q.qname's suffixes, already computed by the
// caller to choose `zone` (ZoneSet::find), so the name is hashed once.
void answer_query(const ZoneSet& zones, const Zone& zone, const dns::Query& q,
                  const dns::NameHashes& qname_hashes, dns::ResponseBuilder& rb,
                  const FlattenStage* flatten = nullptr, FlattenCall* flatten_call = nullptr);

// Writes the negative-answer SOA (RFC 2308 §3 TTL) of `zone` into authority.
void add_negative_soa(const Zone& zone, dns::ResponseBuilder& rb, bool dnssec);

}  // namespace flatns::zones
