// Test helper: builds query packets and turns responses into text, using the
// dns library's own codecs (integration tests cross-check with dig/kdig).
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "zones/answer.h"
#include "zones/zone.h"

namespace flatns::testing {

inline std::vector<uint8_t> make_query(const std::string& qname, uint16_t qtype, bool edns = true,
                                       bool dnssec_ok = false, uint16_t udp_size = 1232) {
  std::vector<uint8_t> buf(512);
  dns::WireWriter w(buf);
  w.u16(0x1234);
  w.u16(dns::flag::RD);
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.u16(edns ? 1 : 0);
  w.name(dns::Name::parse(qname).wire(), false);
  w.u16(qtype);
  w.u16(dns::rrclass::IN);
  if (edns) {
    w.u8(0);
    w.u16(dns::rrtype::OPT);
    w.u16(udp_size);
    w.u32(dnssec_ok ? 0x8000 : 0);
    w.u16(0);
  }
  buf.resize(w.size());
  return buf;
}

struct ParsedResponse {
  uint16_t id = 0, flags = 0, rcode = 0;
  std::vector<std::string> sections[3];  // "owner ttl TYPE rdata", OPT left out
  bool ok = false;
  bool aa() const { return flags & dns::flag::AA; }
  bool tc() const { return flags & dns::flag::TC; }
};

inline ParsedResponse read_response(std::span<const uint8_t> msg) {
  ParsedResponse r;
  dns::WireReader rd(msg);
  uint16_t qd, counts[3];
  if (!rd.u16(r.id) || !rd.u16(r.flags) || !rd.u16(qd) || !rd.u16(counts[0]) ||
      !rd.u16(counts[1]) || !rd.u16(counts[2])) {
    return r;
  }
  r.rcode = r.flags & 0xF;
  for (uint16_t i = 0; i < qd; ++i) {
    dns::NameBuffer n;
    uint16_t t, c;
    if (!rd.name(n) || !rd.u16(t) || !rd.u16(c)) return r;
  }
  for (int s = 0; s < 3; ++s) {
    for (uint16_t i = 0; i < counts[s]; ++i) {
      dns::NameBuffer owner;
      uint16_t type, cls, rdlen;
      uint32_t ttl;
      if (!rd.name(owner) || !rd.u16(type) || !rd.u16(cls) || !rd.u32(ttl) || !rd.u16(rdlen)) {
        return r;
      }
      std::vector<uint8_t> rdata;
      if (type == dns::rrtype::OPT) {
        r.rcode |= static_cast<uint16_t>((ttl >> 24) << 4);
        if (!rd.skip(rdlen)) return r;
        continue;
      }
      if (!dns::rdata_from_wire(type, msg, rd.pos(), rdlen, rdata) || !rd.skip(rdlen)) return r;
      r.sections[s].push_back(dns::name_to_text(owner.view()) + " " + std::to_string(ttl) + " " +
                              dns::type_to_text(type) + " " + dns::rdata_to_text(type, rdata));
    }
  }
  r.ok = rd.remaining() == 0;
  return r;
}

// Answers one query from a zone set, as the server's query path does, and
// reads the response back.
inline ParsedResponse ask_zone_set(const zones::ZoneSet& set, const std::string& name,
                                   uint16_t type, bool dnssec_ok = false, bool edns = true,
                                   zones::AnswerHook* hook = nullptr) {
  auto query = make_query(name, type, edns, dnssec_ok);
  dns::Query q;
  REQUIRE(dns::parse_query(query, q) == dns::QueryStatus::Ok);
  std::vector<uint8_t> out(65535);
  dns::ResponseBuilder rb(out);
  rb.start(q, 65535);
  const zones::Zone* z = set.find(q.qname.view());
  REQUIRE(z);
  zones::answer_query(set, *z, q, rb, hook);
  out.resize(rb.finish());
  auto r = read_response(out);
  REQUIRE(r.ok);
  return r;
}

}  // namespace flatns::testing
