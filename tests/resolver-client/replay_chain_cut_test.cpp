// RFC 2181 §5.4.1: when the name sought is an alias, only the alias's record
// is necessarily authoritative. An answer that validation does not vouch
// for is read up to its first CNAME (or a DNAME's synthesised CNAME); the
// target is asked of its own zone's servers (answer_chain.h), as Unbound's
// scrubber cuts the rest (iter_scrub_cname_an, iter_scrub_dname_insec).
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>

#include "fake_network.h"
#include "replay_support.h"
#include "signed_hierarchy.h"
#include "resolver-client/resolver.h"

using namespace flatns;
using namespace flatns::resolver;
using flatns::testutil::FakeAuthority;
using flatns::testutil::FakeNetwork;

namespace {

constexpr const char* kCom = R"(
com. 900 IN SOA ns1.com. hostmaster.com. 1 1800 900 604800 900
com. 172800 IN NS ns1.com.
ns1.com. 172800 IN A 127.53.1.1
example.com. 172800 IN NS ns1.example.com.
ns1.example.com. 172800 IN A 127.53.2.1
)";

constexpr const char* kExampleCom = R"(
example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 900 1209600 300
example.com. 3600 IN NS ns1.example.com.
ns1.example.com. 3600 IN A 127.53.2.1
www.example.com. 300 IN CNAME next.example.com.
next.example.com. 600 IN A 192.0.2.40
)";

}  // namespace

TEST_CASE("replay finding: an unsigned answer's records past the first CNAME or DNAME are asked again",
          "[replay][iterator][cname]") {
  // Both took the target's A record from the answer that held the CNAME
  // (10.20.30.0, 50.60.70.0) and never asked the target: Unbound's answer
  // (10.20.30.40, 50.60.70.80) comes from the target's own query.
  flatns::replay::testing::check_all_pass({"iter_scrub_cname_an.rpl", "iter_scrub_dname_insec.rpl"});
}

TEST_CASE("a wrong target A after an in-zone CNAME is not the answer: the target is asked",
          "[iterator][cname]") {
  FakeNetwork net;
  FakeAuthority root, com, example;
  root.add_zone(".", testutil::kRootWithCom);
  com.add_zone("com.", kCom);
  example.add_zone("example.com.", kExampleCom);
  net.serve("127.53.0.1", root.handler());
  net.serve("127.53.1.1", com.handler());
  // The zone's server chases the CNAME (RFC 1034 §4.3.2) but appends a stale
  // (or forged) A record for the target, as a server answering the rest of
  // the chain from its cache may.
  const auto wrong = testutil::parse_zone_text("next.example.com. 600 IN A 203.0.113.66\n",
                                               dns::Name::parse("example.com."));
  net.serve("127.53.2.1", [&example, &wrong](const UpstreamQuery& q) {
    auto m = example.answer(q);
    if (m && q.qname == dns::Name::parse("www.example.com.")) {
      for (auto& rr : m->answer) {
        if (rr.type == dns::rrtype::A) rr = wrong.front();
      }
    }
    return m;
  });
  ResolverSettings s;
  s.root_hints = {testutil::address("127.53.0.1")};
  s.validate = false;
  Resolver r(s, net, net);
  const std::optional<Result> out = testutil::resolve_now(r, net, "www.example.com.", dns::rrtype::A);
  CHECK(out->rcode == dns::rcode::NOERROR);
  REQUIRE(out->cname_chain.size() == 1);
  CHECK(out->final_name == dns::Name::parse("next.example.com."));
  REQUIRE(out->answer.size() == 1);
  CHECK(dns::rdata_to_text(dns::rrtype::A, out->answer[0].rdata) == "192.0.2.40");
  const bool target_asked = std::any_of(net.sent.begin(), net.sent.end(), [](const FakeNetwork::Sent& q) {
    return q.qname == dns::Name::parse("next.example.com.") && q.qtype == dns::rrtype::A;
  });
  CHECK(target_asked);
}

TEST_CASE("a validated CNAME chain is read whole; one into an unsigned zone is asked at the target",
          "[iterator][cname][chain]") {
  // Secure: every RRset of the chain is signed by its zone, so the target's
  // A record in the same answer is as good as its own query's (Unbound asks
  // again all the same; flatns saves the query). alias.example. leads into
  // unsigned.example., served by the same server: the A record there is
  // unsigned, so the target is asked on its own (the validator ends the
  // chain at the cut, and the cut here would too).
  testutil::SignedWorld w;
  FakeNetwork& net = w.net;
  Resolver r(w.settings(), net, net);
  std::string error;
  REQUIRE(r.init(error));
  auto resolve = [&](const char* name) { return testutil::resolve_now(r, net, name, dns::rrtype::A); };
  auto asked = [&](const char* name) {
    return std::any_of(net.sent.begin(), net.sent.end(), [&](const FakeNetwork::Sent& q) {
      return q.qname == dns::Name::parse(name) && q.qtype == dns::rrtype::A;
    });
  };
  Result secure = resolve("a-inzone.example.");
  CHECK(secure.rcode == dns::rcode::NOERROR);
  CHECK(secure.verdict.is_secure());
  REQUIRE(secure.answer.size() == 1);
  CHECK(dns::rdata_to_text(dns::rrtype::A, secure.answer[0].rdata) == "192.0.2.1");
  CHECK_FALSE(asked("www.example."));
  Result insecure = resolve("alias.example.");
  CHECK(insecure.rcode == dns::rcode::NOERROR);
  CHECK(insecure.verdict.is_insecure());
  REQUIRE(insecure.answer.size() == 1);
  CHECK(dns::rdata_to_text(dns::rrtype::A, insecure.answer[0].rdata) == "192.0.2.20");
  CHECK(asked("www.unsigned.example."));
}
