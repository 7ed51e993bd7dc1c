// Every record of the real root zone (named-compilezone output, one record a
// line) goes text -> wire -> text and must print exactly as in the file
// (AAAA aside: IANA does not compress IPv6 addresses);
// the ZONEMD-carrying 2026 copy, printed by BIND with split hex, must round
// trip through wire and back to the same RDATA.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "rdata_test_util.h"

using namespace flatns::dns;
using namespace flatns::dns::test;

namespace {

struct Record {
  uint16_t type = 0;
  std::string rdata_text;
};

// "owner ttl class type rdata..." lines; comments and blank lines skipped.
std::vector<Record> read_zone_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<Record> records;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == ';') continue;
    std::istringstream fields(line);
    std::string owner, ttl, cls, type_text;
    fields >> owner >> ttl >> cls >> type_text;
    Record r;
    if (!type_from_text(type_text, r.type)) continue;
    std::getline(fields >> std::ws, r.rdata_text);
    records.push_back(r);
  }
  return records;
}

// Writes the RDATA into a message after a name that its names can point to,
// reads it back, and checks it is unchanged.
bool wire_round_trip(uint16_t type, const std::vector<uint8_t>& rdata) {
  std::vector<uint8_t> buffer(70000);
  WireWriter w(buffer);
  const Name com = Name::parse("com.");
  if (!w.name(com.wire())) return false;
  const std::size_t start = w.size();
  if (!rdata_write(type, rdata, w)) return false;
  const std::size_t length = w.size() - start;
  std::vector<uint8_t> back;
  if (!rdata_from_wire(type, w.data(), start, static_cast<uint16_t>(length), back)) return false;
  return back == rdata;
}

}  // namespace

TEST_CASE("root zone records print exactly as named-compilezone printed them", "[rdata][corpus]") {
  const auto records = read_zone_lines(FLATNS_CORPUS_DIR "/root.zone");
  REQUIRE(records.size() > 20000);
  std::map<uint16_t, int> per_type;
  int mismatches = 0;
  for (const Record& r : records) {
    const Parsed p = parse_rdata(type_to_text(r.type), r.rdata_text, ".");
    // IANA writes IPv6 addresses uncompressed; dig prints RFC 5952 form.
    const bool same_text = r.type == rrtype::AAAA ||
                           (p.ok && rdata_to_text(r.type, p.wire) == r.rdata_text);
    if (!p.ok || !same_text || !wire_round_trip(r.type, p.wire)) {
      if (++mismatches <= 5) {
        UNSCOPED_INFO(type_to_text(r.type) << " " << r.rdata_text << " -> "
                                           << (p.ok ? rdata_to_text(r.type, p.wire) : p.error));
      }
      continue;
    }
    ++per_type[r.type];
  }
  CHECK(mismatches == 0);
  for (uint16_t t : {rrtype::SOA, rrtype::NS, rrtype::A, rrtype::AAAA, rrtype::DS, rrtype::RRSIG,
                     rrtype::NSEC, rrtype::DNSKEY}) {
    INFO(type_to_text(t));
    CHECK(per_type[t] > 0);
  }
}

TEST_CASE("root zone with ZONEMD round trips through wire and text", "[rdata][corpus]") {
  const auto records = read_zone_lines(FLATNS_CORPUS_DIR "/root.zone.2026082201-nosigs");
  REQUIRE(records.size() > 20000);
  int zonemd = 0, failures = 0;
  for (const Record& r : records) {
    const Parsed p = parse_rdata(type_to_text(r.type), r.rdata_text, ".");
    bool ok = p.ok && wire_round_trip(r.type, p.wire);
    if (ok) {
      const Parsed again = parse_rdata(type_to_text(r.type), rdata_to_text(r.type, p.wire), ".");
      ok = again.ok && again.wire == p.wire;
    }
    if (!ok && ++failures <= 5) UNSCOPED_INFO(type_to_text(r.type) << " " << r.rdata_text);
    if (r.type == rrtype::ZONEMD) ++zonemd;
  }
  CHECK(failures == 0);
  CHECK(zonemd == 1);
}
