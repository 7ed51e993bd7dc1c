#include "signing/answer_signing.h"

#include <algorithm>
#include <vector>

#include "dns/rrtype.h"
#include "dns/type_bitmap.h"
#include "signing/compact_denial.h"
#include "zones/zone.h"

namespace flatns::signing {

namespace {

namespace rrtype = dns::rrtype;
using Bytes = std::span<const uint8_t>;
using dns::Section;

// RDATA views of one RRset, on the stack (larger sets fall back to the
// stored signatures or are cut: flattened sets hold at most 8 addresses).
constexpr std::size_t kMaxRdatas = 256;

struct RdataViews {
  Bytes items[kMaxRdatas];
  std::size_t n = 0;
  bool overflow = false;
  void push(Bytes b) {
    if (n < kMaxRdatas) {
      items[n++] = b;
    } else {
      overflow = true;
    }
  }
  std::span<const Bytes> view() const { return {items, n}; }
};

// Writes the RRSIGs in `sigs` at `owner`; on no room, rolls back to `mark`
// (keeping `before` records in the section) and sets TC when `required`.
bool write_sigs(dns::ResponseBuilder& rb, Section s, dns::NameView owner, uint32_t ttl,
                const AnswerSignatures& sigs, std::size_t mark, uint16_t before, bool required) {
  for (std::size_t i = 0; i < sigs.count; ++i) {
    if (!rb.add(s, owner, rrtype::RRSIG, dns::rrclass::IN, ttl, sigs.at(i))) {
      rb.rollback(mark, s, before);
      if (required) rb.set_tc();
      return false;
    }
  }
  return true;
}

uint32_t nsec_ttl(const zones::Zone& zone) {
  const zones::RRset* nsec = zone.rrset(zone.apex(), rrtype::NSEC);
  return nsec ? nsec->ttl : 300;
}

// The label count of the first stored RRSIG over `set`, or -1.
int stored_labels(const zones::Zone& zone, const zones::RRset& set) {
  const zones::SigSet* sigs = zone.sigs(set);
  if (!sigs) return -1;
  int labels = -1;
  zone.records(*sigs).for_each([&](Bytes rd) {
    if (labels < 0 && rd.size() > 3) labels = rd[3];
  });
  return labels;
}

// The type bitmap of the NSEC stored at `node` (named `name`), or empty.
Bytes stored_bitmap(const zones::Zone& zone, const zones::Node* node, const zones::RRset*& nsec) {
  nsec = node ? zone.rrset(node, rrtype::NSEC) : nullptr;
  Bytes bitmap;
  if (!nsec) return bitmap;
  zone.records(*nsec).for_each([&](Bytes rd) {
    std::size_t p = 0;  // skip the next name
    while (p < rd.size() && rd[p] != 0) p += 1 + rd[p];
    if (p < rd.size()) bitmap = rd.subspan(p + 1);
  });
  return bitmap;
}

}  // namespace

bool AnswerSigning::sign(const zones::RRsetWrite& w, dns::ResponseBuilder& rb) {
  const OnlineSigner* signer = OnlineSigner::of(w.zone);
  if (!signer) return false;
  const int labels = dns::label_count(w.owner);
  // The signatures made at load, unless the set was synthesised from a
  // wildcard (its RRSIGs count fewer labels than the name it answers).
  // A set signed at no time is not authoritative (NS at a cut, glue): it
  // stays unsigned. With NSEC3 a wildcard answer keeps the wildcard's
  // RRSIGs too: deny() proves the name asked absent (RFC 5155 §7.2.6).
  const int stored = stored_labels(w.zone, w.set);
  if (stored == labels || stored < 0) return false;
  if (signer->policy().denial == Denial::Nsec3) return false;
  RdataViews rdatas;
  w.zone.records(w.set).for_each([&](Bytes rd) { rdatas.push(rd); });
  if (rdatas.overflow) return false;
  AnswerSignatures sigs;
  // Signed for the name asked: kept in this worker's table only (online_signer.h).
  if (!signer->sign_answer({w.owner, w.set.type, dns::rrclass::IN, rdatas.view()}, w.set.ttl, now_, labels, sigs,
                           Reuse::ThisWorker)) {
    return true;  // no signature can be made: the set goes unsigned (logged at load)
  }
  const uint32_t ttl = std::min(w.set.ttl, w.sig_ttl_cap);
  (void)write_sigs(rb, w.section, w.owner, ttl, sigs, rb.mark(), rb.count(w.section), w.required);
  return true;
}

void AnswerSigning::sign_flattened(const zones::Zone& zone, dns::NameView owner, uint16_t type,
                                   uint32_t original_ttl, uint32_t ttl, std::span<const Bytes> rdatas,
                                   dns::ResponseBuilder& rb) {
  const OnlineSigner* signer = OnlineSigner::of(zone);
  if (!signer) return;
  AnswerSignatures sigs;
  if (!signer->sign_answer({owner, type, dns::rrclass::IN, rdatas}, original_ttl, now_, dns::label_count(owner),
                           sigs)) {
    return;
  }
  (void)write_sigs(rb, Section::Answer, owner, ttl, sigs, rb.mark(), rb.count(Section::Answer), true);
}

bool AnswerSigning::write_nsec(const zones::Zone& zone, const OnlineSigner& signer, dns::NameView owner,
                               Bytes rdata, Reuse reuse, dns::ResponseBuilder& rb) {
  return write_signed(zone, signer, owner, rrtype::NSEC, nsec_ttl(zone), rdata, reuse, rb);
}

bool AnswerSigning::write_signed(const zones::Zone& zone, const OnlineSigner& signer, dns::NameView owner,
                                 uint16_t type, uint32_t ttl, Bytes rdata, Reuse reuse, dns::ResponseBuilder& rb) {
  const Bytes rds[] = {rdata};
  AnswerSignatures sigs;
  if (!signer.sign_answer({owner, type, dns::rrclass::IN, rds}, ttl, now_, dns::label_count(owner), sigs, reuse)) {
    return true;
  }
  const std::size_t mark = rb.mark();
  const uint16_t before = rb.count(Section::Authority);
  if (!rb.add(Section::Authority, owner, type, dns::rrclass::IN, ttl, rdata)) {
    rb.set_tc();
    return false;
  }
  return write_sigs(rb, Section::Authority, owner, ttl, sigs, mark, before, true);
}

bool AnswerSigning::write_stored_nsec(const zones::Zone& zone, const zones::Node* node, dns::ResponseBuilder& rb) {
  const zones::RRset* stored = node ? zone.rrset(node, rrtype::NSEC) : nullptr;
  if (!stored) return false;
  const dns::NameView owner = zone.name(node);
  const std::size_t mark = rb.mark();
  const uint16_t before = rb.count(Section::Authority);
  bool ok = rb.add_rrset(Section::Authority, owner, rrtype::NSEC, stored->ttl, zone.records(*stored).wire(),
                         stored->count);
  if (ok) {
    if (const zones::SigSet* sigs = zone.sigs(*stored)) {
      ok = rb.add_rrset(Section::Authority, owner, rrtype::RRSIG, sigs->ttl, zone.records(*sigs).wire(),
                        sigs->count);
    }
  }
  if (!ok) {
    rb.rollback(mark, Section::Authority, before);
    rb.set_tc();
  }
  return true;
}

bool AnswerSigning::nodata(const zones::DenialPoint& what, const OnlineSigner& signer, dns::ResponseBuilder& rb) {
  const zones::Zone& zone = what.zone;
  const zones::Node* node = what.wildcard ? what.wildcard : what.node;
  const bool flattened_gap = node && !what.wildcard && node == flattened_at_ && !(target_has_a_ && target_has_aaaa_);
  if (!what.wildcard && !flattened_gap) return write_stored_nsec(zone, node, rb);
  // An NSEC made for the name asked: the wildcard's types at QNAME, or the
  // flattened name's types less the one its target lacks.
  const zones::RRset* stored = nullptr;
  const Bytes bitmap = stored_bitmap(zone, node, stored);
  if (!stored) return false;
  dns::NameBuffer next;
  if (!next_name(what.name, zone.origin().wire(), next)) return false;
  uint16_t types[64];
  std::size_t n = 0;
  // dns::type_bitmap_types allocates; bitmaps here are a few octets, so walk them.
  for (std::size_t p = 0; p + 2 <= bitmap.size();) {
    const uint8_t window = bitmap[p], length = bitmap[p + 1];
    for (std::size_t i = 0; i < length && p + 2 + i < bitmap.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        if (!(bitmap[p + 2 + i] & (0x80 >> bit))) continue;
        const auto t = static_cast<uint16_t>(window << 8 | (i * 8 + bit));
        if (t == rrtype::RRSIG || t == rrtype::NSEC) continue;
        if (flattened_gap && ((t == rrtype::A && !target_has_a_) || (t == rrtype::AAAA && !target_has_aaaa_))) continue;
        if (n < std::size(types)) types[n++] = t;
      }
    }
    p += 2 + length;
  }
  thread_local std::vector<uint8_t> rdata;  // grows once, then reused
  nsec_rdata(next.view(), {types, n}, rdata);
  // At a name asked under a wildcard the NSEC is the asker's own; a
  // flattened name's is the same for everyone.
  (void)write_nsec(zone, signer, what.name, rdata, what.wildcard ? Reuse::ThisWorker : Reuse::Shared, rb);
  return true;
}

bool AnswerSigning::deny(const zones::DenialPoint& what, dns::ResponseBuilder& rb) {
  const OnlineSigner* signer = OnlineSigner::of(what.zone);
  if (!signer) return false;
  if (signer->policy().denial == Denial::Nsec3) return deny_nsec3(what, *signer, rb);
  using Kind = zones::DenialPoint::Kind;
  switch (what.kind) {
    case Kind::WildcardAnswer:
      return true;  // signed as an exact match: nothing to prove
    case Kind::NxDomain: {
      rb.set_rcode(compact_ok_ ? dns::rcode::NXDOMAIN : dns::rcode::NOERROR);
      thread_local std::vector<uint8_t> rdata;
      if (!nxname_nsec_rdata(what.name, what.zone.origin().wire(), rdata)) return true;
      (void)write_nsec(what.zone, *signer, what.name, rdata, Reuse::ThisWorker, rb);
      return true;
    }
    case Kind::NoData:
      return nodata(what, *signer, rb);
    case Kind::NoDs:
      return write_stored_nsec(what.zone, what.node, rb);
  }
  return false;
}

}  // namespace flatns::signing
