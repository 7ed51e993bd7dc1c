// The chain of trust where no referral shows the cuts, on the fake network
// with a hierarchy signed at test time (signed_hierarchy.h):
//  - forward mode: RD=1, CD=1, DO=1 to the forwarders; DS/DNSKEY fetched
//    through them from the root trust anchor; secure, insecure and bogus
//    verdicts as in recursive mode; bogus answers re-asked at the other
//    forwarder;
//  - recursive mode: a child (signed or unsigned) served by its parent's
//    servers, whose answer comes without a referral ("needs keys").
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

bool is_bad_a_rrsig(const dns::ResourceRecord& rr) {
  return rr.type == dns::rrtype::RRSIG && rr.owner == N("bad.example.") && rr.rdata.size() > 2 &&
         (rr.rdata[0] << 8 | rr.rdata[1]) == dns::rrtype::A;
}

constexpr const char* kForwarder1 = "127.0.0.1:24501";
constexpr const char* kForwarder2 = "127.0.0.2:24501";

struct World {
  FakeNetwork net;
  FakeAuthority root, children, everything;
  std::vector<std::string> logs;

  World() {
    const auto& h = testutil::signed_hierarchy();
    net.set_wall(testutil::kHierarchyNow);
    root.add_zone(".", h.zone_text.at("."));
    for (const char* z : {"example.", "sub.example.", "unsigned.example."}) {
      children.add_zone(z, h.zone_text.at(z));
    }
    for (const auto& [origin, text] : h.zone_text) everything.add_zone(origin, text);
    net.serve("127.53.0.1", root.handler());
    net.serve("127.53.9.1", serving(children));
  }

  // What NSD would send for these zones, with bad.example.'s signature broken.
  static FakeNetwork::Handler serving(const FakeAuthority& a) {
    return [&a](const UpstreamQuery& q) {
      auto m = a.answer(q);
      for (auto& rr : m->answer) {
        if (is_bad_a_rrsig(rr)) rr.rdata.back() ^= 0x01;
      }
      return m;
    };
  }

  // A recursive resolver in front of the hierarchy that does not validate
  // (as Unbound answers CD=1 queries): the answer as the zone has it.
  FakeNetwork::Handler forwarder(bool corrupt_all = false, bool strip_rrsigs = false) {
    return [this, corrupt_all, strip_rrsigs](const UpstreamQuery& q) {
      auto m = serving(everything)(q);
      m->flags &= static_cast<uint16_t>(~dns::flag::AA);
      m->flags |= dns::flag::RA;
      for (auto* section : {&m->answer, &m->authority}) {
        if (strip_rrsigs) {
          std::erase_if(*section, [](const auto& rr) { return rr.type == dns::rrtype::RRSIG; });
        }
        for (auto& rr : *section) {
          if (corrupt_all && rr.type == dns::rrtype::RRSIG) rr.rdata.back() ^= 0x01;
        }
      }
      return m;
    };
  }

  // The two forwarders of settings(): as forwarder() unless told otherwise.
  void serve_forwarders(FakeNetwork::Handler first, FakeNetwork::Handler second) {
    net.serve(kForwarder1, std::move(first));
    net.serve(kForwarder2, std::move(second));
  }
  void serve_forwarders() { serve_forwarders(forwarder(), forwarder()); }

  ResolverSettings settings(ResolverMode mode) {
    ResolverSettings s;
    s.mode = mode;
    s.root_hints = {testutil::address("127.53.0.1")};
    s.forwarders = {testutil::address(kForwarder1), testutil::address(kForwarder2)};
    s.trust_anchors_text = testutil::signed_hierarchy().root_ds;
    s.log = [this](LogLevel, std::string_view text) { logs.emplace_back(text); };
    return s;
  }

  // A resolver on this network, its trust anchors loaded.
  std::unique_ptr<Resolver> start(const ResolverSettings& s) {
    auto r = std::make_unique<Resolver>(s, net, net);
    std::string error;
    REQUIRE(r->init(error));
    return r;
  }

  Result resolve(Resolver& r, const char* name, uint16_t type) {
    std::optional<Result> out;
    r.resolve(N(name), type, 1200, [&](Result&& res) { out = std::move(res); });
    net.run();
    REQUIRE(out);
    return std::move(*out);
  }

  bool asked(const char* name, uint16_t type) const {
    return std::any_of(net.sent.begin(), net.sent.end(),
                       [&](const auto& s) { return s.qname == N(name) && s.qtype == type; });
  }
};

std::vector<std::string> rdatas(const Result& r) {
  std::vector<std::string> out;
  for (const auto& rr : r.answer) out.push_back(dns::rdata_to_text(rr.type, rr.rdata));
  return out;
}

}  // namespace

TEST_CASE("forward mode: RD, CD set; the chain of trust is built through the forwarders",
          "[chain][forward]") {
  World w;
  w.serve_forwarders();
  auto r = w.start(w.settings(ResolverMode::Forward));
  Result res = w.resolve(*r, "www.sub.example.", dns::rrtype::A);
  INFO(res.failure << " / " << res.verdict.to_text());
  CHECK(res.rcode == dns::rcode::NOERROR);
  CHECK(res.verdict.security == Security::Secure);
  CHECK(rdatas(res) == std::vector<std::string>{"192.0.2.10"});
  for (const auto& s : w.net.sent) {
    CHECK(s.rd);
    CHECK(s.cd);
    CHECK((s.server == testutil::address(kForwarder1) ||
           s.server == testutil::address(kForwarder2)));
  }
  CHECK(w.asked(".", dns::rrtype::DNSKEY));
  CHECK(w.asked("example.", dns::rrtype::DS));
  CHECK(w.asked("example.", dns::rrtype::DNSKEY));
  CHECK(w.asked("sub.example.", dns::rrtype::DS));
  CHECK(w.asked("sub.example.", dns::rrtype::DNSKEY));
  CHECK(res.stats.queries_sent == 6);

  // Keys and DS are cached: the next name in a known zone costs one query.
  Result again = w.resolve(*r, "www.example.", dns::rrtype::A);
  CHECK(again.verdict.security == Security::Secure);
  CHECK(again.stats.queries_sent == 1);
  // Non-authoritative answers are cached (rank 3) and reused.
  CHECK(w.resolve(*r, "www.example.", dns::rrtype::A).stats.queries_sent == 0);
}

TEST_CASE("forward mode: secure NXDOMAIN and NODATA, insecure below an unsigned delegation",
          "[chain][forward]") {
  World w;
  w.serve_forwarders();
  auto r = w.start(w.settings(ResolverMode::Forward));
  Result nx = w.resolve(*r, "nope.example.", dns::rrtype::A);
  CHECK(nx.rcode == dns::rcode::NXDOMAIN);
  CHECK(nx.verdict.security == Security::Secure);
  Result nodata = w.resolve(*r, "www.example.", dns::rrtype::TXT);
  CHECK(nodata.nodata());
  CHECK(nodata.verdict.security == Security::Secure);
  Result ent = w.resolve(*r, "a.x.y.example.", dns::rrtype::A);
  CHECK(ent.verdict.security == Security::Secure);

  Result ins = w.resolve(*r, "www.unsigned.example.", dns::rrtype::A);
  INFO(ins.failure << " / " << ins.verdict.to_text());
  CHECK(ins.rcode == dns::rcode::NOERROR);
  CHECK(rdatas(ins) == std::vector<std::string>{"192.0.2.20"});
  CHECK(ins.verdict.security == Security::Insecure);
  CHECK(ins.verdict.insecure_reason == InsecureReason::UnsignedDelegation);

  Result chain = w.resolve(*r, "alias.example.", dns::rrtype::A);
  INFO(chain.failure << " / " << chain.verdict.to_text() << " deadline " << chain.deadline_reached);
  CHECK(chain.rcode == dns::rcode::NOERROR);
  CHECK(chain.cname_chain.size() == 1);
  CHECK(rdatas(chain) == std::vector<std::string>{"192.0.2.20"});
  CHECK(chain.verdict.security == Security::Insecure);
}

TEST_CASE("forward mode: a broken signature is bogus, naming the zone and the reason",
          "[chain][forward]") {
  World w;
  w.serve_forwarders();
  auto r = w.start(w.settings(ResolverMode::Forward));
  Result res = w.resolve(*r, "bad.example.", dns::rrtype::A);
  CHECK(res.rcode == dns::rcode::SERVFAIL);
  CHECK(res.verdict.security == Security::Bogus);
  CHECK(res.verdict.zone == N("example."));
  CHECK(res.verdict.reason == BogusReason::CryptoFailure);
  // Both forwarders were asked before giving up.
  CHECK(w.net.count_to(kForwarder1) >= 1);
  CHECK(w.net.count_to(kForwarder2) >= 1);
}

TEST_CASE("forward mode: a bogus forwarder is routed around; two bogus ones give bogus",
          "[chain][forward]") {
  SECTION("one of two corrupts every signature") {
    World w;
    w.serve_forwarders(w.forwarder(/*corrupt_all=*/true), w.forwarder());
    auto r = w.start(w.settings(ResolverMode::Forward));
    for (int i = 0; i < 10; ++i) {
      r->cache().clear();
      Result res = w.resolve(*r, "www.sub.example.", dns::rrtype::A);
      INFO("round " << i << ": " << res.failure << " / " << res.verdict.to_text());
      CHECK(res.verdict.security == Security::Secure);
    }
    CHECK(w.net.count_to(kForwarder1) <= 1);  // backed off after its first bogus answer
    const bool logged = std::any_of(w.logs.begin(), w.logs.end(), [](const std::string& l) {
      return l.find(kForwarder1) != std::string::npos && l.find("bogus") != std::string::npos;
    });
    CHECK((logged || w.net.count_to(kForwarder1) == 0));
  }
  SECTION("both strip the signatures") {
    World w;
    w.serve_forwarders(w.forwarder(false, /*strip_rrsigs=*/true), w.forwarder(false, true));
    auto r = w.start(w.settings(ResolverMode::Forward));
    Result res = w.resolve(*r, "www.example.", dns::rrtype::A);
    CHECK(res.rcode == dns::rcode::SERVFAIL);
    CHECK(res.verdict.security == Security::Bogus);
    CHECK(res.stats.elapsed_ms < 1200);
  }
}

TEST_CASE("forward mode with dnssec off: answers as forwarded, insecure", "[chain][forward]") {
  World w;
  w.net.serve(kForwarder1, w.forwarder());
  ResolverSettings s = w.settings(ResolverMode::Forward);
  s.forwarders.resize(1);
  s.validate = false;
  auto r = w.start(s);
  Result res = w.resolve(*r, "bad.example.", dns::rrtype::A);
  CHECK(res.rcode == dns::rcode::NOERROR);
  CHECK(res.verdict.security == Security::Insecure);
  CHECK(res.stats.queries_sent == 1);
}

TEST_CASE("recursive: a signed child on its parent's servers gets its keys (needs keys)",
          "[chain][recursive]") {
  World w;
  auto r = w.start(w.settings(ResolverMode::Recursive));
  Result res = w.resolve(*r, "www.sub.example.", dns::rrtype::A);
  INFO(res.failure << " / " << res.verdict.to_text());
  CHECK(res.rcode == dns::rcode::NOERROR);
  CHECK(res.verdict.security == Security::Secure);
  CHECK(res.verdict.zone == N("sub.example."));
  CHECK(rdatas(res) == std::vector<std::string>{"192.0.2.10"});
  CHECK(w.asked("sub.example.", dns::rrtype::DS));
  CHECK(w.asked("sub.example.", dns::rrtype::DNSKEY));
  CHECK(w.net.count_to("127.53.0.1") == 3);  // DNSKEY ., ". NS" (priming) and the minimised "example." A

  Result nx = w.resolve(*r, "nope.sub.example.", dns::rrtype::A);
  CHECK(nx.rcode == dns::rcode::NXDOMAIN);
  CHECK(nx.verdict.security == Security::Secure);
}

TEST_CASE("recursive: an unsigned child on its parent's servers is insecure, not bogus",
          "[chain][recursive]") {
  World w;
  auto r = w.start(w.settings(ResolverMode::Recursive));
  Result res = w.resolve(*r, "www.unsigned.example.", dns::rrtype::A);
  INFO(res.failure << " / " << res.verdict.to_text());
  CHECK(res.rcode == dns::rcode::NOERROR);
  CHECK(res.verdict.security == Security::Insecure);
  CHECK(rdatas(res) == std::vector<std::string>{"192.0.2.20"});
  // The parent's broken signature stays bogus.
  Result bad = w.resolve(*r, "bad.example.", dns::rrtype::A);
  CHECK(bad.verdict.security == Security::Bogus);
  CHECK(bad.verdict.zone == N("example."));
}

TEST_CASE("recursive: unsigned data inside a signed zone stays bogus after the cut check",
          "[chain][recursive]") {
  World w;
  w.net.serve("127.53.9.1", [&](const UpstreamQuery& q) {
    auto m = w.children.answer(q);
    std::erase_if(m->answer, [](const dns::ResourceRecord& rr) {
      return rr.type == dns::rrtype::RRSIG && rr.owner == N("www.example.");
    });
    return m;
  });
  auto r = w.start(w.settings(ResolverMode::Recursive));
  Result res = w.resolve(*r, "www.example.", dns::rrtype::A);
  CHECK(res.rcode == dns::rcode::SERVFAIL);
  CHECK(res.verdict.security == Security::Bogus);
  CHECK(res.verdict.reason == BogusReason::MissingRrsig);
  CHECK(res.verdict.zone == N("example."));
  CHECK(w.asked("www.example.", dns::rrtype::DS));  // no cut there: NSEC without NS
}
