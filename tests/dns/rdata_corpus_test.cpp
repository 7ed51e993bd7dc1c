// Every record of the real root zone (named-compilezone output, one record a
// line) goes text -> wire -> text and must print exactly as in the file
// (AAAA aside: IANA does not compress IPv6 addresses);
// the ZONEMD-carrying 2026 copy, printed by BIND with split hex, must round
// trip through wire and back to the same RDATA.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <cstdlib>
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

// Every record parses, prints exactly as in the file and survives the wire.
std::map<uint16_t, int> check_prints_as_in_file(const std::string& path) {
  const auto records = read_zone_lines(path);
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
  return per_type;
}

}  // namespace

TEST_CASE("root zone records print exactly as named-compilezone printed them", "[rdata][corpus]") {
  auto per_type = check_prints_as_in_file(FLATNS_CORPUS_DIR "/root.zone");
  CHECK(per_type[rrtype::NS] > 1000);
  for (uint16_t t : {rrtype::SOA, rrtype::A, rrtype::AAAA, rrtype::DS, rrtype::RRSIG,
                     rrtype::NSEC, rrtype::DNSKEY}) {
    INFO(type_to_text(t));
    CHECK(per_type[t] > 0);
  }
}

TEST_CASE("the .gov export prints exactly as exported", "[rdata][corpus]") {
  auto per_type = check_prints_as_in_file(FLATNS_CORPUS_DIR "/gov.zone");
  CHECK(per_type[rrtype::NS] > 40000);
  CHECK(per_type[rrtype::DS] > 2000);
  CHECK(per_type[rrtype::TXT] == 1);
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

namespace {

// Runs ldns-read-zone (ldnsutils) on a zone file: one record a line,
// owner TAB ttl TAB class TAB type TAB rdata, ";{...}" key comments.
// A missing tool and a zone ldns cannot read are both failures, each with
// its own message: neither may pass as "not installed".
std::vector<Record> ldns_records(const std::string& zone_file) {
  std::vector<Record> records;
  const int which = std::system("command -v ldns-read-zone >/dev/null 2>&1");
  INFO("ldns-read-zone not found: install ldnsutils (scripts/install-deps does)");
  REQUIRE(which == 0);
  const std::string command = "ldns-read-zone '" + zone_file + "' 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string all;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) all.append(buf, n);
  const int status = pclose(pipe);
  INFO("ldns-read-zone " << zone_file << " exited with status " << status << ": " << all.substr(0, 400));
  REQUIRE(status == 0);
  std::istringstream lines(all);
  std::string line;
  while (std::getline(lines, line)) {
    if (const auto semicolon = line.find(" ;{"); semicolon != std::string::npos) {
      line.resize(semicolon);
    }
    std::istringstream fields(line);
    std::string owner, ttl, cls, type_text;
    fields >> owner >> ttl >> cls >> type_text;
    Record r;
    if (!type_from_text(type_text, r.type)) continue;
    // ldns puts two spaces after an NSEC3 salt and one at the end of some lines.
    std::string rest, word;
    while (fields >> word) rest += (rest.empty() ? "" : " ") + word;
    r.rdata_text = rest;
    records.push_back(r);
  }
  return records;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TEST_CASE("RFC 5155 Appendix A zone prints as ldns-read-zone prints it", "[rdata][corpus]") {
  const auto records = ldns_records(FLATNS_CORPUS_DIR "/rfc/rfc5155-appendixA.zone");
  REQUIRE(records.size() == 70);
  int nsec3 = 0;
  for (const Record& r : records) {
    INFO(type_to_text(r.type) << " " << r.rdata_text);
    const Parsed p = parse_rdata(type_to_text(r.type), r.rdata_text, ".");
    INFO(p.error);
    REQUIRE(p.ok);
    CHECK(wire_round_trip(r.type, p.wire));
    const std::string ours = rdata_to_text(r.type, p.wire);
    // ldns prints hex and base32hex in lowercase, dig in uppercase.
    const bool hex_case_differs = r.type == rrtype::NSEC3 || r.type == rrtype::NSEC3PARAM ||
                                  r.type == rrtype::DS;
    if (hex_case_differs) {
      CHECK(upper(ours) == upper(r.rdata_text));
    } else {
      CHECK(ours == r.rdata_text);
    }
    if (r.type == rrtype::NSEC3) ++nsec3;
  }
  CHECK(nsec3 == 12);
}
