// resolver.harden_unverified_glue (Unbound's harden-unverified-glue;
// referral.cpp): a referral's glue for an NS name outside the delegated zone
// (sibling glue) is used only when a lookup of the name finds no address;
// glue at or below the delegated zone is used as given. Shown on a fake
// network where com.'s sibling glue for example.com.'s server is stale, and
// by Unbound's iter_unverified_glue scenarios.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <functional>
#include <optional>
#include <string>

#include "fake_network.h"
#include "replay_support.h"
#include "resolver-client/resolver.h"

using namespace flatns;
using namespace flatns::resolver;
using flatns::replay::Outcome;
using flatns::replay::testing::replay_adjusted;
using flatns::testutil::FakeAuthority;
using flatns::testutil::FakeNetwork;

namespace {

// example.com.'s server ns1.examplesibling.com. moved from 127.53.9.9 to
// 127.53.6.1; com. still holds the old address as sibling glue (in the
// bailiwick of com., outside example.com.), and gives it in the referral.
constexpr const char* kCom = R"(
com. 900 IN SOA ns1.com. hostmaster.com. 1 1800 900 604800 900
com. 172800 IN NS ns1.com.
ns1.com. 172800 IN A 127.53.1.1
example.com. 172800 IN NS ns1.examplesibling.com.
examplesibling.com. 172800 IN NS ns.examplesibling.com.
ns.examplesibling.com. 172800 IN A 127.53.5.1
ns1.examplesibling.com. 172800 IN A 127.53.9.9
)";

constexpr const char* kSibling = R"(
examplesibling.com. 3600 IN SOA ns.examplesibling.com. hostmaster.examplesibling.com. 1 7200 900 1209600 300
examplesibling.com. 3600 IN NS ns.examplesibling.com.
ns.examplesibling.com. 3600 IN A 127.53.5.1
ns1.examplesibling.com. 3600 IN A 127.53.6.1
)";

constexpr const char* kExample = R"(
example.com. 3600 IN SOA ns1.examplesibling.com. hostmaster.example.com. 2 7200 900 1209600 300
example.com. 3600 IN NS ns1.examplesibling.com.
www.example.com. 600 IN A 192.0.2.50
mail.example.com. 600 IN A 192.0.2.51
)";

// What the old server still serves.
constexpr const char* kStaleExample = R"(
example.com. 3600 IN SOA ns1.examplesibling.com. hostmaster.example.com. 1 7200 900 1209600 300
example.com. 3600 IN NS ns1.examplesibling.com.
www.example.com. 600 IN A 192.0.2.40
mail.example.com. 600 IN A 192.0.2.41
)";

struct World {
  FakeNetwork net;
  FakeAuthority root, com, sibling, example, stale;
  // in_zone_ns: example.com. has a second server, ns.example.com.
  // (127.53.6.2, in-zone glue), asked before the sibling is looked up.
  explicit World(bool in_zone_ns = false) {
    const std::string second =
        in_zone_ns
            ? "example.com. 3600 IN NS ns.example.com.\nns.example.com. 3600 IN A 127.53.6.2\n"
            : "";
    root.add_zone(".", testutil::kRootWithCom);
    com.add_zone("com.", kCom + second);
    sibling.add_zone("examplesibling.com.", kSibling);
    example.add_zone("example.com.", kExample + second);
    stale.add_zone("example.com.", kStaleExample + second);
    if (in_zone_ns) net.serve("127.53.6.2", example.handler());
    net.serve("127.53.0.1", root.handler());
    net.serve("127.53.1.1", com.handler());
    net.serve("127.53.5.1", sibling.handler());
    net.serve("127.53.6.1", example.handler());
    net.serve("127.53.9.9", stale.handler());
  }
  static ResolverSettings settings(bool harden) {
    ResolverSettings s;
    s.root_hints = {testutil::address("127.53.0.1")};
    s.validate = false;
    s.harden_unverified_glue = harden;
    return s;
  }
  [[nodiscard]] bool asked(const char* server) const {
    for (const auto& q : net.sent) {
      if (q.server == testutil::address(server)) return true;
    }
    return false;
  }
  [[nodiscard]] bool asked_name(const char* name, uint16_t type) const {
    for (const auto& q : net.sent) {
      if (q.qname == dns::Name::parse(name) && q.qtype == type) return true;
    }
    return false;
  }
};

Result resolve(Resolver& r, FakeNetwork& net, const std::string& name) {
  std::optional<Result> out;
  r.resolve(dns::Name::parse(name), dns::rrtype::A, 10000,
            [&](Result&& res) { out = std::move(res); });
  net.run();
  REQUIRE(out);
  return std::move(*out);
}

std::string address_of(const Result& res) {
  for (const auto& rr : res.answer) {
    if (rr.type != dns::rrtype::A || rr.rdata.size() != 4) continue;
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, rr.rdata.data(), text, sizeof text);
    return text;
  }
  return "(no A record)";
}


}  // namespace

TEST_CASE("stale sibling glue is looked past with harden_unverified_glue", "[iterator][glue]") {
  World w;
  Resolver r(World::settings(true), w.net, w.net);
  Result res = resolve(r, w.net, "www.example.com.");
  INFO(res.failure);
  CHECK(res.rcode == dns::rcode::NOERROR);
  CHECK(address_of(res) == "192.0.2.50");
  CHECK(w.asked_name("ns1.examplesibling.com.", dns::rrtype::A));
  CHECK_FALSE(w.asked("127.53.9.9"));
  // In-zone glue (ns.examplesibling.com. for examplesibling.com.) is used as given.
  CHECK_FALSE(w.asked_name("ns.examplesibling.com.", dns::rrtype::A));
}

TEST_CASE("sibling glue is not cached as its name's address", "[iterator][glue]") {
  // The first query is answered by the in-zone server; the sibling is not
  // looked up. When the in-zone server stops answering, the next query
  // starts from the cached delegation: were the sibling glue cached as
  // ns1.examplesibling.com.'s address, the stale server would be asked.
  World w(true);
  Resolver r(World::settings(true), w.net, w.net);
  Result first = resolve(r, w.net, "www.example.com.");
  CHECK(address_of(first) == "192.0.2.50");
  CHECK_FALSE(w.asked_name("ns1.examplesibling.com.", dns::rrtype::A));
  w.net.serve("127.53.6.2", [](const UpstreamQuery&) { return std::optional<dns::Message>(); });
  Result second = resolve(r, w.net, "mail.example.com.");
  INFO(second.failure);
  CHECK(address_of(second) == "192.0.2.51");
  CHECK(w.asked_name("ns1.examplesibling.com.", dns::rrtype::A));
  CHECK_FALSE(w.asked("127.53.9.9"));
}

TEST_CASE("without harden_unverified_glue the sibling glue is taken as given (the default)",
          "[iterator][glue]") {
  CHECK_FALSE(ResolverSettings{}.harden_unverified_glue);
  World w;
  Resolver r(World::settings(false), w.net, w.net);
  Result res = resolve(r, w.net, "www.example.com.");
  CHECK(res.rcode == dns::rcode::NOERROR);
  CHECK(address_of(res) == "192.0.2.40");  // the stale server's answer
  CHECK_FALSE(w.asked_name("ns1.examplesibling.com.", dns::rrtype::A));
}

TEST_CASE("sibling glue is the last resort when its name's lookup gives no working address",
          "[iterator][glue]") {
  World w;
  ResolverSettings s = World::settings(true);
  bool looked_up = true;
  SECTION("the name's zone does not answer") {
    w.net.serve("127.53.5.1", [](const UpstreamQuery&) { return std::optional<dns::Message>(); });
  }
  SECTION("the name does not exist") {
    w.net.serve("127.53.5.1", [](const UpstreamQuery&) {
      dns::Message m;
      m.flags = dns::flag::AA | dns::rcode::NXDOMAIN;
      return std::optional<dns::Message>(m);
    });
  }
  SECTION("the looked-up address does not answer") {
    w.net.serve("127.53.6.1", [](const UpstreamQuery&) { return std::optional<dns::Message>(); });
  }
  SECTION("no NS name lookups are left") {
    s.limits.max_ns_lookups = 0;
    looked_up = false;
  }
  Resolver r(s, w.net, w.net);
  Result res = resolve(r, w.net, "www.example.com.");
  INFO(res.failure);
  CHECK(res.rcode == dns::rcode::NOERROR);
  CHECK(address_of(res) == "192.0.2.40");
  CHECK(w.asked("127.53.9.9"));
  CHECK(w.asked_name("ns1.examplesibling.com.", dns::rrtype::A) == looked_up);
}

TEST_CASE("replay: iter_unverified_glue and its fallback pass with harden-unverified-glue: yes",
          "[replay][iterator][glue]") {
  flatns::replay::testing::check_all_pass(
      {"iter_unverified_glue.rpl", "iter_unverified_glue_fallback.rpl"});
  // Off, the stale sibling glue is asked and its old answer returned.
  auto off = replay_adjusted("iter_unverified_glue.rpl",
                             [](ResolverSettings& s) { s.harden_unverified_glue = false; });
  INFO(off.text);
  CHECK(off.status == Outcome::Status::Fail);
  CHECK(off.text.find("10.20.30.40") != std::string::npos);
}
