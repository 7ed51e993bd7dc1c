// Root priming (RFC 8109) on the fake network: ". NS" is asked of a hint
// first, the root NS RRset and its addresses from the answer are used and
// cached until the NS RRset expires; when priming fails (or its answer is
// bogus under a root trust anchor) the hints are used, and priming is
// tried again after a while. Found by Unbound's iter_lame_noaa and
// iter_scrub_dname_out_of_zone (tests/replay), which check the ". NS" query.
#include <catch2/catch.hpp>
#include <algorithm>
#include <memory>

#include "fake_network.h"
#include "resolver-client/resolver.h"
#include "signed_hierarchy.h"

using namespace flatns;
using namespace flatns::resolver;
using flatns::testutil::FakeAuthority;
using flatns::testutil::FakeNetwork;

namespace {

dns::Name N(const char* text) { return dns::Name::parse(text); }

// The hint 127.53.10.1 serves the root, but the root's own NS RRset names
// a.root. at 127.53.10.2 (the hints file is older than the root zone).
constexpr const char* kRoot = R"(
. 86400 IN SOA a.root. hostmaster.root. 1 1800 900 604800 86400
. 3600 IN NS a.root.
a.root. 3600 IN A 127.53.10.2
example. 172800 IN NS ns.example.
ns.example. 172800 IN A 127.53.10.3
)";

constexpr const char* kExample = R"(
example. 3600 IN SOA ns.example. hostmaster.example. 1 7200 900 1209600 300
example. 3600 IN NS ns.example.
ns.example. 3600 IN A 127.53.10.3
www.example. 600 IN A 192.0.2.10
ftp.example. 600 IN A 192.0.2.11
mail.example. 600 IN A 192.0.2.12
)";

struct World {
  FakeNetwork net;
  FakeAuthority root, example;
  std::vector<std::string> logs;

  World() {
    root.add_zone(".", kRoot);
    example.add_zone("example.", kExample);
    net.serve("127.53.10.1", root.handler());
    net.serve("127.53.10.2", root.handler());
    net.serve("127.53.10.3", example.handler());
  }

  ResolverSettings settings() {
    ResolverSettings s;
    s.root_hints = {testutil::address("127.53.10.1")};
    s.validate = false;
    s.qname_minimisation = false;
    s.log = [this](LogLevel, std::string_view text) { logs.emplace_back(text); };
    return s;
  }

  Result resolve(Resolver& r, const char* name) {
    std::optional<Result> out;
    r.resolve(N(name), dns::rrtype::A, 1200, [&](Result&& res) { out = std::move(res); });
    net.run(UINT64_MAX);  // the clock is moved past run()'s default limit here
    REQUIRE(out);
    return std::move(*out);
  }

  [[nodiscard]] int priming_queries() const {
    return static_cast<int>(std::count_if(net.sent.begin(), net.sent.end(), [](const auto& s) {
      return s.qname.is_root() && s.qtype == dns::rrtype::NS;
    }));
  }
};

std::vector<std::string> rdatas(const Result& r) {
  std::vector<std::string> out;
  for (const auto& rr : r.answer) out.push_back(dns::rdata_to_text(rr.type, rr.rdata));
  return out;
}

bool logged(const std::vector<std::string>& logs, const std::string& part) {
  return std::any_of(logs.begin(), logs.end(),
                     [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

}  // namespace

TEST_CASE("root priming: '. NS' of a hint first, then the root servers its answer names",
          "[iterator][priming]") {
  World w;
  Resolver r(w.settings(), w.net, w.net);
  Result res = w.resolve(r, "www.example.");
  CHECK(rdatas(res) == std::vector<std::string>{"192.0.2.10"});
  REQUIRE(w.net.sent.size() == 3);
  CHECK(w.net.sent[0].server == testutil::address("127.53.10.1"));
  CHECK(w.net.sent[0].qname.is_root());
  CHECK(w.net.sent[0].qtype == dns::rrtype::NS);
  CHECK_FALSE(w.net.sent[0].rd);
  // The referral comes from the primed root server, not the hint.
  CHECK(w.net.sent[1].server == testutil::address("127.53.10.2"));
  CHECK(w.net.count_to("127.53.10.1") == 1);
  const CachedRrset* ns = r.cache().find_rrset(dns::Name::root(), dns::rrtype::NS,
                                               Trust::ReferralAuthority, w.net.now_ms());
  REQUIRE(ns != nullptr);
  const CachedRrset* a = r.cache().find_rrset(N("a.root."), dns::rrtype::A, Trust::Additional,
                                              w.net.now_ms());
  REQUIRE(a != nullptr);
}

TEST_CASE("root priming: the primed root is cached until its NS RRset expires, then primed again",
          "[iterator][priming]") {
  World w;
  Resolver r(w.settings(), w.net, w.net);
  // Names under a TLD that does not exist: each is asked of the root.
  CHECK(w.resolve(r, "a.nope.").nxdomain());
  CHECK(w.priming_queries() == 1);
  w.net.sent.clear();
  w.net.advance(1800 * 1000);
  CHECK(w.resolve(r, "b.nope.").nxdomain());
  CHECK(w.priming_queries() == 0);
  CHECK(w.net.count_to("127.53.10.2") == 1);
  w.net.sent.clear();
  w.net.advance(1801 * 1000);  // the root NS RRset's 3600 s have passed
  CHECK(w.resolve(r, "c.nope.").nxdomain());
  CHECK(w.priming_queries() == 1);
}

TEST_CASE("root priming: when it fails the hints are used, and priming is tried again later",
          "[iterator][priming]") {
  World w;
  // The hint answers everything but ". NS"; the server the root names is down.
  w.net.serve("127.53.10.1", [&w](const UpstreamQuery& q) {
    if (q.qname.is_root() && q.qtype == dns::rrtype::NS) {
      dns::Message m;
      m.flags = dns::rcode::SERVFAIL;
      return std::optional<dns::Message>(m);
    }
    return w.root.answer(q);
  });
  w.net.serve("127.53.10.2", [](const UpstreamQuery&) { return std::optional<dns::Message>{}; });
  Resolver r(w.settings(), w.net, w.net);
  Result res = w.resolve(r, "www.example.");
  CHECK(res.rcode == dns::rcode::NOERROR);
  CHECK(rdatas(res) == std::vector<std::string>{"192.0.2.10"});
  CHECK(w.priming_queries() == 1);
  CHECK(logged(w.logs, "priming the root"));
  CHECK(w.net.count_to("127.53.10.2") == 0);

  // Held for limits.timeout_backoff_s: the hints straight away.
  r.cache().clear();
  w.net.sent.clear();
  w.resolve(r, "ftp.example.");
  CHECK(w.priming_queries() == 0);
  w.net.advance(31 * 1000);
  r.cache().clear();
  w.net.sent.clear();
  w.resolve(r, "mail.example.");
  CHECK(w.priming_queries() == 1);
}

TEST_CASE("root priming: every primed root server failing sends the query to the hints",
          "[iterator][priming]") {
  World w;
  w.net.serve("127.53.10.2", [](const UpstreamQuery&) { return std::optional<dns::Message>{}; });
  Resolver r(w.settings(), w.net, w.net);
  Result res = w.resolve(r, "www.example.");
  CHECK(rdatas(res) == std::vector<std::string>{"192.0.2.10"});
  CHECK(w.net.count_to("127.53.10.2") >= 1);
  CHECK(logged(w.logs, "no primed root server answered"));
}

TEST_CASE("root priming under a root trust anchor: the answer is validated, a bogus one is not used",
          "[iterator][priming][chain]") {
  const auto& h = testutil::signed_hierarchy();
  for (bool strip : {false, true}) {
    FakeNetwork net;
    net.set_wall(testutil::kHierarchyNow);
    FakeAuthority root, children;
    root.add_zone(".", h.zone_text.at("."));
    for (const char* z : {"example.", "sub.example.", "unsigned.example."}) {
      children.add_zone(z, h.zone_text.at(z));
    }
    net.serve("127.53.0.1", [&root, strip](const UpstreamQuery& q) {
      auto m = root.answer(q);
      if (strip && q.qname.is_root() && q.qtype == dns::rrtype::NS) {
        std::erase_if(m->answer, [](const auto& rr) { return rr.type == dns::rrtype::RRSIG; });
      }
      return m;
    });
    net.serve("127.53.9.1", children.handler());
    ResolverSettings s;
    s.root_hints = {testutil::address("127.53.0.1")};
    s.trust_anchors_text = h.root_ds;
    Resolver r(s, net, net);
    std::string error;
    REQUIRE(r.init(error));
    std::optional<Result> out;
    r.resolve(N("www.example."), dns::rrtype::A, 1200, [&](Result&& res) { out = std::move(res); });
    net.run();
    REQUIRE(out);
    INFO((strip ? "unsigned root NS" : "signed root NS") << ": " << out->failure << " / "
                                                        << out->verdict.to_text());
    CHECK(out->rcode == dns::rcode::NOERROR);
    CHECK(out->verdict.security == Security::Secure);
    const CachedRrset* ns =
        r.cache().find_rrset(dns::Name::root(), dns::rrtype::NS, Trust::ReferralAuthority, net.now_ms());
    if (strip) {
      CHECK(ns == nullptr);  // the bogus priming answer was not cached
    } else {
      REQUIRE(ns != nullptr);
      CHECK(ns->verdict.security == Security::Secure);
    }
  }
}
