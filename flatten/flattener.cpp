#include "flatten/flattener.h"

#include <algorithm>
#include <cstdio>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "zones/lookup.h"

namespace flatns::flatten {

namespace {

namespace rrtype = dns::rrtype;
using dns::NameView;

// EDE INFO-CODEs (RFC 8914 §4).
constexpr uint16_t kEdeOther = 0;
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

void fail(dns::ResponseBuilder& rb, uint16_t code, const char* what, NameView qname,
          NameView at) {
  char text[255];
  const std::string q = dns::name_to_text(qname);
  const std::string t = dns::name_to_text(at);
  std::snprintf(text, sizeof text, "flattening %s: %s %s", q.c_str(), what, t.c_str());
  rb.set_rcode(dns::rcode::SERVFAIL);
  rb.set_extended_error({code, text});
}

}  // namespace

void Flattener::answer(const zones::ZoneSet& zones, const zones::Zone& zone,
                       const zones::Node* node, const dns::Query& q,
                       dns::ResponseBuilder& rb) const {
  const bool dnssec = q.edns.dnssec_ok;
  const NameView qname = q.qname.view();
  dns::NameBuffer name;
  uint32_t ttl = UINT32_MAX, link_ttl = 0;
  if (!link_target(zone, node, name, link_ttl)) {
    zones::add_negative_soa(zone, rb, dnssec);
    return;
  }
  ttl = std::min(ttl, link_ttl);
  for (int links = 1;; ++links) {
    const zones::Zone* z = zones.find(name.view());
    if (!z) {
      fail(rb, kEdeNoReachableAuthority, "no resolver reaches target", qname, name.view());
      return;
    }
    const zones::Lookup found = zones::lookup(*z, name.view(), q.qtype);
    using Kind = zones::Lookup::Kind;
    if (found.kind == Kind::Delegation) {
      fail(rb, kEdeNoReachableAuthority, "no resolver reaches delegated target", qname,
           name.view());
      return;
    }
    if (found.kind == Kind::NxDomain || found.kind == Kind::Dname) {
      // A dangling target is NODATA, so the apex's other records keep working.
      zones::add_negative_soa(zone, rb, dnssec);
      return;
    }
    if (const zones::RRset* set = z->rrset(found.node, q.qtype)) {
      uint32_t final_ttl = std::min(ttl, set->ttl);
      final_ttl = std::min(final_ttl, settings_.max_ttl);
      final_ttl = std::max(final_ttl, settings_.min_ttl);
      bool ok = true;
      const std::size_t mark = rb.mark();
      z->records(*set).for_each([&](std::span<const uint8_t> rdata) {
        if (ok) ok = rb.add(dns::Section::Answer, qname, q.qtype, dns::rrclass::IN, final_ttl, rdata);
      });
      if (!ok) {
        rb.rollback(mark, dns::Section::Answer, 0);
        rb.set_tc();
      }
      return;
    }
    if (links >= settings_.max_chain) {
      fail(rb, kEdeOther, "CNAME chain longer than the limit at", qname, name.view());
      return;
    }
    dns::NameBuffer next;
    if (!link_target(*z, found.node, next, link_ttl)) {
      zones::add_negative_soa(zone, rb, dnssec);
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

}  // namespace flatns::flatten
