// deny() for zones signed online with `denial: nsec3` (answer_signing.h):
// RFC 5155 §7.2's proofs made of white lies (nsec3_white_lies.h), each
// record signed through the worker's memo like a compact-denial NSEC.
#include <algorithm>

#include "dns/rrtype.h"
#include "signing/answer_signing.h"
#include "signing/nsec3_white_lies.h"
#include "zones/answer.h"
#include "zones/denial_hashes.h"
#include "zones/zone.h"

namespace flatns::signing {

namespace {

namespace rrtype = dns::rrtype;
using dns::NameView;

constexpr std::size_t kMaxTypes = 64;

struct Types {
  uint16_t items[kMaxTypes];
  std::size_t n = 0;
  void push(uint16_t t) {
    if (n < kMaxTypes && std::find(items, items + n, t) == items + n) items[n++] = t;
  }
};

// The types at `node` as its matching NSEC3 lists them (RFC 5155 §3.1.6,
// the same rules as the compact NSEC written at load, zone_signer.h): none
// at an empty non-terminal; NS (and DS) at a cut; at a name that flattens
// A and AAAA as its target has them, never the CNAME; RRSIG when anything
// there is signed.
void node_types(const zones::Zone& z, const zones::Node* node, bool flattened, bool has_a, bool has_aaaa,
                Types& out) {
  if (node->flags & zones::node_flag::kEmptyNonTerminal) return;
  const bool cut = node->flags & zones::node_flag::kDelegation;
  bool has_ds = false;
  for (const zones::RRset& set : z.rrsets(node)) {
    const uint16_t t = set.type;
    if (t == rrtype::RRSIG || t == rrtype::NSEC || t == rrtype::NSEC3 || t == rrtype::ALIAS ||
        t == rrtype::ANAME) {
      continue;
    }
    if (cut && t != rrtype::NS && t != rrtype::DS) continue;
    if (flattened && (t == rrtype::CNAME || t == rrtype::A || t == rrtype::AAAA)) continue;
    has_ds = has_ds || t == rrtype::DS;
    out.push(t);
  }
  if (flattened) {
    if (has_a) out.push(rrtype::A);
    if (has_aaaa) out.push(rrtype::AAAA);
  }
  if (cut ? has_ds : out.n > 0) out.push(rrtype::RRSIG);
}

uint32_t negative_ttl(const zones::Zone& z) {
  zones::RRset soa;
  return zones::negative_soa(z, soa) ? soa.ttl : 300;  // RFC 9077 §3
}


// "*." + name.
bool wildcard_of(NameView name, dns::NameBuffer& out) {
  if (name.size() + 2 > dns::kMaxNameLength) return false;
  out.bytes[0] = 1;
  out.bytes[1] = '*';
  std::copy(name.begin(), name.end(), out.bytes.begin() + 2);
  out.length = static_cast<uint8_t>(name.size() + 2);
  return true;
}

// The name one label longer than the closest encloser on the way to `name`.
NameView next_closer(NameView name, int encloser_labels) {
  return dns::strip_labels(name, dns::label_count(name) - encloser_labels - 1);
}

}  // namespace

bool AnswerSigning::nsec3_match(const zones::Zone& zone, const OnlineSigner& signer, const zones::Node* node,
                                dns::ResponseBuilder& rb) {
  if (!node) return true;
  const NameView name = zone.name(node);
  dns::Nsec3Hash hash;
  if (!zones::nsec3_hash_remembered(zone, name, hash)) return true;
  // A wildcard is never flattened (zones/answer.cpp): its CNAME is shown.
  const bool flattened = zones::is_flattened(zone, node) && !dns::is_wildcard(name);
  const bool target_known = node == flattened_at_;
  Types types;
  node_types(zone, node, flattened, !target_known || target_has_a_, !target_known || target_has_aaaa_, types);
  dns::NameBuffer owner;
  if (!nsec3_owner(hash, zone.origin().wire(), owner)) return true;
  uint8_t rdata[kMaxNsec3Rdata];
  const std::size_t length = nsec3_rdata(hash_after(hash), {types.items, types.n}, rdata);
  if (length == 0) return true;
  return write_signed(zone, signer, owner.view(), rrtype::NSEC3, negative_ttl(zone), {rdata, length},
                      Reuse::Shared, rb);
}

bool AnswerSigning::nsec3_cover(const zones::Zone& zone, const OnlineSigner& signer, NameView name, bool remember,
                                dns::ResponseBuilder& rb) {
  dns::Nsec3Hash hash;
  const bool hashed =
      remember ? zones::nsec3_hash_remembered(zone, name, hash) : zones::nsec3_hash_of(zone, name, hash);
  if (!hashed) return true;
  dns::NameBuffer owner;
  if (!nsec3_owner(hash_before(hash), zone.origin().wire(), owner)) return true;
  uint8_t rdata[kMaxNsec3Rdata];
  const std::size_t length = nsec3_rdata(hash_after(hash), {}, rdata);
  if (length == 0) return true;
  // The cover of a hash from the name asked is that asker's own; the cover
  // of a wildcard at a name in the zone (`remember`) is everyone's.
  return write_signed(zone, signer, owner.view(), rrtype::NSEC3, negative_ttl(zone), {rdata, length},
                      remember ? Reuse::Shared : Reuse::ThisWorker, rb);
}

bool AnswerSigning::deny_nsec3(const zones::DenialPoint& what, const OnlineSigner& signer,
                               dns::ResponseBuilder& rb) {
  using Kind = zones::DenialPoint::Kind;
  const zones::Zone& zone = what.zone;
  const zones::Node* ce = what.closest_encloser;
  switch (what.kind) {
    case Kind::WildcardAnswer:  // §7.2.6
      if (ce) (void)nsec3_cover(zone, signer, next_closer(what.name, ce->labels), false, rb);
      return true;
    case Kind::NxDomain: {  // §7.2.2: the closest encloser proof and the wildcard's cover
      if (!ce) return true;
      dns::NameBuffer star;
      if (!nsec3_match(zone, signer, ce, rb) ||
          !nsec3_cover(zone, signer, next_closer(what.name, ce->labels), false, rb) ||
          !wildcard_of(zone.name(ce), star)) {
        return true;
      }
      (void)nsec3_cover(zone, signer, star.view(), true, rb);
      return true;
    }
    case Kind::NoData:
      if (what.wildcard && ce) {  // §7.2.5: the closest encloser proof and the wildcard's own NSEC3
        if (nsec3_match(zone, signer, ce, rb) &&
            nsec3_cover(zone, signer, next_closer(what.name, ce->labels), false, rb)) {
          (void)nsec3_match(zone, signer, what.wildcard, rb);
        }
        return true;
      }
      (void)nsec3_match(zone, signer, what.node, rb);  // §7.2.3, §7.2.4
      return true;
    case Kind::NoDs:  // §7.2.7: the cut's NSEC3, NS and no DS
      (void)nsec3_match(zone, signer, what.node, rb);
      return true;
  }
  return true;
}

}  // namespace flatns::signing
