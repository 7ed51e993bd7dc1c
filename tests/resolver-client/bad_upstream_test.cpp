// Surviving bad upstreams on a fake network: the RFC 5155 Appendix A zone
// (signed, alg 7) served by two servers, one of which corrupts every
// signature. Resolutions must succeed through the good server, the bad one
// must be backed off after its first bogus answer and logged with its
// address and the zone; when both are bad the verdict is bogus and names a
// server and the reason.
#include <catch2/catch.hpp>

#include "fake_network.h"
#include "resolver-client/resolver.h"

using namespace flatns;
using namespace flatns::resolver;
using flatns::testutil::FakeAuthority;
using flatns::testutil::FakeNetwork;

namespace {

const std::string kZonePath = std::string(FLATNS_CORPUS_DIR) + "/rfc/rfc5155-appendixA.zone";

struct SignedWorld {
  FakeNetwork net;
  FakeAuthority root, example;
  std::vector<dns::ResourceRecord> zone = testutil::parse_zone_file(kZonePath, dns::Name::parse("example."));
  std::vector<std::string> logs;

  SignedWorld() {
    net.set_wall(testutil::kRfc5155Now);
    root.add_zone(".",
                  ". 86400 IN SOA a.root. h.root. 1 1800 900 604800 86400\n"
                  "example. 3600 IN NS ns1.example.\nexample. 3600 IN NS ns2.example.\n"
                  "ns1.example. 3600 IN A 127.53.9.1\nns2.example. 3600 IN A 127.53.9.2\n");
    example.add_zone("example.", testutil::read_text(kZonePath));
    net.serve("127.53.0.1", root.handler());
    net.serve("127.53.9.1", example.handler());
    net.serve("127.53.9.2", example.handler());
  }

  // Every RRSIG's signature gets one bit flipped.
  FakeNetwork::Handler corrupting() {
    return [this](const UpstreamQuery& q) {
      auto m = example.answer(q);
      for (auto& rr : m->answer) {
        if (rr.type == dns::rrtype::RRSIG) rr.rdata.back() ^= 0x01;
      }
      return m;
    };
  }

  ResolverSettings settings() {
    ResolverSettings s;
    s.root_hints = {testutil::address("127.53.0.1")};
    s.validate = true;
    for (const auto& rr : testutil::select(zone, dns::Name::parse("example."), dns::rrtype::DNSKEY)) {
      s.trust_anchors_text += rr.to_text() + "\n";
    }
    s.log = [this](LogLevel, std::string_view text) { logs.emplace_back(text); };
    return s;
  }

  Result resolve(Resolver& r, const std::string& name, uint16_t type) {
    std::optional<Result> out;
    r.resolve(dns::Name::parse(name), type, 1200, [&](Result&& res) { out = std::move(res); });
    net.run();
    REQUIRE(out);
    return std::move(*out);
  }
};

}  // namespace

TEST_CASE("validated answers through good servers are secure", "[bad-upstream]") {
  SignedWorld w;
  Resolver r(w.settings(), w.net, w.net);
  std::string error;
  REQUIRE(r.init(error));
  Result res = w.resolve(r, "ai.example.", dns::rrtype::A);
  INFO(res.failure << " / " << res.verdict.to_text());
  CHECK(res.rcode == dns::rcode::NOERROR);
  CHECK(res.verdict.security == Security::Secure);
  REQUIRE(res.answer.size() == 1);
  CHECK(dns::rdata_to_text(res.answer[0].type, res.answer[0].rdata) == "192.0.2.9");
}

TEST_CASE("one bad server of two: every resolution succeeds and the bad one is avoided",
          "[bad-upstream]") {
  SignedWorld w;
  w.net.serve("127.53.9.2", w.corrupting());
  Resolver r(w.settings(), w.net, w.net);
  std::string error;
  REQUIRE(r.init(error));
  for (int i = 0; i < 20; ++i) {
    r.cache().clear();  // cold caches every time, as in the incident replay
    Result res = w.resolve(r, "ai.example.", dns::rrtype::A);
    INFO("round " << i << ": " << res.failure << " / " << res.verdict.to_text());
    CHECK(res.rcode == dns::rcode::NOERROR);
    CHECK(res.verdict.security == Security::Secure);
  }
  // At most one answer from the bad server was ever needed to notice it.
  CHECK(w.net.count_to("127.53.9.2") <= 1);
  const ServerRecord* bad = r.health().find(testutil::address("127.53.9.2"));
  if (w.net.count_to("127.53.9.2") == 1) {
    REQUIRE(bad != nullptr);
    CHECK(bad->bogus == 1);
    CHECK(bad->backoff_until_ms > w.net.now_ms());
    bool logged = false;
    for (const auto& l : w.logs) {
      logged = logged || (l.find("127.53.9.2") != std::string::npos &&
                          l.find("zone example.") != std::string::npos);
    }
    CHECK(logged);
  }
}

TEST_CASE("both servers bad: bogus, naming the zone, a server and the reason", "[bad-upstream]") {
  SignedWorld w;
  w.net.serve("127.53.9.1", w.corrupting());
  w.net.serve("127.53.9.2", w.corrupting());
  Resolver r(w.settings(), w.net, w.net);
  std::string error;
  REQUIRE(r.init(error));
  Result res = w.resolve(r, "ai.example.", dns::rrtype::A);
  CHECK(res.rcode == dns::rcode::SERVFAIL);
  CHECK(res.verdict.security == Security::Bogus);
  CHECK(res.verdict.zone == dns::Name::parse("example."));
  // Both servers are named, in the order they were asked, in the verdict
  // and in its text (what EDE EXTRA-TEXT and the logs show).
  CHECK((res.verdict.server == "127.53.9.1, 127.53.9.2" ||
         res.verdict.server == "127.53.9.2, 127.53.9.1"));
  CHECK(res.verdict.to_text().find("(zone example., servers 127.53.9.") != std::string::npos);
  CHECK(res.verdict.reason == BogusReason::CryptoFailure);
  CHECK(res.verdict.ede_code() == std::optional<uint16_t>(6));
  CHECK(w.net.count_to("127.53.9.1") == 1);
  CHECK(w.net.count_to("127.53.9.2") == 1);
  CHECK(res.stats.elapsed_ms < 1200);
}
