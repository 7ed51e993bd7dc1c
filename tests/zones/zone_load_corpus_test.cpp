// Real zones from tests/data/corpus load and answer; a generated one-million-record
// zone loads (its time is printed, never asserted).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "dns/rrtype.h"
#include "tests/support/temp_file.h"
#include "tests/zones/response_reader.h"
#include "zones/answer.h"
#include "zones/zone.h"

using namespace flatns;

namespace {

std::string corpus(const std::string& rel) { return std::string(FLATNS_CORPUS_DIR) + "/" + rel; }

testing::ParsedResponse ask(const zones::ZoneSet& set, const std::string& name, uint16_t type,
                            bool dnssec_ok = false) {
  return testing::ask_zone_set(set, name, type, dnssec_ok);
}

}  // namespace

TEST_CASE("the signed 2023 IANA root zone loads and answers with DNSSEC records") {
  auto r = zones::load_zone({dns::Name::root(), corpus("root.zone"), zones::FlattenMode::Off});
  for (auto& e : r.errors) FAIL(e.to_string());
  REQUIRE(r.zone);
  CHECK(r.zone->serial() == 2023042001u);
  CHECK(r.records == 24816);  // SOURCES.md
  CHECK(r.zone->signed_zone());
  zones::ZoneSet set({r.zone});

  auto referral = ask(set, "www.example.com.", dns::rrtype::A, true);
  CHECK_FALSE(referral.aa());
  bool has_ds = false, has_ds_sig = false;
  for (auto& rr : referral.sections[1]) {
    if (rr.find(" DS ") != std::string::npos) has_ds = true;
    if (rr.find(" RRSIG DS ") != std::string::npos) has_ds_sig = true;
  }
  CHECK(has_ds);
  CHECK(has_ds_sig);

  auto nx = ask(set, "no-such-tld-flatns.", dns::rrtype::A, true);
  CHECK(nx.rcode == dns::rcode::NXDOMAIN);
  int nsec = 0;
  for (auto& rr : nx.sections[1]) {
    std::istringstream fields(rr);
    std::string owner, ttl, type;
    fields >> owner >> ttl >> type;
    if (type == "NSEC") ++nsec;
  }
  CHECK(nsec == 2);  // one covers the name, one the wildcard at the root

  auto plain = ask(set, "no-such-tld-flatns.", dns::rrtype::A, false);
  CHECK(plain.sections[1].size() == 1);  // only the SOA without DO
}

TEST_CASE("the .gov zone export loads") {
  auto r = zones::load_zone({dns::Name::parse("gov."), corpus("gov.zone"), zones::FlattenMode::Off});
  for (auto& e : r.errors) FAIL(e.to_string());
  REQUIRE(r.zone);
  CHECK(r.zone->serial() == 1787383922u);
}

TEST_CASE("a generated zone of one million records loads") {
  std::ostringstream text;
  text << "$ORIGIN big.test.\n$TTL 3600\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\n"
          "ns1 A 192.0.2.1\n";
  for (int i = 0; i < 999997; ++i) {
    text << "h" << i << " A 10." << (i >> 16 & 255) << "." << (i >> 8 & 255) << "." << (i & 255)
         << "\n";
  }
  testing::TempFile file(text.str());
  const auto start = std::chrono::steady_clock::now();
  auto r = zones::load_zone({dns::Name::parse("big.test."), file.path(), zones::FlattenMode::Off});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(r.zone);
  CHECK(r.records == 1000000);
  WARN("1M-record zone loaded in " << seconds << " s");
  zones::ZoneSet set({r.zone});
  auto a = ask(set, "h654321.big.test.", dns::rrtype::A);
  REQUIRE(a.sections[0].size() == 1);
  CHECK(a.sections[0][0] == "h654321.big.test. 3600 A 10.9.251.241");
}
