// NS names without glue (referral.cpp, lookup_ns_address): looked up for A
// and AAAA, and the NXNS bound (CVE-2020-12662) on names whose lookups the
// servers answer without an address, answers from the cache not counted.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "fake_network.h"
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
com. 172800 IN NS ns1.com.
ns1.com. 172800 IN A 127.53.1.1
net. 172800 IN NS ns1.net.
ns1.net. 172800 IN A 127.53.3.1
)";

constexpr const char* kNet = R"(
net. 900 IN SOA ns1.net. hostmaster.net. 1 1800 900 604800 900
net. 172800 IN NS ns1.net.
ns1.net. 172800 IN A 127.53.3.1
target.net. 172800 IN NS ns.target.net.
ns.target.net. 172800 IN A 127.53.7.1
)";

// Of the twelve names victim.com. is delegated to, only ns12 exists; the
// others are NXDOMAIN with the SOA (cached for 300 s, RFC 2308).
constexpr const char* kTarget = R"(
target.net. 3600 IN SOA ns.target.net. hostmaster.target.net. 1 7200 900 1209600 300
target.net. 3600 IN NS ns.target.net.
ns.target.net. 3600 IN A 127.53.7.1
ns12.target.net. 3600 IN A 127.53.8.1
)";

constexpr const char* kVictim = R"(
victim.com. 3600 IN SOA ns12.target.net. hostmaster.victim.com. 1 7200 900 1209600 300
victim.com. 3600 IN NS ns12.target.net.
www.victim.com. 600 IN A 192.0.2.1
www2.victim.com. 600 IN A 192.0.2.2
)";

struct World {
  FakeNetwork net;
  FakeAuthority root, com, tld_net, target, victim;

  World() {
    std::string com_text =
        "com. 900 IN SOA ns1.com. hostmaster.com. 1 1800 900 604800 900\n"
        "com. 172800 IN NS ns1.com.\n"
        "ns1.com. 172800 IN A 127.53.1.1\n";
    for (int i = 1; i <= 12; ++i) {
      com_text += "victim.com. 172800 IN NS ns" + std::to_string(i) + ".target.net.\n";
    }
    root.add_zone(".", kRoot);
    com.add_zone("com.", com_text);
    tld_net.add_zone("net.", kNet);
    target.add_zone("target.net.", kTarget);
    victim.add_zone("victim.com.", kVictim);
    net.serve("127.53.0.1", root.handler());
    net.serve("127.53.1.1", com.handler());
    net.serve("127.53.3.1", tld_net.handler());
    net.serve("127.53.7.1", target.handler());
    net.serve("127.53.8.1", victim.handler());
  }

  ResolverSettings settings() const {
    ResolverSettings s;
    s.root_hints = {testutil::address("127.53.0.1")};
    s.validate = false;
    return s;
  }

  // The NS names of victim.com. asked of target.net.'s server from query
  // `from` on, and how many queries that took.
  std::set<std::string> ns_names_asked(std::size_t from, std::size_t& queries) const {
    std::set<std::string> names;
    queries = 0;
    for (std::size_t i = from; i < net.sent.size(); ++i) {
      const auto& q = net.sent[i];
      if (!(q.server == testutil::address("127.53.7.1")) || q.qname == dns::Name::parse("ns.target.net.")) {
        continue;
      }
      if (q.qtype != dns::rrtype::A && q.qtype != dns::rrtype::AAAA) continue;
      names.insert(q.qname.to_text());
      ++queries;
    }
    return names;
  }
};

Result resolve(Resolver& r, FakeNetwork& net, const std::string& name) {
  return testutil::resolve_now(r, net, name, dns::rrtype::A, 10000);
}

}  // namespace

TEST_CASE("NS names without glue are looked up for A and AAAA", "[iterator][limits]") {
  World w;
  ResolverSettings s = w.settings();
  s.limits.max_failed_ns_lookups = 100;  // every name is looked up
  Resolver r(s, w.net, w.net);
  Result res = resolve(r, w.net, "www.victim.com.");
  CHECK(res.rcode == dns::rcode::NOERROR);
  std::size_t queries = 0;
  auto names = w.ns_names_asked(0, queries);
  CHECK(names.size() == 12);
  CHECK(queries == 24);  // both types of each name
}

TEST_CASE("NS names that resolve to nothing are looked up only up to the NXNS limit",
          "[iterator][limits]") {
  World w;
  ResolverSettings s = w.settings();
  Resolver r(s, w.net, w.net);
  Result res = resolve(r, w.net, "www.victim.com.");
  // ns1..ns6 fail (one more than the limit of 5), ns7..ns12 are never asked.
  CHECK(res.rcode == dns::rcode::SERVFAIL);
  INFO(res.failure);
  CHECK(res.failure.find("lookups already found no address (limit 5)") != std::string::npos);
  std::size_t queries = 0;
  auto names = w.ns_names_asked(0, queries);
  CHECK(names.size() == s.limits.max_failed_ns_lookups + 1);
  CHECK(queries == 2 * (s.limits.max_failed_ns_lookups + 1));
  CHECK(names.count("ns7.target.net.") == 0);

  SECTION("names the cache knows do not exist do not count against the limit") {
    // As Unbound's iter_nxns_cached: the next query under the delegation
    // takes ns1..ns6's NXDOMAIN from the cache, looks up ns7..ns11 (five
    // failures, within the limit) and reaches ns12. Were cached failures
    // counted, the lookups would stop at ns7.
    const std::size_t before = w.net.sent.size();
    Result again = resolve(r, w.net, "www2.victim.com.");
    INFO(again.failure);
    CHECK(again.rcode == dns::rcode::NOERROR);
    REQUIRE(again.answer.size() == 1);
    auto asked = w.ns_names_asked(before, queries);
    CHECK(asked.count("ns1.target.net.") == 0);
    CHECK(asked.count("ns6.target.net.") == 0);
    CHECK(asked.count("ns7.target.net.") == 1);
    CHECK(asked.count("ns12.target.net.") == 1);
  }
}

TEST_CASE("NS names looked up per resolution are bounded when they resolve to dead servers",
          "[iterator][limits]") {
  // Twenty names that all resolve, to addresses nothing answers at: none
  // fails its lookup, so max_ns_lookups is the bound.
  World w;
  std::string com_text =
      "com. 900 IN SOA ns1.com. hostmaster.com. 1 1800 900 604800 900\n"
      "com. 172800 IN NS ns1.com.\n"
      "ns1.com. 172800 IN A 127.53.1.1\n";
  std::string target_text = kTarget;
  for (int i = 1; i <= 20; ++i) {
    com_text += "dead.com. 172800 IN NS dead" + std::to_string(i) + ".target.net.\n";
    target_text += "dead" + std::to_string(i) + ".target.net. 3600 IN A 127.53.9." + std::to_string(i) + "\n";
  }
  FakeAuthority com, target;
  com.add_zone("com.", com_text);
  target.add_zone("target.net.", target_text);
  w.net.serve("127.53.1.1", com.handler());
  w.net.serve("127.53.7.1", target.handler());
  ResolverSettings s = w.settings();
  s.limits.max_queries = 1000;  // only the lookups' own bound applies
  Resolver r(s, w.net, w.net);
  const std::optional<Result> out = testutil::resolve_now(r, w.net, "www.dead.com.", dns::rrtype::A, 120000);
  CHECK(out->rcode == dns::rcode::SERVFAIL);
  std::size_t queries = 0;
  CHECK(w.ns_names_asked(0, queries).size() == s.limits.max_ns_lookups);
}
