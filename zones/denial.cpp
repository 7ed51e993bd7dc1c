#include "zones/denial.h"

#include "dns/dnssec.h"
#include "dns/rrtype.h"
#include "zones/denial_hashes.h"
#include "zones/emit.h"

namespace flatns::zones {

namespace {

using dns::NameView;
using dns::Section;
namespace rrtype = dns::rrtype;

// Emits each distinct proof record once per response.
class ProofWriter {
 public:
  ProofWriter(const Zone& z, dns::ResponseBuilder& rb) : z_(z), rb_(rb) {}

  void nsec_at(const Node* node) { emit_once(node, rrtype::NSEC); }
  void nsec3_at(const Node* node) { emit_once(node, rrtype::NSEC3); }

 private:
  void emit_once(const Node* node, uint16_t type) {
    if (!node) return;
    for (int i = 0; i < used_; ++i) {
      if (seen_[i] == node) return;
    }
    if (used_ < kMax) seen_[used_++] = node;
    emit_node_rrset(z_, rb_, Section::Authority, node, type, /*dnssec=*/true);
  }

  static constexpr int kMax = 8;
  const Zone& z_;
  dns::ResponseBuilder& rb_;
  const Node* seen_[kMax] = {};
  int used_ = 0;
};

bool uses_nsec3(const Zone& z) { return z.nsec3().present; }

// "*." + name in a fixed buffer.
dns::NameBuffer wildcard_of(NameView name) {
  dns::NameBuffer star;
  star.bytes[0] = 1;
  star.bytes[1] = '*';
  const std::size_t n = name.size() <= dns::kMaxNameLength - 2 ? name.size() : 0;
  for (std::size_t i = 0; i < n; ++i) star.bytes[2 + i] = name[i];
  star.length = static_cast<uint8_t>(2 + n);
  return star;
}

// `remember`: the name is likely to recur (an existing closest encloser, a
// wildcard below one), so its hash goes through the thread's memo.
const Node* nsec3_matching(const Zone& z, NameView name, bool remember = false) {
  std::array<uint8_t, 20> h;
  const bool ok = remember ? nsec3_hash_remembered(z, name, h) : nsec3_hash_of(z, name, h);
  return ok ? z.nsec3_match(h) : nullptr;
}

const Node* nsec3_covering(const Zone& z, NameView name, bool remember = false) {
  std::array<uint8_t, 20> h;
  const bool ok = remember ? nsec3_hash_remembered(z, name, h) : nsec3_hash_of(z, name, h);
  return ok ? z.nsec3_cover(h) : nullptr;
}

// The name one label longer than `encloser` on the way down to `name`.
NameView next_closer(NameView name, int encloser_labels) {
  return dns::strip_labels(name, dns::label_count(name) - encloser_labels - 1);
}

// RFC 5155 §7.2.1: the closest provable encloser's NSEC3 and the NSEC3
// covering the next closer name. Returns the encloser's label count.
// `ce` is the closest existing encloser when the lookup found one: names
// below it do not exist, so no NSEC3 can match them and the search starts
// there (one SHA-1 per query saved, and the encloser's hash is remembered).
int closest_encloser_proof(const Zone& z, ProofWriter& w, NameView name, const Node* ce = nullptr) {
  const int apex_labels = z.apex()->labels;
  const int name_labels = dns::label_count(name);
  int start = name_labels - 1;
  if (ce && ce->labels < start) start = ce->labels;
  for (int labels = start; labels >= apex_labels; --labels) {
    const NameView candidate = dns::strip_labels(name, name_labels - labels);
    if (const Node* match = nsec3_matching(z, candidate, /*remember=*/ce != nullptr)) {
      w.nsec3_at(match);
      w.nsec3_at(nsec3_covering(z, next_closer(name, labels)));
      return labels;
    }
  }
  return apex_labels;
}

}  // namespace

void prove(const DenialPoint& what, dns::ResponseBuilder& rb) {
  switch (what.kind) {
    case DenialPoint::Kind::NxDomain:
      prove_nxdomain(what.zone, rb, what.name, what.closest_encloser);
      return;
    case DenialPoint::Kind::NoData:
      prove_nodata(what.zone, rb, what.name, what.node, what.wildcard, what.closest_encloser, what.qtype);
      return;
    case DenialPoint::Kind::NoDs:
      prove_no_ds(what.zone, rb, what.node);
      return;
    case DenialPoint::Kind::WildcardAnswer:
      prove_wildcard_answer(what.zone, rb, what.name, what.closest_encloser);
      return;
  }
}

void prove_nxdomain(const Zone& z, dns::ResponseBuilder& rb, NameView name, const Node* ce) {
  ProofWriter w(z, rb);
  if (uses_nsec3(z)) {
    // RFC 5155 §7.2.2: closest encloser proof plus the wildcard's cover.
    const int ce_labels = closest_encloser_proof(z, w, name, ce);
    const NameView encloser = dns::strip_labels(name, dns::label_count(name) - ce_labels);
    const dns::NameBuffer wild = wildcard_of(encloser);
    w.nsec3_at(nsec3_covering(z, wild.view(), /*remember=*/true));
    return;
  }
  const dns::NameBuffer star = wildcard_of(z.name(ce));
  w.nsec_at(z.nsec_predecessor(name));
  w.nsec_at(z.nsec_predecessor(star.view()));
}

void prove_nodata(const Zone& z, dns::ResponseBuilder& rb, NameView name, const Node* node,
                  const Node* wildcard, const Node* ce, uint16_t qtype) {
  ProofWriter w(z, rb);
  if (uses_nsec3(z)) {
    if (wildcard) {
      // RFC 5155 §7.2.5: closest encloser proof and the wildcard's own NSEC3.
      closest_encloser_proof(z, w, name, ce);
      w.nsec3_at(nsec3_matching(z, z.name(wildcard), /*remember=*/true));
      return;
    }
    if (const Node* match = nsec3_matching(z, name)) {
      w.nsec3_at(match);  // §7.2.3 (and §7.2.4 for DS when the name has an NSEC3)
      return;
    }
    // §7.2.4: DS at an opt-out delegation has no NSEC3 of its own.
    if (qtype == rrtype::DS) closest_encloser_proof(z, w, name);
    return;
  }
  if (wildcard) {
    w.nsec_at(wildcard->flags & node_flag::kEmptyNonTerminal ? nullptr : wildcard);
    w.nsec_at(z.nsec_predecessor(name));
    return;
  }
  if (node && z.rrset(node, rrtype::NSEC)) {
    w.nsec_at(node);
  } else {
    // An empty non-terminal: the NSEC whose span covers it (RFC 4035 §3.1.3.2).
    w.nsec_at(z.nsec_predecessor(name));
  }
}

void prove_wildcard_answer(const Zone& z, dns::ResponseBuilder& rb, NameView name,
                           const Node* ce) {
  ProofWriter w(z, rb);
  if (uses_nsec3(z)) {
    // RFC 5155 §7.2.6: the next closer name is covered.
    w.nsec3_at(nsec3_covering(z, next_closer(name, ce->labels)));
    return;
  }
  w.nsec_at(z.nsec_predecessor(name));
}

void prove_no_ds(const Zone& z, dns::ResponseBuilder& rb, const Node* cut) {
  ProofWriter w(z, rb);
  const NameView cut_name = z.name(cut);
  if (uses_nsec3(z)) {
    if (const Node* match = nsec3_matching(z, cut_name)) {
      w.nsec3_at(match);
    } else {
      // §7.2.7: opt-out span covering the delegation, with the closest provable encloser.
      closest_encloser_proof(z, w, cut_name);
    }
    return;
  }
  w.nsec_at(cut);
}

}  // namespace flatns::zones
