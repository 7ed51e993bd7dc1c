// What the answer signs per query in a zone signed online (issue 14): the
// `signs` and `denies` stages of zones/answer_hook.h, and the RRSIGs of
// flattened addresses. A per-query object on the stack, built by the
// responder when some served zone is signed online; flatten's FlattenHook
// hands it those stages (flatten/flattener.h). For a zone not signed
// online every call returns false and the zone's stored records are used.
//
//  - sign(): RRsets from the zone keep the RRSIGs made at load (the zone's
//    stored ones); an RRset synthesised from a wildcard is signed as an
//    exact match of the name asked (labels = QNAME's), so no proof that
//    QNAME does not exist is needed (RFC 9824 §3.4; RFC 4470);
//  - deny(): compact denial (RFC 9824): a name that does not exist gets
//    NOERROR (NXDOMAIN when the query set CO, §4) and one NSEC owner =
//    the name, next = its immediate successor, types RRSIG NSEC NXNAME
//    (§3.2); NODATA the NSEC stored at the name (its true types, §3.1), or
//    at a name synthesised from a wildcard an NSEC at the name with the
//    wildcard's types; at a flattened name whose target lacks the type
//    asked, the name's NSEC without it (a signed NODATA); an unsigned
//    delegation the cut's NSEC (NS, no DS: RFC 4035 §3.1.4.1); a wildcard
//    answer needs nothing;
//  - sign_flattened(): the RRSIGs of the address set just written.
//
// With `denial: nsec3` deny() writes NSEC3 white lies instead
// (signing/nsec3_white_lies.h; answer_nsec3.cpp): NXDOMAIN keeps its rcode
// and gets RFC 5155 §7.2.2's three records (the closest encloser's
// matching NSEC3, covers of the next closer name and of the wildcard at
// the closest encloser), NODATA the name's matching NSEC3 (§7.2.3; at a
// wildcard §7.2.5), an unsigned delegation the cut's (NS, no DS: §7.2.7
// without opt-out), a wildcard answer keeps the wildcard's RRSIGs and
// gets the next closer name's cover (§7.2.6). A matching NSEC3 lists the
// name's true types whatever the query; at a flattened name A and AAAA as
// its target has them, whether the name is the one asked or the closest
// encloser of a name that does not exist.
//
// Signatures come from the worker's memo (answer_memo.h) without a lock or
// an allocation. On a miss, what is signed for the name asked (an NSEC
// owned by QNAME, an NSEC3 covering a hash derived from it, a wildcard
// answer signed as an exact match) is signed and kept in that memo alone
// (Reuse::ThisWorker, online_signer.h): random names never reach the
// shared cache. What any query may share (flattened address sets, the
// NSEC or NSEC3 of a name in the zone) goes through the shared cache.
#pragma once

#include <cstdint>
#include <span>

#include "dns/message.h"
#include "signing/online_signer.h"
#include "zones/answer_hook.h"

namespace flatns::signing {

class AnswerSigning {
 public:
  AnswerSigning(bool compact_ok, int64_t now) : compact_ok_(compact_ok), now_(now) {}

  // The hook stages (zones/answer_hook.h).
  [[nodiscard]] bool sign(const zones::RRsetWrite& w, dns::ResponseBuilder& rb);
  [[nodiscard]] bool deny(const zones::DenialPoint& what, dns::ResponseBuilder& rb);

  // RRSIGs for the flattened `type` RRset (`rdatas`) just written at
  // `owner` with TTL `ttl`, signed with original TTL `original_ttl` (at
  // least any TTL served). Sets TC when they do not fit.
  void sign_flattened(const zones::Zone& zone, dns::NameView owner, uint16_t type, uint32_t original_ttl,
                      uint32_t ttl, std::span<const std::span<const uint8_t>> rdatas, dns::ResponseBuilder& rb);
  // What the target of the flattened name at `node` has: a NODATA there
  // lists A and AAAA in its NSEC only when the target has them, whatever
  // type was asked (the zone's stored NSEC lists both, so that aggressive
  // NSEC caching never denies a flattened answer).
  void flattened_target(const zones::Node* node, bool has_a, bool has_aaaa) {
    flattened_at_ = node;
    target_has_a_ = has_a;
    target_has_aaaa_ = has_aaaa;
  }

 private:
  bool write_nsec(const zones::Zone& zone, const OnlineSigner& signer, dns::NameView owner,
                  std::span<const uint8_t> rdata, Reuse reuse, dns::ResponseBuilder& rb);
  bool write_stored_nsec(const zones::Zone& zone, const zones::Node* node, dns::ResponseBuilder& rb);
  bool nodata(const zones::DenialPoint& what, const OnlineSigner& signer, dns::ResponseBuilder& rb);
  // A record made here (NSEC or NSEC3) and its RRSIGs in authority; false
  // (TC set) when it does not fit.
  bool write_signed(const zones::Zone& zone, const OnlineSigner& signer, dns::NameView owner, uint16_t type,
                    uint32_t ttl, std::span<const uint8_t> rdata, Reuse reuse, dns::ResponseBuilder& rb);
  // answer_nsec3.cpp
  bool deny_nsec3(const zones::DenialPoint& what, const OnlineSigner& signer, dns::ResponseBuilder& rb);
  bool nsec3_match(const zones::Zone& zone, const OnlineSigner& signer, const zones::Node* node,
                   dns::ResponseBuilder& rb);
  bool nsec3_cover(const zones::Zone& zone, const OnlineSigner& signer, dns::NameView name, bool remember,
                   dns::ResponseBuilder& rb);

  bool compact_ok_;
  int64_t now_;
  const zones::Node* flattened_at_ = nullptr;
  bool target_has_a_ = true, target_has_aaaa_ = true;
};

}  // namespace flatns::signing
