// The flattening stage with targets inside served zones: the TTL rule, NODATA
// for dangling targets, SERVFAIL with an Extended DNS Error for loops, long
// chains and targets no resolver reaches, and the CNAME never shown.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "dns/ede.h"
#include "dns/limits.h"
#include "dns/message_parser.h"
#include "dns/rrtype.h"
#include "flatten/flattener.h"
#include "zones/answer.h"
#include "tests/support/temp_file.h"
#include "zones/zone.h"

using namespace flatns;

namespace {

using testing::TempFile;

const char* kCustomer =
    "$ORIGIN example.com.\n$TTL 3600\n"
    "@ SOA ns1 hostmaster 1 3600 600 86400 120\n"
    "@ NS ns1\n@ MX 10 mail\nns1 A 192.0.2.1\n"
    "@ 600 CNAME www.example.net.\n"
    "dangling 3600 CNAME nowhere.example.net.\n"
    "loop CNAME loop2\nloop2 CNAME loop\n"
    "a CNAME b\nb CNAME c\nc CNAME b\n"
    // l0 -> l1 -> ... -> l13 A: one link more than dns::kMaxCnameChain.
    "l0 CNAME l1\nl1 CNAME l2\nl2 CNAME l3\nl3 CNAME l4\nl4 CNAME l5\nl5 CNAME l6\n"
    "l6 CNAME l7\nl7 CNAME l8\nl8 CNAME l9\nl9 CNAME l10\nl10 CNAME l11\nl11 CNAME l12\n"
    "l12 CNAME l13\nl13 A 192.0.2.13\n"
    "ext CNAME www.elsewhere.test.\n";

const char* kTarget =
    "$ORIGIN example.net.\n$TTL 3600\n"
    "@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.2\n"
    "www 900 CNAME cdn\n"
    "cdn 300 A 198.51.100.80\ncdn 300 A 198.51.100.81\n";

struct Setup {
  TempFile customer{kCustomer}, target{kTarget};
  zones::ZoneSet set;
  explicit Setup(zones::FlattenMode mode = zones::FlattenMode::All) {
    auto a = zones::load_zone({dns::Name::parse("example.com."), customer.path(), mode});
    auto b = zones::load_zone({dns::Name::parse("example.net."), target.path(), zones::FlattenMode::Off});
    for (auto& e : a.errors) FAIL(e.to_string());
    REQUIRE(a.zone);
    REQUIRE(b.zone);
    set = zones::ZoneSet({a.zone, b.zone});
  }
  dns::Message ask(const std::string& name, uint16_t type, const flatten::FlattenerSettings& settings = {}) {
    std::vector<uint8_t> query(512);
    dns::QueryOptions o;
    o.id = 9;
    query.resize(dns::write_query(query, dns::Name::parse(name).wire(), type, o));
    dns::Query q;
    REQUIRE(dns::parse_query(query, q) == dns::QueryStatus::Ok);
    std::vector<uint8_t> out(65535);
    dns::ResponseBuilder rb(out);
    rb.start(q, 65535);
    flatten::Flattener stage(settings);
    flatten::FlattenHook hook(stage, nullptr);
    zones::answer_query(set, *set.find(q.qname.view()), q, rb, &hook);
    out.resize(rb.finish());
    dns::Message m;
    std::string error;
    REQUIRE(dns::parse_message(out, m, error));
    return m;
  }
};

uint16_t ede_code(const dns::Message& m) {
  for (auto& o : m.options) {
    if (o.code == dns::edns_option::EDE && o.data.size() >= 2) return o.data[0] << 8 | o.data[1];
  }
  return 0xFFFF;
}

std::string ede_text(const dns::Message& m) {
  for (auto& o : m.options) {
    if (o.code == dns::edns_option::EDE && o.data.size() >= 2) {
      return std::string(o.data.begin() + 2, o.data.end());
    }
  }
  return "";
}

}  // namespace

TEST_CASE("a flattened apex answers the target's addresses under the query name") {
  Setup s;
  auto m = s.ask("example.com.", dns::rrtype::A);
  CHECK(m.rcode() == dns::rcode::NOERROR);
  CHECK(m.has_flag(dns::flag::AA));
  REQUIRE(m.answer.size() == 2);
  for (auto& rr : m.answer) {
    CHECK(rr.owner.to_text() == "example.com.");
    CHECK(rr.type == dns::rrtype::A);
    CHECK(rr.ttl == 300);  // min(600 apex CNAME, 900 www CNAME, 300 A)
  }
}

TEST_CASE("the TTL is capped by max_ttl and floored by min_ttl") {
  Setup s;
  flatten::FlattenerSettings capped;
  capped.max_ttl = 60;
  CHECK(s.ask("example.com.", dns::rrtype::A, capped).answer.at(0).ttl == 60);
  flatten::FlattenerSettings floored;
  floored.min_ttl = 1000;
  CHECK(s.ask("example.com.", dns::rrtype::A, floored).answer.at(0).ttl == 1000);
}

TEST_CASE("a target without the type, or that does not exist, is NODATA with the SOA") {
  Setup s;
  auto aaaa = s.ask("example.com.", dns::rrtype::AAAA);
  CHECK(aaaa.rcode() == dns::rcode::NOERROR);
  CHECK(aaaa.answer.empty());
  REQUIRE(aaaa.authority.size() == 1);
  CHECK(aaaa.authority[0].type == dns::rrtype::SOA);
  CHECK(aaaa.authority[0].ttl == 120);
  auto dangling = s.ask("dangling.example.com.", dns::rrtype::A);
  CHECK(dangling.rcode() == dns::rcode::NOERROR);
  CHECK(dangling.answer.empty());
}

TEST_CASE("a CNAME loop is SERVFAIL with an EDE that names the loop") {
  Setup s;
  auto m = s.ask("loop.example.com.", dns::rrtype::A);
  CHECK(m.rcode() == dns::rcode::SERVFAIL);
  CHECK(ede_code(m) == 0);
  CHECK(ede_text(m).find("CNAME loop") != std::string::npos);
}

TEST_CASE("a loop that does not pass the query name again (a -> b -> c -> b) is a loop, not a long chain") {
  Setup s;
  auto m = s.ask("a.example.com.", dns::rrtype::A);
  CHECK(m.rcode() == dns::rcode::SERVFAIL);
  CHECK(ede_code(m) == dns::ede::Other);
  CHECK(ede_text(m) == "flattening a.example.com.: CNAME loop through b.example.com.");
}

TEST_CASE("a chain one link longer than the limit is SERVFAIL naming where it stopped") {
  Setup s;
  auto m = s.ask("l0.example.com.", dns::rrtype::A);
  CHECK(m.rcode() == dns::rcode::SERVFAIL);
  CHECK(ede_code(m) == dns::ede::Other);
  CHECK(ede_text(m) == "flattening l0.example.com.: CNAME chain longer than the limit at l12.example.com.");
  auto shorter = s.ask("l1.example.com.", dns::rrtype::A);
  CHECK(shorter.rcode() == dns::rcode::NOERROR);
  CHECK(shorter.answer.size() == 1);
}

TEST_CASE("a target outside the served zones is SERVFAIL with EDE 22 naming it") {
  Setup s;
  auto m = s.ask("ext.example.com.", dns::rrtype::A);
  CHECK(m.rcode() == dns::rcode::SERVFAIL);
  CHECK(ede_code(m) == 22);
  CHECK(ede_text(m).find("www.elsewhere.test.") != std::string::npos);
}

TEST_CASE("the flattened CNAME is never shown; other apex types come from the zone") {
  Setup s;
  auto cname = s.ask("example.com.", dns::rrtype::CNAME);
  CHECK(cname.rcode() == dns::rcode::NOERROR);
  CHECK(cname.answer.empty());
  auto mx = s.ask("example.com.", dns::rrtype::MX);
  REQUIRE(mx.answer.size() == 1);
  CHECK(mx.answer[0].type == dns::rrtype::MX);
  auto any = s.ask("example.com.", dns::rrtype::ANY);
  for (auto& rr : any.answer) CHECK(rr.type != dns::rrtype::CNAME);
}

TEST_CASE("with flatten: apex only the apex flattens; other CNAMEs are chased as usual") {
  Setup s(zones::FlattenMode::Apex);
  auto m = s.ask("dangling.example.com.", dns::rrtype::A);
  CHECK(m.rcode() == dns::rcode::NXDOMAIN);
  REQUIRE(m.answer.size() == 1);
  CHECK(m.answer[0].type == dns::rrtype::CNAME);
}
