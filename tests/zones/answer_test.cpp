// The lookup algorithm against the RFC 4592 §2.2.1 example zone and the
// answers BIND's system test expects (tests/data/corpus/rfc/rfc4592-expected.txt).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "tests/zones/response_reader.h"
#include "zones/answer.h"
#include "zones/zone.h"

using namespace flatns;

namespace {

struct Served {
  zones::ZoneSet set;
  explicit Served(std::vector<zones::ZoneConfig> configs) {
    std::vector<std::shared_ptr<const zones::Zone>> loaded;
    for (auto& c : configs) {
      auto r = zones::load_zone(c);
      for (auto& e : r.errors) FAIL(e.to_string());
      REQUIRE(r.zone);
      loaded.push_back(r.zone);
    }
    set = zones::ZoneSet(std::move(loaded));
  }
  testing::ParsedResponse ask(const std::string& name, uint16_t type, bool dnssec_ok = false,
                              bool edns = true) {
    return testing::ask_zone_set(set, name, type, dnssec_ok, edns);
  }
};

std::string corpus(const std::string& rel) { return std::string(FLATNS_CORPUS_DIR) + "/" + rel; }

zones::ZoneConfig config(const std::string& origin, const std::string& file,
                         zones::FlattenMode flatten = zones::FlattenMode::Apex) {
  return {dns::Name::parse(origin), file, flatten};
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(s.begin());
  return s;
}

}  // namespace

TEST_CASE("RFC 4592 §2.2.1 wildcard examples answer as BIND's system test expects") {
  Served served({config("example.", corpus("rfc/rfc4592-wildcard.zone"))});
  std::ifstream in(corpus("rfc/rfc4592-expected.txt"));
  REQUIRE(in);
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    // QNAME QTYPE | RCODE | ANSWER count | checks | reason
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '|')) cols.push_back(trim(col));
    REQUIRE(cols.size() >= 4);  // the checks column (3) may be empty, never missing
    std::stringstream q(cols[0]);
    std::string qname, qtype_text;
    q >> qname >> qtype_text;
    uint16_t qtype;
    REQUIRE(dns::type_from_text(qtype_text, qtype));
    INFO(line);
    auto r = served.ask(qname, qtype);
    const uint16_t want_rcode = cols[1] == "NXDOMAIN" ? dns::rcode::NXDOMAIN : dns::rcode::NOERROR;
    CHECK(r.rcode == want_rcode);
    CHECK(r.sections[0].size() == static_cast<std::size_t>(std::stoi(cols[2])));
    if (cols[3].rfind("AUTHORITY 2", 0) == 0) {
      CHECK_FALSE(r.aa());
      CHECK(r.sections[1].size() == 2);
    } else {
      CHECK(r.aa());
    }
    if (cols[3].rfind("answer ", 0) == 0) {
      REQUIRE(r.sections[0].size() == 1);
      // e.g. answer "host3.example. IN MX 10 host1.example."
      std::string want = cols[3].substr(8, cols[3].size() - 9);
      std::string got = r.sections[0][0];
      // got: "owner ttl TYPE rdata"; want: "owner IN TYPE rdata"
      auto sp = got.find(' ');
      auto sp2 = got.find(' ', sp + 1);
      CHECK(got.substr(0, sp) + " IN" + got.substr(sp2) == want);
    }
    ++cases;
  }
  CHECK(cases == 9);
}

TEST_CASE("negative answers carry the SOA with the RFC 2308 TTL") {
  Served served({config("example.", corpus("rfc/rfc4592-wildcard.zone"))});
  auto r = served.ask("ghost.*.example.", dns::rrtype::MX);
  REQUIRE(r.sections[1].size() == 1);
  // SOA TTL 3600, MINIMUM 0: the negative TTL is 0.
  CHECK(r.sections[1][0] == "example. 0 SOA . . 0 0 0 0 0");
}

TEST_CASE("wildcard answers take the query name as owner, case preserved") {
  Served served({config("example.", corpus("rfc/rfc4592-wildcard.zone"))});
  auto r = served.ask("Host3.Example.", dns::rrtype::TXT);
  REQUIRE(r.sections[0].size() == 1);
  CHECK(r.sections[0][0] == "Host3.Example. 3600 TXT \"this is a wildcard\"");
}

TEST_CASE("referrals carry NS in authority and glue in additional, AA clear") {
  Served served({config("example.", corpus("rfc/rfc4592-wildcard.zone"))});
  auto r = served.ask("subdel.example.", dns::rrtype::A);
  CHECK_FALSE(r.aa());
  CHECK(r.rcode == dns::rcode::NOERROR);
  CHECK(r.sections[0].empty());
  CHECK(r.sections[1].size() == 2);
}
