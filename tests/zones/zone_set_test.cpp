// Zone choice (longest matching origin) with origins of equal and different
// lengths, the root zone among them: the zone set probes only the suffixes
// of the query name whose length some origin has, from hashes computed once.
#include <catch2/catch.hpp>

#include <string>

#include "dns/rrtype.h"
#include "tests/support/temp_file.h"
#include "tests/zones/response_reader.h"
#include "zones/answer.h"
#include "zones/zone.h"

using namespace flatns;

namespace {

std::shared_ptr<const zones::Zone> load(const std::string& origin, const std::string& file) {
  auto r = zones::load_zone({dns::Name::parse(origin), file, zones::FlattenMode::Apex});
  for (auto& e : r.errors) FAIL(e.to_string());
  REQUIRE(r.zone);
  return r.zone;
}

std::string small_zone(const std::string& origin, const std::string& more = "") {
  return "$ORIGIN " + origin + "\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\n"
         "ns1 A 192.0.2.1\n" + more;
}

}  // namespace

TEST_CASE("the zone set picks the longest origin among equal-length and nested origins") {
  testing::TempFile com(small_zone("example.com.", "www CNAME web.example.net.\n")),
      net(small_zone("example.net.", "web CNAME host.sub.example.com.\n")),
      sub(small_zone("sub.example.com.")), org(small_zone("example.org."));
  zones::ZoneSet set({load(".", std::string(FLATNS_CORPUS_DIR) + "/root.zone"),
                      load("example.com.", com.path()), load("example.net.", net.path()),
                      load("sub.example.com.", sub.path()), load("example.org.", org.path())});
  auto origin_of = [&](const char* name) -> std::string {
    const zones::Zone* z = set.find(dns::Name::parse(name).wire());
    return z ? z->origin().to_text() : "none";
  };
  CHECK(origin_of("www.example.com.") == "example.com.");
  CHECK(origin_of("WWW.EXAMPLE.NET.") == "example.net.");
  CHECK(origin_of("a.b.c.sub.example.com.") == "sub.example.com.");
  CHECK(origin_of("example.org.") == "example.org.");
  CHECK(origin_of("example.edu.") == ".");  // same length as example.com, but not an origin
  CHECK(origin_of("com.") == ".");
  CHECK(origin_of(".") == ".");
  CHECK(origin_of("a.very.long.name.under.some.other.tld.") == ".");

  // A CNAME chain through other served zones is chased there (each target's
  // zone found from the target's own hashes), ending in sub.example.com.
  auto r = testing::ask_zone_set(set, "www.example.com.", dns::rrtype::A);
  CHECK(r.rcode == dns::rcode::NXDOMAIN);  // host.sub.example.com. does not exist
  REQUIRE(r.sections[0].size() == 2);
  CHECK(r.sections[0][0] == "www.example.com. 300 CNAME web.example.net.");
  CHECK(r.sections[0][1] == "web.example.net. 300 CNAME host.sub.example.com.");
  REQUIRE(r.sections[1].size() == 1);
  CHECK(r.sections[1][0].rfind("sub.example.com. 60 SOA ", 0) == 0);
}

TEST_CASE("warming the index for present, absent and colliding names changes no lookup") {
  std::string more;
  for (int i = 0; i < 500; ++i) more += "h" + std::to_string(i) + " A 192.0.2.7\n";
  testing::TempFile file(small_zone("example.com.", more));
  const auto zone = load("example.com.", file.path());
  for (const char* text : {"h1.example.com.", "h499.example.com.", "example.com.", "nope.example.com.",
                           "h1.h1.example.com.", "other.net."}) {
    const dns::Name name = dns::Name::parse(text);
    const uint64_t hash = dns::name_hash(name.wire());
    zone->prefetch_slot(hash);
    zone->prefetch_node(hash);
    zone->prefetch_records(hash);
    const bool present = std::string(text).starts_with("h1.e") || std::string(text).starts_with("h499") ||
                         std::string(text) == "example.com.";
    CHECK((zone->find(name.wire(), hash) != nullptr) == present);
  }
  // Every slot of the index, full or empty.
  for (uint64_t slot = 0; slot < 4096; ++slot) {
    zone->prefetch_slot(slot);
    zone->prefetch_node(slot);
    zone->prefetch_records(slot);
  }
}
