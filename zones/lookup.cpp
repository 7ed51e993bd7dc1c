#include "zones/lookup.h"

#include "dns/rrtype.h"

namespace flatns::zones {

NameMatch lookup(const Zone& z, dns::NameView name, uint16_t qtype) {
  dns::NameHashes hashes;
  hashes.compute(name);
  return lookup(z, hashes, qtype);
}

NameMatch lookup(const Zone& z, const dns::NameHashes& hashes, uint16_t qtype) {
  NameMatch result;
  const Node* ce = z.closest_encloser(hashes);
  if (!ce) return result;
  result.closest_encloser = ce;
  const bool exact = ce->labels == hashes.labels();
  // Names below a DNAME are flagged occluded, so only those need the walk up.
  if (ce->cut == kNone && (!exact || (ce->flags & node_flag::kOccluded))) {
    const int up = hashes.labels() > 0 ? 1 : 0;  // the root's parent is the root
    const Node* n = exact ? z.find(hashes.suffix(up), hashes.hash(up)) : ce;
    while (n && n->cut == kNone) {
      if (z.rrset(n, dns::rrtype::DNAME)) {
        result.kind = NameMatch::Kind::Dname;
        result.node = n;
        return result;
      }
      if (!(n->flags & node_flag::kOccluded)) break;
      n = z.find(dns::strip_labels(z.name(n), 1));
    }
  }
  if (ce->cut != kNone) {
    const Node* cut = z.node(ce->cut);
    if (!(exact && cut == ce && qtype == dns::rrtype::DS)) {
      result.kind = NameMatch::Kind::Delegation;
      result.node = cut;
      return result;
    }
  }
  if (exact) {
    result.kind = NameMatch::Kind::Exact;
    result.node = ce;
    return result;
  }
  if (ce->flags & node_flag::kWildcardChild) {
    dns::NameBuffer star;
    const dns::NameView ce_name = z.name(ce);
    star.bytes[0] = 1;
    star.bytes[1] = '*';
    for (std::size_t i = 0; i < ce_name.size(); ++i) star.bytes[2 + i] = ce_name[i];
    star.length = static_cast<uint8_t>(2 + ce_name.size());
    if (const Node* wild = z.find(star.view())) {
      result.kind = NameMatch::Kind::Wildcard;
      result.node = wild;
      return result;
    }
  }
  return result;
}

}  // namespace flatns::zones
