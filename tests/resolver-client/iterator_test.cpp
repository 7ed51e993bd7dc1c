// The iterator on a fake network and clock: referrals, glue bailiwick, NS
// names without glue, CNAMEs across zones, lame and dead servers, TC -> TCP,
// deadlines, caches and limits. Validation is off here (the validator has
// its own tests; the signed hierarchy is exercised end to end).
#include <catch2/catch.hpp>
#include <set>

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
com. 172800 IN NS ns2.com.
ns1.com. 172800 IN A 127.53.1.1
ns2.com. 172800 IN A 127.53.1.2
net. 172800 IN NS ns1.net.
ns1.net. 172800 IN A 127.53.3.1
)";

constexpr const char* kCom = R"(
com. 900 IN SOA ns1.com. hostmaster.com. 1 1800 900 604800 900
com. 172800 IN NS ns1.com.
com. 172800 IN NS ns2.com.
ns1.com. 172800 IN A 127.53.1.1
ns2.com. 172800 IN A 127.53.1.2
example.com. 172800 IN NS ns1.example.com.
ns1.example.com. 172800 IN A 127.53.2.1
elsewhere.com. 172800 IN NS ns.provider.net.
)";

constexpr const char* kExampleCom = R"(
example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 900 1209600 300
example.com. 3600 IN NS ns1.example.com.
ns1.example.com. 3600 IN A 127.53.2.1
www.example.com. 600 IN A 192.0.2.10
alias.example.com. 120 IN CNAME www.example.net.
inzone.example.com. 900 IN CNAME www.example.com.
)";

constexpr const char* kNet = R"(
net. 900 IN SOA ns1.net. hostmaster.net. 1 1800 900 604800 900
net. 172800 IN NS ns1.net.
ns1.net. 172800 IN A 127.53.3.1
example.net. 172800 IN NS ns1.example.net.
ns1.example.net. 172800 IN A 127.53.4.1
provider.net. 172800 IN NS ns1.provider.net.
ns1.provider.net. 172800 IN A 127.53.5.1
)";

constexpr const char* kExampleNet = R"(
example.net. 3600 IN SOA ns1.example.net. hostmaster.example.net. 1 7200 900 1209600 300
example.net. 3600 IN NS ns1.example.net.
ns1.example.net. 3600 IN A 127.53.4.1
www.example.net. 300 IN A 198.51.100.20
)";

constexpr const char* kProvider = R"(
provider.net. 3600 IN SOA ns1.provider.net. hostmaster.provider.net. 1 7200 900 1209600 300
provider.net. 3600 IN NS ns1.provider.net.
ns1.provider.net. 3600 IN A 127.53.5.1
ns.provider.net. 3600 IN A 127.53.6.1
)";

constexpr const char* kElsewhere = R"(
elsewhere.com. 3600 IN SOA ns.provider.net. hostmaster.elsewhere.com. 1 7200 900 1209600 300
elsewhere.com. 3600 IN NS ns.provider.net.
www.elsewhere.com. 3600 IN A 203.0.113.5
)";

// The hierarchy above, each zone on its own server(s).
struct World {
  FakeNetwork net;
  FakeAuthority root, com, example_com, tld_net, example_net, provider, elsewhere;

  World() {
    root.add_zone(".", kRoot);
    com.add_zone("com.", kCom);
    example_com.add_zone("example.com.", kExampleCom);
    tld_net.add_zone("net.", kNet);
    example_net.add_zone("example.net.", kExampleNet);
    provider.add_zone("provider.net.", kProvider);
    elsewhere.add_zone("elsewhere.com.", kElsewhere);
    net.serve("127.53.0.1", root.handler());
    net.serve("127.53.1.1", com.handler());
    net.serve("127.53.1.2", com.handler());
    net.serve("127.53.2.1", example_com.handler());
    net.serve("127.53.3.1", tld_net.handler());
    net.serve("127.53.4.1", example_net.handler());
    net.serve("127.53.5.1", provider.handler());
    net.serve("127.53.6.1", elsewhere.handler());
  }

  ResolverSettings settings() const {
    ResolverSettings s;
    s.root_hints = {testutil::address("127.53.0.1")};
    s.validate = false;
    return s;
  }
};

Result resolve(Resolver& r, FakeNetwork& net, const std::string& name, uint16_t type,
               uint32_t deadline_ms = 1200) {
  return testutil::resolve_now(r, net, name, type, deadline_ms);
}

std::vector<std::string> rdatas(const std::vector<dns::ResourceRecord>& rrs) {
  std::vector<std::string> out;
  for (const auto& rr : rrs) out.push_back(dns::rdata_to_text(rr.type, rr.rdata));
  return out;
}

}  // namespace

TEST_CASE("referrals are followed from the root hints to the answer", "[iterator]") {
  World w;
  Resolver r(w.settings(), w.net, w.net);
  std::string error;
  REQUIRE(r.init(error));
  Result res = resolve(r, w.net, "www.example.com.", dns::rrtype::A);
  CHECK(res.rcode == dns::rcode::NOERROR);
  CHECK(rdatas(res.answer) == std::vector<std::string>{"192.0.2.10"});
  CHECK(res.ttl == 600);
  CHECK(res.verdict.security == Security::Insecure);
  CHECK(res.stats.queries_sent == 4);  // ". NS" (root priming, RFC 8109), then root, com., example.com.
  REQUIRE(res.stats.servers_tried.size() == 3);
  CHECK(res.stats.servers_tried[0] == "127.53.0.1:53");
  CHECK(res.stats.servers_tried[2] == "127.53.2.1:53");
}

TEST_CASE("a second resolution is answered from the cache, with TTLs counting down", "[iterator][cache]") {
  World w;
  Resolver r(w.settings(), w.net, w.net);
  resolve(r, w.net, "www.example.com.", dns::rrtype::A);
  w.net.advance(100 * 1000);
  std::size_t sent_before = w.net.sent.size();
  Result res = resolve(r, w.net, "www.example.com.", dns::rrtype::A);
  CHECK(w.net.sent.size() == sent_before);
  CHECK(res.stats.queries_sent == 0);
  CHECK(res.stats.cache_hits >= 1);
  REQUIRE(res.answer.size() == 1);
  CHECK(res.answer[0].ttl == 500);
  CHECK(res.ttl == 500);
  // A sibling name needs one query only: the example.com cut is cached.
  Result sib = resolve(r, w.net, "nope.example.com.", dns::rrtype::A);
  CHECK(sib.rcode == dns::rcode::NXDOMAIN);
  CHECK(sib.stats.queries_sent == 1);
}

TEST_CASE("a refresh asks the servers for the chain and answer even when cached", "[iterator][cache][refresh]") {
  World w;
  Resolver r(w.settings(), w.net, w.net);
  resolve(r, w.net, "alias.example.com.", dns::rrtype::A);
  w.net.advance(100 * 1000);
  const std::size_t sent_before = w.net.sent.size();
  const std::optional<Result> out =
      testutil::resolve_now(r, w.net, "alias.example.com.", dns::rrtype::A, 1200, ResolveOptions{.refresh = true});
  CHECK(out->rcode == dns::rcode::NOERROR);
  CHECK(rdatas(out->answer) == std::vector<std::string>{"198.51.100.20"});
  // Fresh data: the full TTLs, not what the cache had left (20 and 200).
  CHECK(out->ttl == 120);
  REQUIRE(out->answer.size() == 1);
  CHECK(out->answer[0].ttl == 300);
  // One query per step of the chain, straight to the zones' servers: the
  // delegations still come from the cache.
  CHECK(out->stats.queries_sent == 2);
  REQUIRE(w.net.sent.size() == sent_before + 2);
  CHECK(w.net.sent[sent_before].qname == dns::Name::parse("alias.example.com."));
  CHECK(w.net.sent[sent_before].server.to_string() == "127.53.2.1:53");
  CHECK(w.net.sent[sent_before + 1].qname == dns::Name::parse("www.example.net."));
  CHECK(w.net.sent[sent_before + 1].server.to_string() == "127.53.4.1:53");
  // The fresh data replaced the cached RRsets: a plain resolution now sees
  // their full TTLs (less the milliseconds since, rounded down), from the cache.
  Result cached = resolve(r, w.net, "alias.example.com.", dns::rrtype::A);
  CHECK(cached.stats.queries_sent == 0);
  CHECK(cached.ttl == 119);
}

TEST_CASE("cached data with less than a second left is asked again, not given out with TTL 0",
          "[iterator][cache]") {
  World w;
  Resolver r(w.settings(), w.net, w.net);
  resolve(r, w.net, "www.example.com.", dns::rrtype::A);
  w.net.advance(599 * 1000 + 500);
  Result res = resolve(r, w.net, "www.example.com.", dns::rrtype::A);
  CHECK(res.stats.queries_sent == 1);
  CHECK(res.ttl == 600);
  CHECK(rdatas(res.answer) == std::vector<std::string>{"192.0.2.10"});
}

TEST_CASE("negative answers are cached for the SOA-derived TTL (RFC 2308)", "[iterator][cache]") {
  World w;
  Resolver r(w.settings(), w.net, w.net);
  Result first = resolve(r, w.net, "missing.example.com.", dns::rrtype::A);
  CHECK(first.rcode == dns::rcode::NXDOMAIN);
  CHECK(first.ttl == 300);  // min(SOA TTL 3600, SOA minimum 300)
  Result again = resolve(r, w.net, "missing.example.com.", dns::rrtype::AAAA);
  CHECK(again.rcode == dns::rcode::NXDOMAIN);  // NXDOMAIN covers every type
  CHECK(again.stats.queries_sent == 0);
  Result nodata = resolve(r, w.net, "www.example.com.", dns::rrtype::TXT);
  CHECK(nodata.rcode == dns::rcode::NOERROR);
  CHECK(nodata.nodata());
  CHECK(resolve(r, w.net, "www.example.com.", dns::rrtype::TXT).stats.queries_sent == 0);
  w.net.advance(301 * 1000);
  CHECK(resolve(r, w.net, "missing.example.com.", dns::rrtype::A).stats.queries_sent == 1);
}

TEST_CASE("a CNAME into another zone is followed; the TTL is the chain's minimum", "[iterator]") {
  World w;
  Resolver r(w.settings(), w.net, w.net);
  Result res = resolve(r, w.net, "alias.example.com.", dns::rrtype::A);
  CHECK(res.rcode == dns::rcode::NOERROR);
  REQUIRE(res.cname_chain.size() == 1);
  CHECK(res.cname_chain[0].owner == dns::Name::parse("alias.example.com."));
  CHECK(res.final_name == dns::Name::parse("www.example.net."));
  CHECK(rdatas(res.answer) == std::vector<std::string>{"198.51.100.20"});
  CHECK(res.ttl == 120);
  // In-zone chain: the server chases it, but unvalidated, only the CNAME is
  // taken from that answer; the target is asked on its own (RFC 2181 §5.4.1).
  Result in = resolve(r, w.net, "inzone.example.com.", dns::rrtype::A);
  CHECK(in.cname_chain.size() == 1);
  CHECK(rdatas(in.answer) == std::vector<std::string>{"192.0.2.10"});
  CHECK(in.ttl == 600);
}

TEST_CASE("CNAME loops and chains longer than 12 end in SERVFAIL", "[iterator][limits]") {
  World w;
  // c0.example.org -> c1.example.info -> c2.example.org -> ... (each link
  // crosses zones), and a two-zone loop.
  std::string org = "example.org. 3600 IN SOA ns.example.org. h.example.org. 1 1 1 1 60\n";
  std::string info = "example.info. 3600 IN SOA ns.example.info. h.example.info. 1 1 1 1 60\n";
  auto zone_of = [](int i) { return i % 2 == 0 ? std::string(".example.org.") : std::string(".example.info."); };
  for (int i = 0; i < 14; ++i) {
    std::string line = "c" + std::to_string(i) + zone_of(i) + " 60 IN CNAME c" +
                       std::to_string(i + 1) + zone_of(i + 1) + "\n";
    (i % 2 == 0 ? org : info) += line;
  }
  org += "loop.example.org. 60 IN CNAME loop.example.info.\n";
  info += "loop.example.info. 60 IN CNAME loop.example.org.\n";
  FakeAuthority org_zone, info_zone, root;
  org_zone.add_zone("example.org.", org);
  info_zone.add_zone("example.info.", info);
  root.add_zone(".", std::string(kRoot) +
                         "example.org. 172800 IN NS ns.example.org.\nns.example.org. 172800 IN A 127.53.7.1\n"
                         "example.info. 172800 IN NS ns.example.info.\nns.example.info. 172800 IN A 127.53.7.2\n");
  w.net.serve("127.53.7.1", org_zone.handler());
  w.net.serve("127.53.7.2", info_zone.handler());
  w.net.serve("127.53.0.1", root.handler());
  Resolver r(w.settings(), w.net, w.net);
  Result long_chain = resolve(r, w.net, "c0.example.org.", dns::rrtype::A);
  CHECK(long_chain.rcode == dns::rcode::SERVFAIL);
  CHECK(long_chain.failure.find("longer than 12") != std::string::npos);
  Result twelve = resolve(r, w.net, "c2.example.org.", dns::rrtype::A);
  CHECK(twelve.rcode == dns::rcode::NXDOMAIN);  // c14 does not exist: 12 links are allowed
  CHECK(twelve.cname_chain.size() == 12);
  Result loop = resolve(r, w.net, "loop.example.org.", dns::rrtype::A);
  CHECK(loop.rcode == dns::rcode::SERVFAIL);
  CHECK(loop.failure.find("loop") != std::string::npos);
}

TEST_CASE("glue outside the referring zone's bailiwick is not used; the NS name is resolved",
          "[iterator]") {
  World w;
  // com's servers add a forged address for ns.provider.net (not under com.).
  auto forged = [&w](const UpstreamQuery& q) {
    auto m = w.com.answer(q);
    dns::ResourceRecord rr;
    rr.owner = dns::Name::parse("ns.provider.net.");
    rr.type = dns::rrtype::A;
    rr.rclass = dns::rrclass::IN;
    rr.ttl = 86400;
    rr.rdata = {127, 53, 66, 6};
    m->additional.push_back(rr);
    return m;
  };
  w.net.serve("127.53.1.1", forged);
  w.net.serve("127.53.1.2", forged);
  int forged_queries = 0;
  w.net.serve("127.53.66.6", [&](const UpstreamQuery&) {
    ++forged_queries;
    return std::optional<dns::Message>{};
  });
  Resolver r(w.settings(), w.net, w.net);
  Result res = resolve(r, w.net, "www.elsewhere.com.", dns::rrtype::A);
  CHECK(res.rcode == dns::rcode::NOERROR);
  CHECK(rdatas(res.answer) == std::vector<std::string>{"203.0.113.5"});
  CHECK(forged_queries == 0);
  CHECK(w.net.count_to("127.53.5.1") == 2);  // provider.net was asked for ns.provider.net, A and AAAA
  // The forged record did not enter the cache either.
  CHECK(r.cache().find_rrset(dns::Name::parse("ns.provider.net."), dns::rrtype::A,
                             Trust::Additional, w.net.now_ms())
            ->records[0]
            .rdata == std::vector<uint8_t>{127, 53, 6, 1});
}

TEST_CASE("a server that does not answer is left for the zone's other server", "[iterator][health]") {
  for (int round = 0; round < 6; ++round) {
    World w;
    w.net.serve("127.53.1.1", [](const UpstreamQuery&) { return std::optional<dns::Message>{}; });
    Resolver r(w.settings(), w.net, w.net);
    Result res = resolve(r, w.net, "www.example.com.", dns::rrtype::A);
    CHECK(res.rcode == dns::rcode::NOERROR);
    CHECK(rdatas(res.answer) == std::vector<std::string>{"192.0.2.10"});
    CHECK(res.stats.elapsed_ms < 1200);
  }
}

TEST_CASE("timeouts adapt to the measured RTT", "[iterator][health]") {
  World w;
  w.net.serve("127.53.2.1", w.example_com.handler(), 80);
  Resolver r(w.settings(), w.net, w.net);
  resolve(r, w.net, "www.example.com.", dns::rrtype::A);
  uint32_t t = r.health().timeout_ms(testutil::address("127.53.2.1"));
  CHECK(t >= 200);   // 80 + 4 * 40
  CHECK(t <= 260);
  CHECK(r.health().timeout_ms(testutil::address("127.53.0.1")) == 50);  // fast server: the floor
}

TEST_CASE("a resolution whose servers never answer ends by its deadline", "[iterator][deadline]") {
  World w;
  auto dead = [](const UpstreamQuery&) { return std::optional<dns::Message>{}; };
  w.net.serve("127.53.1.1", dead);
  w.net.serve("127.53.1.2", dead);
  Resolver r(w.settings(), w.net, w.net);
  for (uint32_t deadline : {300u, 1200u, 5000u}) {
    uint64_t start = w.net.now_ms();
    std::optional<Result> got;
    uint64_t at = 0;
    r.resolve(dns::Name::parse("www.example.com."), dns::rrtype::A, deadline, [&](Result&& res) {
      got = std::move(res);
      at = w.net.now_ms();
    });
    w.net.run();
    REQUIRE(got);
    CHECK(at - start <= deadline);
    CHECK(got->rcode == dns::rcode::SERVFAIL);
    CHECK(got->verdict.security == Security::Indeterminate);
    // Either the deadline cut it short or every server failed before it.
    if (got->deadline_reached) {
      CHECK(got->failure.find("deadline of " + std::to_string(deadline) + " ms") != std::string::npos);
    }
    CHECK(got->failure.find("127.53.1.") != std::string::npos);
  }
  CHECK(r.active() == 0);
}

TEST_CASE("lame servers (REFUSED, upward referral) are skipped", "[iterator]") {
  World w;
  w.net.serve("127.53.1.1", [](const UpstreamQuery&) {
    dns::Message m;
    m.flags = dns::rcode::REFUSED;
    return std::optional<dns::Message>(m);
  });
  w.net.serve("127.53.1.2", [&w](const UpstreamQuery& q) { return w.root.answer(q); });  // upward
  w.net.serve("127.53.1.3", w.com.handler());
  FakeAuthority root;
  root.add_zone(".", std::string(kRoot) + "com. 172800 IN NS ns3.com.\nns3.com. 172800 IN A 127.53.1.3\n");
  w.net.serve("127.53.0.1", root.handler());
  Resolver r(w.settings(), w.net, w.net);
  Result res = resolve(r, w.net, "www.example.com.", dns::rrtype::A);
  CHECK(res.rcode == dns::rcode::NOERROR);
  CHECK(rdatas(res.answer) == std::vector<std::string>{"192.0.2.10"});
}

TEST_CASE("a truncated UDP answer is asked again over TCP", "[iterator]") {
  World w;
  w.net.serve("127.53.2.1", [&w](const UpstreamQuery& q) {
    if (q.protocol == Protocol::Udp) {
      dns::Message m;
      m.flags = dns::flag::AA | dns::flag::TC;
      return std::optional<dns::Message>(m);
    }
    return w.example_com.answer(q);
  });
  Resolver r(w.settings(), w.net, w.net);
  Result res = resolve(r, w.net, "www.example.com.", dns::rrtype::A);
  CHECK(rdatas(res.answer) == std::vector<std::string>{"192.0.2.10"});
  REQUIRE(w.net.sent.size() == 5);  // ". NS" (priming) first
  CHECK(w.net.sent[3].protocol == Protocol::Udp);
  CHECK(w.net.sent[4].protocol == Protocol::Tcp);
  CHECK(w.net.sent[4].server == testutil::address("127.53.2.1"));
}

TEST_CASE("the TCP retry of a truncated answer counts against the query limit", "[iterator][limits]") {
  World w;
  w.net.serve("127.53.2.1", [](const UpstreamQuery&) {
    dns::Message m;
    m.flags = dns::flag::AA | dns::flag::TC;
    return std::optional<dns::Message>(m);
  });
  ResolverSettings s = w.settings();
  s.limits.max_queries = 3;  // the UDP query to example.com. is the third
  Resolver r(s, w.net, w.net);
  Result res = resolve(r, w.net, "www.example.com.", dns::rrtype::A);
  CHECK(res.rcode == dns::rcode::SERVFAIL);
  CHECK(res.stats.queries_sent <= 3);
  CHECK(w.net.sent.size() <= 3);
  CHECK(res.failure.find("upstream query limit") != std::string::npos);
}

TEST_CASE("upstream queries per resolution are bounded (NXNS)", "[iterator][limits]") {
  World w;
  // A delegation to 30 NS names without glue, none of which resolves.
  std::string attack = kCom;
  for (int i = 0; i < 30; ++i) {
    attack += "victim.com. 3600 IN NS ns" + std::to_string(i) + ".target.net.\n";
  }
  FakeAuthority com;
  com.add_zone("com.", attack);
  w.net.serve("127.53.1.1", com.handler());
  w.net.serve("127.53.1.2", com.handler());
  ResolverSettings s = w.settings();
  Resolver r(s, w.net, w.net);
  Result res = resolve(r, w.net, "www.victim.com.", dns::rrtype::A, 10000);
  CHECK(res.rcode == dns::rcode::SERVFAIL);
  CHECK(res.stats.queries_sent <= s.limits.max_queries);
  std::set<std::string> ns_names;
  for (const auto& q : w.net.sent) {
    // (target.net. itself is the minimised query on the way to them)
    if (q.qname.is_subdomain_of(dns::Name::parse("target.net.")) &&
        !(q.qname == dns::Name::parse("target.net."))) {
      ns_names.insert(q.qname.to_text());
    }
  }
  // The names fail (NXDOMAIN): past max_failed_ns_lookups no more are
  // looked up (ns_lookup_limits_test.cpp), before max_ns_lookups is reached.
  CHECK(ns_names.size() == s.limits.max_failed_ns_lookups + 1);
  CHECK(ns_names.size() <= s.limits.max_ns_lookups);
}

TEST_CASE("destroying the resolver mid-resolution calls nothing back", "[iterator]") {
  World w;
  bool called = false;
  {
    Resolver r(w.settings(), w.net, w.net);
    r.resolve(dns::Name::parse("www.example.com."), dns::rrtype::A, 1000,
              [&](Result&&) { called = true; });
    w.net.run(w.net.now_ms() + 15);  // started, first query in flight
  }
  w.net.run();
  CHECK_FALSE(called);
}

TEST_CASE("the cache stays within settings.cache_max_bytes over many resolutions", "[iterator][cache]") {
  World w;
  ResolverSettings s = w.settings();
  s.cache_max_bytes = 64 * 1024;
  Resolver r(s, w.net, w.net);
  for (int i = 0; i < 600; ++i) {
    // NXDOMAIN answers (negative cache) and, every third, a positive one.
    const std::string name = i % 3 == 0 ? "www.example.com." : "host" + std::to_string(i) + ".example.com.";
    Result res = resolve(r, w.net, name, i % 2 == 0 ? dns::rrtype::A : dns::rrtype::TXT);
    REQUIRE(res.rcode != dns::rcode::SERVFAIL);
    REQUIRE(r.cache().bytes() <= s.cache_max_bytes);
  }
  CHECK(r.cache().bytes() > s.cache_max_bytes / 8);  // it was used, not left empty
  // The oldest negative answers made room (least recently used first)...
  CHECK(r.cache().find_negative(dns::Name::parse("host1.example.com."), dns::rrtype::TXT,
                                w.net.now_ms()) == nullptr);
  CHECK(r.cache().find_negative(dns::Name::parse("host599.example.com."), dns::rrtype::TXT,
                                w.net.now_ms()) != nullptr);
  // The delegations used all along (recently used) are still cached: a new
  // name needs only the example.com. server.
  Result last = resolve(r, w.net, "fresh.example.com.", dns::rrtype::A);
  CHECK(last.stats.queries_sent == 1);
}

namespace {

std::vector<std::string> asked_of(const FakeNetwork& net, const std::string& server) {
  std::vector<std::string> out;
  for (const auto& s : net.sent) {
    if (s.server == testutil::address(server)) {
      out.push_back(s.qname.to_text() + " " + dns::type_to_text(s.qtype));
    }
  }
  return out;
}

// example.com.'s server with a deep name under empty non-terminals.
constexpr const char* kDeep =
    "www.deep.example.com. 600 IN A 192.0.2.99\n"
    "a.b.c.d.e.f.g.h.i.j.k.l.example.com. 600 IN A 192.0.2.98\n";

}  // namespace

TEST_CASE("QNAME minimisation: each zone's servers see only the next label", "[iterator][qmin]") {
  World w;
  Resolver r(w.settings(), w.net, w.net);
  Result res = resolve(r, w.net, "www.example.com.", dns::rrtype::AAAA);
  CHECK(res.nodata());
  CHECK(asked_of(w.net, "127.53.0.1") == std::vector<std::string>{". NS", "com. A"});
  std::vector<std::string> com = asked_of(w.net, "127.53.1.1");
  for (const auto& q : asked_of(w.net, "127.53.1.2")) com.push_back(q);
  CHECK(com == std::vector<std::string>{"example.com. A"});
  CHECK(asked_of(w.net, "127.53.2.1") == std::vector<std::string>{"www.example.com. AAAA"});
  CHECK(res.stats.queries_sent == 4);  // priming, then no more than without minimisation
}

TEST_CASE("QNAME minimisation off: the full name everywhere", "[iterator][qmin]") {
  World w;
  ResolverSettings s = w.settings();
  s.qname_minimisation = false;
  Resolver r(s, w.net, w.net);
  Result res = resolve(r, w.net, "www.example.com.", dns::rrtype::AAAA);
  CHECK(res.nodata());
  CHECK(asked_of(w.net, "127.53.0.1") == std::vector<std::string>{". NS", "www.example.com. AAAA"});
}

TEST_CASE("QNAME minimisation goes down empty non-terminals, at most 10 minimised queries",
          "[iterator][qmin]") {
  World w;
  FakeAuthority example;
  example.add_zone("example.com.", std::string(kExampleCom) + kDeep);
  w.net.serve("127.53.2.1", example.handler());
  Resolver r(w.settings(), w.net, w.net);
  Result www = resolve(r, w.net, "www.deep.example.com.", dns::rrtype::A);
  CHECK(rdatas(www.answer) == std::vector<std::string>{"192.0.2.99"});
  CHECK(asked_of(w.net, "127.53.2.1") ==
        std::vector<std::string>{"deep.example.com. A", "www.deep.example.com. A"});

  w.net.sent.clear();
  r.cache().clear();
  const std::string deep = "a.b.c.d.e.f.g.h.i.j.k.l.example.com.";
  Result d = resolve(r, w.net, deep, dns::rrtype::A);
  CHECK(rdatas(d.answer) == std::vector<std::string>{"192.0.2.98"});
  int minimised = 0;
  for (const auto& s : w.net.sent) {
    if (s.qtype != dns::rrtype::NS) minimised += s.qname == dns::Name::parse(deep) ? 0 : 1;
  }
  CHECK(minimised == 10);  // com., example.com., then 8 labels down; then the full name
  CHECK(w.net.sent.back().qname == dns::Name::parse(deep));
}

TEST_CASE("QNAME minimisation is relaxed: NXDOMAIN or REFUSED for a minimised name -> full name",
          "[iterator][qmin]") {
  SECTION("a server that answers NXDOMAIN for empty non-terminals") {
    World w;
    FakeAuthority example;
    example.add_zone("example.com.", std::string(kExampleCom) + kDeep);
    w.net.serve("127.53.2.1", [&](const UpstreamQuery& q) {
      if (q.qname == dns::Name::parse("deep.example.com.")) {
        dns::Message m;
        m.flags = dns::flag::AA | dns::rcode::NXDOMAIN;
        return std::optional<dns::Message>(m);
      }
      return example.answer(q);
    });
    Resolver r(w.settings(), w.net, w.net);
    Result res = resolve(r, w.net, "www.deep.example.com.", dns::rrtype::A);
    CHECK(res.rcode == dns::rcode::NOERROR);
    CHECK(rdatas(res.answer) == std::vector<std::string>{"192.0.2.99"});
    CHECK(asked_of(w.net, "127.53.2.1") ==
          std::vector<std::string>{"deep.example.com. A", "www.deep.example.com. A"});
  }
  SECTION("a TLD server that refuses the minimised query") {
    World w;
    for (const char* tld : {"127.53.1.1", "127.53.1.2"}) {
      w.net.serve(tld, [&](const UpstreamQuery& q) {
        if (q.qname == dns::Name::parse("example.com.")) {
          dns::Message m;
          m.flags = dns::rcode::REFUSED;
          return std::optional<dns::Message>(m);
        }
        return w.com.answer(q);
      });
    }
    Resolver r(w.settings(), w.net, w.net);
    Result res = resolve(r, w.net, "www.example.com.", dns::rrtype::A);
    CHECK(rdatas(res.answer) == std::vector<std::string>{"192.0.2.10"});
    CHECK(res.stats.queries_sent == 5);  // priming, root, refused, the full name at com., example.com.
  }
}
