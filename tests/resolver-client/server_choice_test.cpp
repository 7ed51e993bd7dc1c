// Which servers of a zone are asked, and how:
// - resolver.do_not_query (Unbound's do-not-query-address): servers in the
//   listed prefixes are never asked, the others of the zone are; a zone
//   left with none fails naming each excluded address; with NAT64 the
//   gateway's prefix stays reachable (iter_nat64_donotq);
// - a zone whose servers are all recursive caches answering "nothing held"
//   (RA, no AA, no SOA) is asked again with RD=1 as a last resort
//   (iter_lame_nosoa).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "fake_network.h"
#include "replay_support.h"
#include "resolver-client/resolver.h"

using namespace flatns;
using namespace flatns::resolver;
using flatns::testutil::FakeAuthority;
using flatns::testutil::FakeNetwork;

namespace {

constexpr const char* kRoot = R"(
. 86400 IN SOA a.root. hostmaster.root. 1 1800 900 604800 86400
. 518400 IN NS a.root.
a.root. 518400 IN A 127.53.0.1
example. 172800 IN NS ns1.example.
example. 172800 IN NS ns2.example.
ns1.example. 172800 IN A 127.53.1.1
ns2.example. 172800 IN A 198.51.100.53
)";

constexpr const char* kExample = R"(
example. 3600 IN SOA ns1.example. hostmaster.example. 1 7200 900 1209600 300
example. 3600 IN NS ns1.example.
example. 3600 IN NS ns2.example.
ns1.example. 3600 IN A 127.53.1.1
ns2.example. 3600 IN A 198.51.100.53
www.example. 3600 IN A 192.0.2.1
)";

struct World {
  FakeNetwork net;
  FakeAuthority root, example;
  World() {
    root.add_zone(".", kRoot);
    std::string zone = kExample;
    for (int i = 0; i < 16; ++i) zone += "host" + std::to_string(i) + ".example. 3600 IN A 192.0.2.1\n";
    example.add_zone("example.", zone);
    net.serve("127.53.0.1", root.handler());
    net.serve("127.53.1.1", example.handler());
    net.serve("198.51.100.53", example.handler());
  }
  ResolverSettings settings(std::initializer_list<const char*> excluded) const {
    ResolverSettings s;
    s.root_hints = {testutil::address("127.53.0.1")};
    s.validate = false;
    for (const char* text : excluded) {
      dns::AddressPrefix p;
      std::string error;
      REQUIRE(dns::AddressPrefix::parse(text, p, error));
      s.do_not_query.push_back(p);
    }
    return s;
  }
};

Result resolve(Resolver& r, FakeNetwork& net, const std::string& name) {
  return testutil::resolve_now(r, net, name, dns::rrtype::A);
}

}  // namespace

TEST_CASE("a server in resolver.do_not_query is never asked; the zone's other server is",
          "[iterator][do-not-query]") {
  World w;
  Resolver r(w.settings({"198.51.100.0/24"}), w.net, w.net);
  std::string error;
  REQUIRE(r.init(error));
  // Sixteen names, each a new question for example.'s servers: without the
  // exclusion the random pick between two equal servers would reach
  // 198.51.100.53 all but once in 2^16 runs.
  for (int i = 0; i < 16; ++i) {
    const Result res = resolve(r, w.net, "host" + std::to_string(i) + ".example.");
    INFO(res.failure);
    CHECK(res.rcode == dns::rcode::NOERROR);
  }
  CHECK(w.net.count_to("198.51.100.53") == 0);
  CHECK(w.net.count_to("127.53.1.1") == 16);
}

TEST_CASE("a zone whose servers are all in resolver.do_not_query fails, naming them",
          "[iterator][do-not-query]") {
  World w;
  Resolver r(w.settings({"198.51.100.0/24", "127.53.1.1"}), w.net, w.net);
  std::string error;
  REQUIRE(r.init(error));
  const Result res = resolve(r, w.net, "www.example.");
  CHECK(res.rcode == dns::rcode::SERVFAIL);
  CHECK(w.net.count_to("198.51.100.53") == 0);
  CHECK(w.net.count_to("127.53.1.1") == 0);
  INFO(res.failure);
  CHECK(res.failure.find("198.51.100.53:53: not asked (resolver.do_not_query)") != std::string::npos);
  CHECK(res.failure.find("127.53.1.1:53: not asked (resolver.do_not_query)") != std::string::npos);
}

TEST_CASE("with NAT64 the gateway's prefix stays reachable when do-not-query covers all IPv6",
          "[replay][iterator][do-not-query][nat64]") {
  using namespace flatns::replay;
  using namespace flatns::replay::testing;
  // iter_nat64_donotq: do-not-query-address ::0/0, the root's server
  // inside the NAT64 prefix, the delegated one an IPv4 address reached
  // through it.
  check_all_pass({"iter_nat64_donotq.rpl"});
  // The same scenario with a NAT64 prefix that does not hold the root's
  // server: ::0/0 now excludes it, nothing is asked and the first answer
  // is SERVFAIL.
  std::ifstream in(scenario_path("iter_nat64_donotq.rpl"));
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const auto at = s.find("nat64-prefix: 2001:db8:1234::/96");
  REQUIRE(at != std::string::npos);
  s.replace(at, std::string("nat64-prefix: 2001:db8:1234::/96").size(), "nat64-prefix: 2001:db8:5678::/96");
  const Outcome o = replay_text(s);
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Fail);
  CHECK(o.text.find("STEP 20 CHECK_ANSWER") != std::string::npos);
  CHECK(o.text.find("got SERVFAIL") != std::string::npos);
}

namespace {

// A recursive resolver named as the zone's server: without RD it answers
// from a cache that holds only the zone's NS RRset (RA, no AA, no SOA);
// with RD it resolves, and answers as a cache does (RA, no AA).
FakeNetwork::Handler recursive_cache(const FakeAuthority& zone) {
  return [&zone](const UpstreamQuery& q) -> std::optional<dns::Message> {
    auto m = zone.answer(q);
    if (!m) return m;
    m->flags = static_cast<uint16_t>((m->flags & ~dns::flag::AA) | dns::flag::RA);
    if (!q.recursion_desired) {
      UpstreamQuery ns = q;
      ns.qname = dns::Name::parse("example.");
      ns.qtype = dns::rrtype::NS;
      m->answer.clear();
      m->authority = zone.answer(ns)->answer;
      m->additional.clear();
    }
    return m;
  };
}

}  // namespace

TEST_CASE("servers that are all recursion-lame with nothing held are asked again with RD=1",
          "[iterator][recursion-lame]") {
  World w;
  w.net.serve("127.53.1.1", recursive_cache(w.example));
  w.net.serve("198.51.100.53", recursive_cache(w.example));
  Resolver r(w.settings({}), w.net, w.net);
  std::string error;
  REQUIRE(r.init(error));
  const Result res = resolve(r, w.net, "www.example.");
  INFO(res.failure);
  REQUIRE(res.rcode == dns::rcode::NOERROR);
  REQUIRE(res.answer.size() == 1);
  CHECK(dns::rdata_to_text(res.answer[0].type, res.answer[0].rdata) == "192.0.2.1");
  // Each server was asked without RD first; then one of them with RD, once.
  int with_rd = 0, without_rd = 0;
  for (const auto& sent : w.net.sent) {
    if (sent.qname == dns::Name::parse("www.example.")) (sent.rd ? with_rd : without_rd)++;
  }
  CHECK(with_rd == 1);
  CHECK(without_rd >= 2);
  CHECK(w.net.sent.back().rd);
}

TEST_CASE("recursion-lame servers' iter_lame_nosoa scenario: the NODATA of the RD=1 query is the answer",
          "[replay][iterator][recursion-lame]") {
  // ns.example.com. refers example.com. to itself (lame), ns.example.net.
  // is a recursive server answering mail.example.com. with RA, no AA, the
  // zone's NS and no SOA. That was "unusable" from both and the answer
  // SERVFAIL; Unbound asks the recursive one with RD (chase_to_rd) and
  // takes its NODATA. STEP 1 INFRA_RTT makes the lame server the first
  // choice.
  flatns::replay::testing::check_all_pass({"iter_lame_nosoa.rpl"});
}
