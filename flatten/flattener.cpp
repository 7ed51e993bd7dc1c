#include "flatten/flattener.h"

#include <algorithm>
#include <array>
#include <optional>

#include "dns/ede.h"
#include "dns/limits.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "zones/answer.h"
#include "zones/lookup.h"

namespace flatns::flatten {

namespace {

namespace rrtype = dns::rrtype;
using dns::NameView;


// The CNAME, ALIAS or ANAME target at `node`, if it has one.
bool link_target(const zones::Zone& z, const zones::Node* node, dns::NameBuffer& target,
                 uint32_t& ttl) {
  for (uint16_t type : {rrtype::CNAME, rrtype::ALIAS, rrtype::ANAME}) {
    const zones::RRset* set = z.rrset(node, type);
    if (!set) continue;
    bool found = false;
    z.records(*set).for_each([&](std::span<const uint8_t> rdata) {
      if (auto name = dns::rdata_target_name(type, rdata)) {
        target.assign(*name);
        found = true;
      }
    });
    ttl = set->ttl;
    return found;
  }
  return false;
}

// EXTRA-TEXT built on the stack (dns::name_to_text would allocate).
class Text {
 public:
  Text& put(std::string_view s) {
    for (char c : s) {
      if (length_ < sizeof buffer_) buffer_[length_++] = c;
    }
    return *this;
  }
  Text& put(NameView name) {
    std::size_t pos = 0;
    if (name.size() <= 1) return put(".");
    while (pos < name.size() && name[pos] != 0) {
      const uint8_t length = name[pos++];
      for (uint8_t i = 0; i < length && pos < name.size(); ++i) {
        const char c = static_cast<char>(name[pos++]);
        put(std::string_view(c > 32 && c < 127 ? &c : "?", 1));
      }
      put(".");
    }
    return *this;
  }
  [[nodiscard]] std::string_view view() const { return {buffer_, length_}; }

 private:
  char buffer_[255];
  std::size_t length_ = 0;
};

zones::Found fail(dns::ResponseBuilder& rb, uint16_t code, const Text& text) {
  rb.set_rcode(dns::rcode::SERVFAIL);
  rb.set_extended_error({code, text.view()});
  return zones::Found::Failed;
}

zones::Found fail(dns::ResponseBuilder& rb, uint16_t code, const char* what, NameView qname, NameView at) {
  Text text;
  text.put("flattening ").put(qname).put(": ").put(what).put(" ").put(at);
  return fail(rb, code, text);
}

}  // namespace

uint32_t Flattener::clamp_ttl(uint32_t ttl) const {
  ttl = std::min(ttl, settings_.max_ttl);
  return std::max(ttl, settings_.min_ttl);
}

zones::Found Flattener::answer(const zones::AnswerPoint& at, dns::ResponseBuilder& rb, FlattenCall* call,
                              signing::AnswerSigning* signing) const {
  if (!at.query.edns.dnssec_ok || !signing::OnlineSigner::of(at.zone)) signing = nullptr;
  return answer_unsigned(at, rb, call, signing);
}

std::optional<bool> Flattener::target_has(const zones::AnswerPoint& at, uint16_t type) const {
  dns::Query q = at.query;
  q.qtype = type;
  q.edns.dnssec_ok = false;
  std::array<uint8_t, 1232> scratch;
  dns::ResponseBuilder rb(scratch);
  rb.start(q, scratch.size());
  // No call: nothing is parked or prefetched; a miss is a failure here.
  const zones::Found found = answer_unsigned(zones::AnswerPoint{at.zones, at.zone, at.node, q}, rb, nullptr, nullptr);
  if (found == zones::Found::Hit || found == zones::Found::Truncated) return true;
  if (found == zones::Found::NoData) return false;
  return std::nullopt;
}

bool FlattenHook::deny(const zones::DenialPoint& what, dns::ResponseBuilder& rb) {
  // Unknown (not cached, failed) counts as present: a listed type only
  // makes a resolver ask for it.
  auto tell_target = [&](const zones::AnswerPoint& at) {
    signing_->flattened_target(at.node, flattener_.target_has(at, rrtype::A).value_or(true),
                               flattener_.target_has(at, rrtype::AAAA).value_or(true));
  };
  if (what.kind == zones::DenialPoint::Kind::NoData && at_ && what.node == at_->node && !what.wildcard) {
    tell_target(*at_);
  } else if (what.zones && what.query && what.closest_encloser && what.kind != zones::DenialPoint::Kind::NoDs &&
             zones::is_flattened(what.zone, what.closest_encloser)) {
    // An NSEC3 proof shows the closest encloser's types: when it flattens,
    // A and AAAA as its target has them, as in its own NODATA.
    const signing::OnlineSigner* signer = signing::OnlineSigner::of(what.zone);
    if (signer && signer->policy().denial == signing::Denial::Nsec3) {
      tell_target(zones::AnswerPoint{*what.zones, what.zone, what.closest_encloser, *what.query});
    }
  }
  return signing_->deny(what, rb);
}

// The address set just written at a flattened name, signed with original
// TTL max_ttl (which bounds every TTL served), so that each address set has
// one signature while it is fresh.
zones::Found Flattener::sign_written(const zones::Zone& zone, const dns::Query& q,
                                     std::span<const std::span<const uint8_t>> rdatas, uint32_t ttl,
                                     dns::ResponseBuilder& rb, signing::AnswerSigning* signing) const {
  if (signing) {
    signing->sign_flattened(zone, q.qname.view(), q.qtype, settings_.max_ttl ? settings_.max_ttl : kUnboundedSignatureTtl,
                            ttl, rdatas, rb);
  }
  return rb.truncated() ? zones::Found::Truncated : zones::Found::Hit;
}

zones::Found Flattener::answer_unsigned(const zones::AnswerPoint& at, dns::ResponseBuilder& rb,
                                        FlattenCall* call, signing::AnswerSigning* signing) const {
  using zones::Found;
  const dns::Query& q = at.query;
  if (q.qtype != rrtype::A && q.qtype != rrtype::AAAA) return Found::Begin;
  const NameView qname = q.qname.view();
  dns::NameBuffer name;
  uint32_t ttl = UINT32_MAX, link_ttl = 0;
  // A dangling target is NODATA, so the apex's other records keep working.
  if (!link_target(at.zone, at.node, name, link_ttl)) return Found::NoData;
  ttl = std::min(ttl, link_ttl);
  // The nodes whose link was followed, to tell a loop (a node reached again)
  // from a chain that is only long. A node is one name in one served zone,
  // and the same name always lands on the same node.
  std::array<const zones::Node*, dns::kMaxCnameChain + 1> followed;
  followed[0] = at.node;
  for (unsigned links = 1;; ++links) {
    const zones::Zone* z = at.zones.find(name.view());
    if (!z) return answer_external(at.zone, q, name.view(), ttl, rb, call, signing);
    const zones::NameMatch found = zones::lookup(*z, name.view(), q.qtype);
    using Kind = zones::NameMatch::Kind;
    if (found.kind == Kind::Delegation) {  // below a cut we serve: the resolver follows it
      return answer_external(at.zone, q, name.view(), ttl, rb, call, signing);
    }
    if (found.kind == Kind::NxDomain || found.kind == Kind::Dname) return Found::NoData;
    if (const zones::RRset* set = z->rrset(found.node, q.qtype)) {
      const uint32_t final_ttl = clamp_ttl(std::min(ttl, set->ttl));
      bool ok = true;
      const std::size_t mark = rb.mark();
      std::span<const uint8_t> rdatas[kMaxSignedAddresses];
      std::size_t n = 0;
      z->records(*set).for_each([&](std::span<const uint8_t> rdata) {
        if (ok) ok = rb.add(dns::Section::Answer, qname, q.qtype, dns::rrclass::IN, final_ttl, rdata);
        if (n < kMaxSignedAddresses) rdatas[n] = rdata;
        ++n;  // a larger set is not signed (a resolver would find it bogus)
      });
      if (ok) {
        return sign_written(at.zone, q, {rdatas, std::min(n, kMaxSignedAddresses)}, final_ttl, rb,
                            n <= kMaxSignedAddresses ? signing : nullptr);
      }
      rb.rollback(mark, dns::Section::Answer, 0);
      rb.set_tc();
      return Found::Truncated;
    }
    const auto followed_end = followed.begin() + links;
    if (std::find(followed.begin(), followed_end, found.node) != followed_end) {
      return fail(rb, dns::ede::Other, "CNAME loop through", qname, name.view());
    }
    if (links >= dns::kMaxCnameChain) {
      return fail(rb, dns::ede::Other, "CNAME chain longer than the limit at", qname, name.view());
    }
    followed[links] = found.node;
    dns::NameBuffer next;
    if (!link_target(*z, found.node, next, link_ttl)) return Found::NoData;
    ttl = std::min(ttl, link_ttl);
    name = next;
  }
}

zones::Found Flattener::answer_external(const zones::Zone& zone, const dns::Query& q, NameView target,
                                        uint32_t chain_ttl, dns::ResponseBuilder& rb,
                                        FlattenCall* call, signing::AnswerSigning* signing) const {
  if (!cache_) {
    return fail(rb, dns::ede::NoReachableAuthority, "no resolver reaches target", q.qname.view(), target);
  }
  const bool final = call == nullptr || call->final;
  const uint64_t now = time_.now_ms();
  CachedAnswer entry;
  CacheRef ref;
  const bool hit = cache_->lookup(target, q.qtype, entry, &ref);
  if (hit && entry.fresh(now)) {
    const uint64_t remaining_ms = entry.expires_ms() - now;
    // Prefetch in the last tenth of the TTL, once per stored entry; after a
    // failed one, only when its failure is no longer cached (failure_ttl_s),
    // so a failing authority is not asked again at every query (Unbound
    // holds its next prefetch back 5 s the same way).
    if (call && remaining_ms * 10 <= uint64_t{entry.ttl_s} * 1000 && !entry.failure_fresh(now) &&
        cache_->claim_prefetch(ref)) {
      call->refresh = true;
      call->target.assign(target);
      call->qtype = q.qtype;
      call->zone = zone.origin().wire();
    }
    const auto remaining_s = static_cast<uint32_t>((remaining_ms + 999) / 1000);
    return add_cached(zone, q, entry, clamp_ttl(std::min(chain_ttl, remaining_s)), rb, signing);
  }
  if (!final && !(hit && entry.failure_fresh(now))) {
    call->target.assign(target);
    call->qtype = q.qtype;
    call->zone = zone.origin().wire();
    if (hit && stale_usable(settings_, entry, now)) {
      if (settings_.stale_client_timeout_ms == 0) {
        // RFC 8767 §5 with a client response timer of 0: the stale answer
        // now, the refresh in the background (the worker sends at most one
        // request per target per deadline, the service coalesces them).
        call->stale_refresh = true;
        return answer_final(zone, q, target, hit, entry, now, rb, signing);
      }
      call->hold_ms = settings_.stale_client_timeout_ms;
    }
    call->outcome = FlattenCall::Outcome::Park;
    return zones::Found::Held;
  }
  return answer_final(zone, q, target, hit, entry, now, rb, signing);
}

bool stale_usable(const FlattenerSettings& settings, const CachedAnswer& entry, uint64_t now_ms) {
  return settings.serve_stale && entry.kind != AnswerKind::None && !entry.zero_ttl &&
         now_ms - entry.expires_ms() < uint64_t{settings.stale_max_s} * 1000;
}

uint32_t stale_ttl(const FlattenerSettings& settings, const CachedAnswer& entry) {
  return std::min(settings.stale_reply_ttl_s, entry.ttl_s);
}

zones::Found Flattener::answer_final(const zones::Zone& zone, const dns::Query& q, NameView target,
                                     bool hit, const CachedAnswer& entry, uint64_t now,
                                     dns::ResponseBuilder& rb, signing::AnswerSigning* signing) const {
  const bool failed = hit && entry.failed;
  if (hit && stale_usable(settings_, entry, now)) {
    const zones::Found state = add_cached(zone, q, entry, stale_ttl(settings_, entry), rb, signing);
    Text text;
    text.put("stale answer for ").put(target).put(": ");
    text.put(failed ? entry.failure() : std::string_view("the refresh has not answered yet"));
    rb.set_extended_error({dns::ede::StaleAnswer, text.view()});
    return state;
  }
  Text text;
  text.put("flattening ").put(q.qname.view()).put(": target ").put(target).put(": ");
  if (failed) return fail(rb, entry.failure_ede, text.put(entry.failure()));
  return fail(rb, dns::ede::NoReachableAuthority, text.put("no answer within the deadline"));
}

zones::Found Flattener::add_cached(const zones::Zone& zone, const dns::Query& q, const CachedAnswer& entry,
                                   uint32_t ttl, dns::ResponseBuilder& rb, signing::AnswerSigning* signing) const {
  // The target does not exist or has no such type: NODATA, so MX/TXT at the
  // apex keep working.
  if (entry.kind != AnswerKind::Addresses || entry.address_count == 0) return zones::Found::NoData;
  const std::size_t mark = rb.mark();
  std::span<const uint8_t> rdatas[kMaxCachedAddresses];
  for (std::size_t i = 0; i < entry.address_count; ++i) {
    rdatas[i] = entry.address(i);
    if (!rb.add(dns::Section::Answer, q.qname.view(), q.qtype, dns::rrclass::IN, ttl, rdatas[i])) {
      rb.rollback(mark, dns::Section::Answer, 0);
      rb.set_tc();
      return zones::Found::Truncated;
    }
  }
  return sign_written(zone, q, {rdatas, entry.address_count}, ttl, rb, signing);
}

}  // namespace flatns::flatten
