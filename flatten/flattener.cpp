#include "flatten/flattener.h"

#include <algorithm>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "zones/lookup.h"
#include "zones/online_answer.h"

namespace flatns::flatten {

namespace {

namespace rrtype = dns::rrtype;
using dns::NameView;

// EDE INFO-CODEs (RFC 8914 §4).
constexpr uint16_t kEdeOther = 0;
constexpr uint16_t kEdeStaleAnswer = 3;
constexpr uint16_t kEdeNoReachableAuthority = 22;

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

// RDATA views of one flattened RRset (at most kMaxCachedAddresses records
// are ever flattened from the cache; a local RRset beyond 64 is cut).
struct Rdatas {
  std::span<const uint8_t> items[64];
  std::size_t n = 0;
  void push(std::span<const uint8_t> s) {
    if (n < 64) items[n++] = s;
  }
  std::span<const std::span<const uint8_t>> view() const { return {items, n}; }
};

// The original TTL flattened RRSIGs carry: at least any TTL served.
uint32_t signature_ttl(uint32_t max_ttl) { return max_ttl ? max_ttl : 86400; }

// The target has no such RRset: NODATA with the SOA, so MX/TXT at the apex
// keep working; signed online, with the name's NSEC less the type asked.
void flattened_nodata(const zones::Zone& zone, const dns::Query& q, dns::ResponseBuilder& rb) {
  zones::add_negative_soa(zone, rb, q.edns.dnssec_ok);
  if (q.edns.dnssec_ok && zone.online_answer() && !rb.truncated()) {
    zone.online_answer()->flattened_nodata(zone, q.qname.view(), q.qtype, rb);
  }
}

void fail(dns::ResponseBuilder& rb, uint16_t code, const Text& text) {
  rb.set_rcode(dns::rcode::SERVFAIL);
  rb.set_extended_error({code, text.view()});
}

void fail(dns::ResponseBuilder& rb, uint16_t code, const char* what, NameView qname, NameView at) {
  Text text;
  text.put("flattening ").put(qname).put(": ").put(what).put(" ").put(at);
  fail(rb, code, text);
}

}  // namespace

uint32_t Flattener::clamp_ttl(uint32_t ttl) const {
  ttl = std::min(ttl, settings_.max_ttl);
  return std::max(ttl, settings_.min_ttl);
}

void Flattener::answer(const zones::ZoneSet& zones, const zones::Zone& zone,
                       const zones::Node* node, const dns::Query& q,
                       dns::ResponseBuilder& rb, zones::FlattenCall* call) const {
  const bool dnssec = q.edns.dnssec_ok;
  const NameView qname = q.qname.view();
  dns::NameBuffer name;
  uint32_t ttl = UINT32_MAX, link_ttl = 0;
  if (!link_target(zone, node, name, link_ttl)) {
    flattened_nodata(zone, q, rb);
    return;
  }
  ttl = std::min(ttl, link_ttl);
  for (int links = 1;; ++links) {
    const zones::Zone* z = zones.find(name.view());
    if (!z) {
      answer_external(zone, q, name.view(), ttl, rb, call);
      return;
    }
    const zones::Lookup found = zones::lookup(*z, name.view(), q.qtype);
    using Kind = zones::Lookup::Kind;
    if (found.kind == Kind::Delegation) {  // below a cut we serve: the resolver follows it
      answer_external(zone, q, name.view(), ttl, rb, call);
      return;
    }
    if (found.kind == Kind::NxDomain || found.kind == Kind::Dname) {
      // A dangling target is NODATA, so the apex's other records keep working.
      flattened_nodata(zone, q, rb);
      return;
    }
    if (const zones::RRset* set = z->rrset(found.node, q.qtype)) {
      const uint32_t final_ttl = clamp_ttl(std::min(ttl, set->ttl));
      bool ok = true;
      const std::size_t mark = rb.mark();
      z->records(*set).for_each([&](std::span<const uint8_t> rdata) {
        if (ok) ok = rb.add(dns::Section::Answer, qname, q.qtype, dns::rrclass::IN, final_ttl, rdata);
      });
      if (!ok) {
        rb.rollback(mark, dns::Section::Answer, 0);
        rb.set_tc();
        return;
      }
      if (dnssec && zone.online_answer()) {
        Rdatas rdatas;
        z->records(*set).for_each([&](std::span<const uint8_t> rdata) { rdatas.push(rdata); });
        zone.online_answer()->sign_flattened(zone, qname, q.qtype, signature_ttl(settings_.max_ttl), final_ttl,
                                             rdatas.view(), rb);
      }
      return;
    }
    if (links >= settings_.max_chain) {
      fail(rb, kEdeOther, "CNAME chain longer than the limit at", qname, name.view());
      return;
    }
    dns::NameBuffer next;
    if (!link_target(*z, found.node, next, link_ttl)) {
      flattened_nodata(zone, q, rb);
      return;
    }
    if (dns::name_equal(next.view(), qname) || dns::name_equal(next.view(), name.view())) {
      fail(rb, kEdeOther, "CNAME loop through", qname, name.view());
      return;
    }
    ttl = std::min(ttl, link_ttl);
    name = next;
  }
}

void Flattener::answer_external(const zones::Zone& zone, const dns::Query& q, NameView target,
                                uint32_t chain_ttl, dns::ResponseBuilder& rb,
                                zones::FlattenCall* call) const {
  if (!cache_) {
    fail(rb, kEdeNoReachableAuthority, "no resolver reaches target", q.qname.view(), target);
    return;
  }
  const bool final = call == nullptr || call->final;
  const uint64_t now = time_.now_ms();
  CachedAnswer entry;
  CacheRef ref;
  const bool hit = cache_->lookup(target, q.qtype, entry, &ref);
  if (hit && entry.fresh(now)) {
    const uint64_t remaining_ms = entry.expires_ms() - now;
    // Prefetch in the last tenth of the TTL, once per stored entry.
    if (call && remaining_ms * 10 <= uint64_t{entry.ttl_s} * 1000 && cache_->claim_prefetch(ref)) {
      call->refresh = true;
      call->target.assign(target);
      call->qtype = q.qtype;
      call->zone = zone.origin().wire();
    }
    const auto remaining_s = static_cast<uint32_t>((remaining_ms + 999) / 1000);
    add_cached(zone, q, entry, clamp_ttl(std::min(chain_ttl, remaining_s)), rb);
    return;
  }
  if (!final && !(hit && entry.failure_fresh(now))) {
    call->outcome = zones::FlattenCall::Outcome::Park;
    call->target.assign(target);
    call->qtype = q.qtype;
    call->zone = zone.origin().wire();
    return;
  }
  answer_final(zone, q, target, hit, entry, now, rb);
}

void Flattener::answer_final(const zones::Zone& zone, const dns::Query& q, NameView target, bool hit,
                             const CachedAnswer& entry, uint64_t now, dns::ResponseBuilder& rb) const {
  const bool failed = hit && entry.failed;
  const bool stale_usable = settings_.serve_stale && hit && entry.kind != AnswerKind::None &&
                            now - entry.expires_ms() <= uint64_t{settings_.stale_max_s} * 1000;
  if (stale_usable) {
    add_cached(zone, q, entry, kStaleTtl, rb);
    Text text;
    text.put("stale answer for ").put(target).put(": ");
    text.put(failed ? entry.failure() : std::string_view("no answer within the deadline"));
    rb.set_extended_error({kEdeStaleAnswer, text.view()});
    return;
  }
  Text text;
  text.put("flattening ").put(q.qname.view()).put(": target ").put(target).put(": ");
  if (failed) {
    fail(rb, entry.failure_ede, text.put(entry.failure()));
    return;
  }
  fail(rb, kEdeNoReachableAuthority, text.put("no answer within the deadline"));
}

void Flattener::add_cached(const zones::Zone& zone, const dns::Query& q, const CachedAnswer& entry,
                           uint32_t ttl, dns::ResponseBuilder& rb) const {
  if (entry.kind != AnswerKind::Addresses || entry.address_count == 0) {
    // The target does not exist or has no such type: NODATA, so MX/TXT at
    // the apex keep working.
    flattened_nodata(zone, q, rb);
    return;
  }
  const std::size_t mark = rb.mark();
  for (std::size_t i = 0; i < entry.address_count; ++i) {
    if (!rb.add(dns::Section::Answer, q.qname.view(), q.qtype, dns::rrclass::IN, ttl, entry.address(i))) {
      rb.rollback(mark, dns::Section::Answer, 0);
      rb.set_tc();
      return;
    }
  }
  if (q.edns.dnssec_ok && zone.online_answer()) {
    Rdatas rdatas;
    for (std::size_t i = 0; i < entry.address_count; ++i) rdatas.push(entry.address(i));
    zone.online_answer()->sign_flattened(zone, q.qname.view(), q.qtype, signature_ttl(settings_.max_ttl),
                                         ttl, rdatas.view(), rb);
  }
}

}  // namespace flatns::flatten
