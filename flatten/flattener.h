// CNAME flattening (DESIGN.md "Flattening rules"): an A/AAAA query at a
// flattened name is answered with the final target's addresses under the
// query name, TTL = the minimum over the chain, capped by flatten.max_ttl and
// floored by flatten.min_ttl; NODATA with the SOA when the target does not
// exist or has no such type; SERVFAIL with an Extended DNS Error (RFC 8914)
// for loops and over-long chains.
//
// This stage chases chains through the zones flatns serves, with no upstream
// query. Targets outside them need the embedded resolver (resolver-client),
// which this stage does not reach yet: they get SERVFAIL with EDE 22 (No
// Reachable Authority) naming the target.
#pragma once

#include <cstdint>

#include "zones/answer.h"

namespace flatns::flatten {

struct Settings {
  uint32_t max_ttl = 3600;
  uint32_t min_ttl = 0;
  int max_chain = 12;  // CNAME/ALIAS links followed, as resolver-client's limit
};

class Flattener final : public zones::FlattenStage {
 public:
  explicit Flattener(Settings settings) : settings_(settings) {}
  void answer(const zones::ZoneSet& zones, const zones::Zone& zone, const zones::Node* node,
              const dns::Query& q, dns::ResponseBuilder& rb) const override;

 private:
  Settings settings_;
};

}  // namespace flatns::flatten
