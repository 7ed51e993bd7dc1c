// Where a name lands in a zone (RFC 1034 §4.3.2 step 3, RFC 4592 §3.3.1,
// RFC 6672 §3.2): at a node, at a wildcard, under a zone cut, under a DNAME,
// or nowhere. Shared by the answer state machine and flattening's local
// chase. No allocation.
#pragma once

#include <cstdint>

#include "dns/name.h"
#include "zones/zone.h"

namespace flatns::zones {

struct NameMatch {
  enum class Kind : uint8_t {
    Exact,       // node is the name's own node
    Wildcard,    // node is the "*" node that synthesizes the name
    Delegation,  // node is the zone cut at or above the name
    Dname,       // node owns a DNAME strictly above the name
    NxDomain,    // no such name and no wildcard
  };
  Kind kind = Kind::NxDomain;
  const Node* node = nullptr;
  const Node* closest_encloser = nullptr;
};

// `qtype` matters only for DS, which is answered from the parent side of a
// zone cut (RFC 4035 §3.1.4.1).
[[nodiscard]] NameMatch lookup(const Zone& z, dns::NameView name, uint16_t qtype);
// The same from the hashes of the name's suffixes (the query path hashes
// each name it answers once).
[[nodiscard]] NameMatch lookup(const Zone& z, const dns::NameHashes& name, uint16_t qtype);

}  // namespace flatns::zones
