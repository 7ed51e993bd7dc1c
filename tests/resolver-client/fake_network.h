// The fake network and clock of the resolver unit tests (tests/support), and
// a small authoritative answerer over zone text, so scenarios read like zone
// files.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/message_parser.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "resolver-client/resolver.h"
#include "resolver-client/transport.h"
#include "tests/support/fake_network.h"
#include "validator_test_util.h"

namespace flatns::testutil {

// An authoritative server for the zones given as text (RFC 1035 syntax):
// answers, CNAMEs (chased inside the zone), referrals with glue from the
// zone, NODATA and NXDOMAIN with the SOA, as NSD would for unsigned zones.
// For zones signed with NSEC (zone text from ldns-signzone) it adds what NSD
// adds: RRSIGs, the DS (or the NSEC proving its absence) in referrals, and
// the NSEC records proving NODATA and NXDOMAIN. DS queries for a zone's apex
// are answered from its parent when both are served here.
class FakeAuthority {
 public:
  void add_zone(const std::string& origin, const std::string& text) {
    zones_.push_back({dns::Name::parse(origin), parse_zone_text(text, dns::Name::parse(origin))});
  }

  std::optional<dns::Message> answer(const resolver::UpstreamQuery& q) const {
    const Zone* z = nullptr;
    for (const auto& c : zones_) {
      if (q.qtype == dns::rrtype::DS && q.qname == c.origin && !c.origin.is_root()) continue;
      if (q.qname.is_subdomain_of(c.origin) && (z == nullptr || c.origin.labels() > z->origin.labels())) {
        z = &c;
      }
    }
    dns::Message m;
    if (z == nullptr) {
      m.flags = dns::rcode::REFUSED;
      return m;
    }
    // A delegation between the apex and the name (the name itself included,
    // except for DS, which the parent answers).
    for (int strip = q.qname.labels() - z->origin.labels() - 1; strip >= 0; --strip) {
      dns::Name cut;
      (void)dns::Name::from_wire(dns::strip_labels(q.qname.wire(), strip), cut);
      if (cut == z->origin || (strip == 0 && q.qtype == dns::rrtype::DS)) continue;
      auto ns = select(z->records, cut, dns::rrtype::NS);
      if (ns.empty()) continue;
      m.authority = ns;
      auto ds = select(z->records, cut, dns::rrtype::DS);
      if (!ds.empty()) {
        m.authority.insert(m.authority.end(), ds.begin(), ds.end());
        add_signatures(*z, cut, dns::rrtype::DS, m.authority);
      } else {
        add_nsec(*z, cut, m.authority);
      }
      for (const auto& rr : ns) {
        auto target = dns::rdata_target_name(rr.type, rr.rdata);
        dns::Name t;
        if (!target || !dns::Name::from_wire(*target, t)) continue;
        for (const auto& g : select(z->records, t, dns::rrtype::A)) {
          m.additional.push_back(g);
        }
      }
      return m;
    }
    m.flags = dns::flag::AA;
    dns::Name name = q.qname;
    for (int hops = 0; hops < 8; ++hops) {
      auto exact = select(z->records, name, q.qtype);
      if (!exact.empty()) {
        m.answer.insert(m.answer.end(), exact.begin(), exact.end());
        add_signatures(*z, name, q.qtype, m.answer);
        // As NSD: the addresses of the NS names the zone holds go along.
        if (q.qtype == dns::rrtype::NS) {
          for (const auto& rr : exact) {
            auto target = dns::rdata_target_name(rr.type, rr.rdata);
            dns::Name t;
            if (!target || !dns::Name::from_wire(*target, t)) continue;
            for (uint16_t type : {dns::rrtype::A, dns::rrtype::AAAA}) {
              for (const auto& g : select(z->records, t, type)) m.additional.push_back(g);
            }
          }
        }
        return m;
      }
      auto cname = select(z->records, name, dns::rrtype::CNAME);
      if (cname.empty() || q.qtype == dns::rrtype::CNAME) break;
      m.answer.push_back(cname.front());
      add_signatures(*z, name, dns::rrtype::CNAME, m.answer);
      dns::Name t;
      auto target = dns::rdata_target_name(cname.front().type, cname.front().rdata);
      if (!target || !dns::Name::from_wire(*target, t) || !t.is_subdomain_of(z->origin)) return m;
      // Chased only while the target is this zone's own data (not below a cut).
      for (dns::Name a = t; !(a == z->origin); a = a.parent()) {
        if (!select(z->records, a, dns::rrtype::NS).empty()) return m;
      }
      name = t;
    }
    bool exists = false;
    for (const auto& rr : z->records) exists = exists || rr.owner.is_subdomain_of(name);
    m.authority = select(z->records, z->origin, dns::rrtype::SOA);
    add_signatures(*z, z->origin, dns::rrtype::SOA, m.authority);
    add_nsec(*z, name, m.authority);
    if (!exists) {
      m.flags |= dns::rcode::NXDOMAIN;
      // The wildcard at the closest encloser does not exist either.
      dns::Name ce = name;
      while (!(ce == z->origin)) {
        bool found = false;
        for (const auto& rr : z->records) found = found || rr.owner.is_subdomain_of(ce);
        if (found) break;
        ce = ce.parent();
      }
      add_nsec(*z, ce.prepend("*"), m.authority);
    }
    return m;
  }

  FakeNetwork::Handler handler() const {
    return [this](const resolver::UpstreamQuery& q) { return answer(q); };
  }

 // With DO=1 (always, from the resolver) answers carry their RRSIGs when the
  // zone text has them.
 private:
  struct Zone {
    dns::Name origin;
    std::vector<dns::ResourceRecord> records;
  };
  static void add_signatures(const Zone& z, const dns::Name& owner, uint16_t type,
                             std::vector<dns::ResourceRecord>& out) {
    auto sigs = select(z.records, owner, dns::rrtype::RRSIG, type);
    out.insert(out.end(), sigs.begin(), sigs.end());
  }
  // The NSEC owned by `name`, or else the one covering it, with its RRSIG
  // (nothing for zones without NSEC).
  static void add_nsec(const Zone& z, const dns::Name& name, std::vector<dns::ResourceRecord>& out) {
    const dns::ResourceRecord* best = nullptr;
    for (const auto& rr : z.records) {
      if (rr.type != dns::rrtype::NSEC || dns::canonical_compare(rr.owner.wire(), name.wire()) > 0) continue;
      if (best == nullptr || dns::canonical_compare(best->owner.wire(), rr.owner.wire()) < 0) best = &rr;
    }
    if (best == nullptr) return;
    for (const auto& rr : out) {
      if (rr.type == dns::rrtype::NSEC && rr.owner == best->owner) return;
    }
    out.push_back(*best);
    add_signatures(z, best->owner, dns::rrtype::NSEC, out);
  }
  std::vector<Zone> zones_;
};

// A root zone on 127.53.0.1 (a.root.) delegating com. to ns1.com. on
// 127.53.1.1: where the tests' hierarchies start.
inline constexpr const char* kRootWithCom = R"(
. 86400 IN SOA a.root. hostmaster.root. 1 1800 900 604800 86400
. 518400 IN NS a.root.
a.root. 518400 IN A 127.53.0.1
com. 172800 IN NS ns1.com.
ns1.com. 172800 IN A 127.53.1.1
)";

// Asks `r` for `name` and runs the fake network until the result is in.
inline resolver::Result resolve_now(resolver::Resolver& r, FakeNetwork& net, const std::string& name,
                                    uint16_t type, uint32_t deadline_ms = 1200,
                                    resolver::ResolveOptions options = {}) {
  std::optional<resolver::Result> out;
  r.resolve(dns::Name::parse(name), type, deadline_ms, options,
            [&](resolver::Result&& res) { out = std::move(res); });
  net.run();
  REQUIRE(out);
  return std::move(*out);
}

}  // namespace flatns::testutil
