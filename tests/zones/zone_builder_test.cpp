// Zone checks at load time (what named-checkzone/kzonecheck refuse) and the
// shape of the snapshot: empty non-terminals, cuts, occlusion, DNAME.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "dns/rrtype.h"
#include "tests/support/temp_file.h"
#include "tests/zones/response_reader.h"
#include "zones/answer.h"
#include "zones/zone.h"

using namespace flatns;

namespace {

using TempZone = testing::TempFile;

const char* kHead =
    "$ORIGIN example.com.\n"
    "$TTL 300\n"
    "@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n"
    "@ NS ns1\n"
    "ns1 A 192.0.2.1\n";

zones::ZoneLoadResult load(const std::string& body,
                           zones::FlattenMode flatten = zones::FlattenMode::Apex) {
  TempZone t(std::string(kHead) + body);
  return zones::load_zone({dns::Name::parse("example.com."), t.path(), flatten});
}

std::string first_error(const zones::ZoneLoadResult& r) {
  return r.errors.empty() ? "" : r.errors.front().message;
}

testing::ParsedResponse ask(const zones::ZoneLoadResult& r, const std::string& name,
                            uint16_t type) {
  zones::ZoneSet set({r.zone});
  auto query = testing::make_query(name, type);
  dns::Query q;
  REQUIRE(dns::parse_query(query, q) == dns::QueryStatus::Ok);
  std::vector<uint8_t> out(65535);
  dns::ResponseBuilder rb(out);
  rb.start(q, 65535);
  zones::answer_query(set, *r.zone, q, rb);
  out.resize(rb.finish());
  return testing::read_response(out);
}

}  // namespace

TEST_CASE("a clean zone loads with its serial and record count") {
  auto r = load("www A 192.0.2.2\n");
  REQUIRE(r.errors.empty());
  REQUIRE(r.zone);
  CHECK(r.zone->serial() == 1);
  CHECK(r.records == 4);
}

TEST_CASE("zone checks name the record at fault with file:line") {
  SECTION("out-of-zone data") {
    auto r = load("www.example.net. A 192.0.2.9\n");
    CHECK_FALSE(r.zone);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 6);
    CHECK(first_error(r) ==
          "out-of-zone data: www.example.net. A is not in zone example.com.");
  }
  SECTION("CNAME beside other data below the apex") {
    auto r = load("www CNAME other\nwww TXT \"x\"\n");
    CHECK_FALSE(r.zone);
    CHECK(first_error(r).find("CNAME and other data at www.example.com.") == 0);
  }
  SECTION("two CNAMEs at one name") {
    auto r = load("www CNAME a\nwww CNAME b\n");
    CHECK(first_error(r) == "more than one CNAME at www.example.com.");
  }
  SECTION("SOA below the apex") {
    auto r = load("sub SOA ns1 hostmaster 1 1 1 1 1\n");
    CHECK(first_error(r).find("is not at the zone apex") != std::string::npos);
  }
  SECTION("ALIAS where flattening is off") {
    auto r = load("@ ALIAS target.example.net.\n", zones::FlattenMode::Off);
    CHECK(first_error(r).find("ALIAS at example.com.") == 0);
  }
}

TEST_CASE("a zone without SOA or NS at the apex is refused") {
  TempZone t("$ORIGIN example.com.\nwww 300 IN A 192.0.2.1\n");
  auto r = zones::load_zone({dns::Name::parse("example.com."), t.path(), zones::FlattenMode::Apex});
  CHECK_FALSE(r.zone);
  CHECK(first_error(r) == "zone example.com. has no SOA record at its apex");
}

TEST_CASE("a CNAME at a flattened apex sits beside SOA, NS and MX") {
  auto r = load("@ CNAME www.example.net.\n@ MX 10 mail\n");
  REQUIRE(r.errors.empty());
  auto off = load("@ CNAME www.example.net.\n@ MX 10 mail\n", zones::FlattenMode::Off);
  CHECK_FALSE(off.zone);
}

TEST_CASE("empty non-terminals exist: NODATA, not NXDOMAIN") {
  auto r = load("a.b.c A 192.0.2.3\n");
  REQUIRE(r.zone);
  auto ent = ask(r, "b.c.example.com.", dns::rrtype::A);
  CHECK(ent.rcode == dns::rcode::NOERROR);
  CHECK(ent.sections[0].empty());
  auto missing = ask(r, "x.c.example.com.", dns::rrtype::A);
  CHECK(missing.rcode == dns::rcode::NXDOMAIN);
}

TEST_CASE("data below a zone cut is glue: answered by referral only") {
  auto r = load("sub NS ns.sub\nns.sub A 192.0.2.53\n");
  REQUIRE(r.zone);
  auto a = ask(r, "ns.sub.example.com.", dns::rrtype::A);
  CHECK_FALSE(a.aa());
  CHECK(a.sections[0].empty());
  REQUIRE(a.sections[1].size() == 1);
  CHECK(a.sections[1][0] == "sub.example.com. 300 NS ns.sub.example.com.");
  REQUIRE(a.sections[2].size() == 1);
  CHECK(a.sections[2][0] == "ns.sub.example.com. 300 A 192.0.2.53");
}

TEST_CASE("DNAME redirects names below it with a synthesized CNAME (RFC 6672)") {
  auto r = load("old DNAME new\nwww.new A 192.0.2.80\n");
  REQUIRE(r.zone);
  auto a = ask(r, "www.old.example.com.", dns::rrtype::A);
  CHECK(a.rcode == dns::rcode::NOERROR);
  REQUIRE(a.sections[0].size() == 3);
  CHECK(a.sections[0][0] == "old.example.com. 300 DNAME new.example.com.");
  CHECK(a.sections[0][1] == "www.old.example.com. 300 CNAME www.new.example.com.");
  CHECK(a.sections[0][2] == "www.new.example.com. 300 A 192.0.2.80");
  auto owner = ask(r, "old.example.com.", dns::rrtype::DNAME);
  CHECK(owner.sections[0].size() == 1);
}

TEST_CASE("CNAME chains are followed within the zone and the last name sets the rcode") {
  auto r = load("a CNAME b\nb CNAME c\nc A 192.0.2.7\nd CNAME nowhere\n");
  REQUIRE(r.zone);
  auto chain = ask(r, "a.example.com.", dns::rrtype::A);
  CHECK(chain.sections[0].size() == 3);
  auto dangling = ask(r, "d.example.com.", dns::rrtype::A);
  CHECK(dangling.rcode == dns::rcode::NXDOMAIN);
  CHECK(dangling.sections[0].size() == 1);
  auto loop = load("x CNAME y\ny CNAME x\n");
  REQUIRE(loop.zone);
  auto l = ask(loop, "x.example.com.", dns::rrtype::A);
  CHECK(l.sections[0].size() >= 2);  // stops at the chain limit instead of spinning
}

TEST_CASE("a zone set picks the zone with the longest matching origin") {
  TempZone parent{std::string(kHead)};
  TempZone child(
      "$ORIGIN sub.example.com.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\n"
      "ns1 A 192.0.2.9\n");
  auto p = zones::load_zone({dns::Name::parse("example.com."), parent.path(), zones::FlattenMode::Apex});
  auto c = zones::load_zone({dns::Name::parse("sub.example.com."), child.path(), zones::FlattenMode::Apex});
  REQUIRE(p.zone);
  REQUIRE(c.zone);
  zones::ZoneSet set({p.zone, c.zone});
  auto origin_of = [&](const char* name) -> std::string {
    const zones::Zone* z = set.find(dns::Name::parse(name).wire());
    return z ? z->origin().to_text() : "none";
  };
  CHECK(origin_of("a.b.SUB.example.com.") == "sub.example.com.");
  CHECK(origin_of("sub.example.com.") == "sub.example.com.");
  CHECK(origin_of("xsub.example.com.") == "example.com.");
  CHECK(origin_of("Example.COM.") == "example.com.");
  CHECK(origin_of("example.org.") == "none");
  CHECK(origin_of(".") == "none");
  CHECK(zones::ZoneSet().find(dns::Name::parse("example.com.").wire()) == nullptr);
}
