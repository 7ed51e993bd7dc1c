// A refresh (ResolveOptions{refresh}, what the flattener's prefetch uses)
// that learns a name is gone must not leave the old positive data behind:
// NXDOMAIN drops every cached RRset of the name, NODATA the RRset of that
// type and the name's CNAME. Otherwise a plain lookup right after, or once the
// (shorter-lived) negative entry expired, would give the old address again.
// On the fake network and clock; validation off.
#include <catch2/catch.hpp>

#include "dns/message.h"
#include "fake_network.h"
#include "resolver-client/resolver.h"
#include "resolver-client/resolver_cache.h"

using namespace flatns;
using namespace flatns::resolver;
using flatns::testutil::FakeAuthority;
using flatns::testutil::FakeNetwork;

namespace {

constexpr const char* kCom = R"(
com. 900 IN SOA ns1.com. hostmaster.com. 1 1800 900 604800 900
com. 172800 IN NS ns1.com.
ns1.com. 172800 IN A 127.53.1.1
cdn.com. 172800 IN NS ns1.cdn.com.
ns1.cdn.com. 172800 IN A 127.53.2.1
)";

// The CDN zone before: edge and alias exist. The negative TTL (SOA minimum)
// is 60 s, far shorter than the records' 3600 s.
constexpr const char* kCdnBefore = R"(
cdn.com. 3600 IN SOA ns1.cdn.com. hostmaster.cdn.com. 1 7200 900 1209600 60
cdn.com. 3600 IN NS ns1.cdn.com.
ns1.cdn.com. 3600 IN A 127.53.2.1
edge.cdn.com. 3600 IN A 192.0.2.10
edge.cdn.com. 3600 IN TXT "edge"
alias.cdn.com. 3600 IN CNAME edge.cdn.com.
)";

// After: edge is gone; alias keeps a TXT record but no longer a CNAME.
constexpr const char* kCdnAfter = R"(
cdn.com. 3600 IN SOA ns1.cdn.com. hostmaster.cdn.com. 2 7200 900 1209600 60
cdn.com. 3600 IN NS ns1.cdn.com.
ns1.cdn.com. 3600 IN A 127.53.2.1
alias.cdn.com. 3600 IN TXT "moved"
)";

struct World {
  FakeNetwork net;
  FakeAuthority root, com, cdn_before, cdn_after;

  World() {
    root.add_zone(".", testutil::kRootWithCom);
    com.add_zone("com.", kCom);
    cdn_before.add_zone("cdn.com.", kCdnBefore);
    cdn_after.add_zone("cdn.com.", kCdnAfter);
    net.serve("127.53.0.1", root.handler());
    net.serve("127.53.1.1", com.handler());
    net.serve("127.53.2.1", cdn_before.handler());
  }
  void change_cdn_zone() { net.serve("127.53.2.1", cdn_after.handler()); }

  ResolverSettings settings() const {
    ResolverSettings s;
    s.root_hints = {testutil::address("127.53.0.1")};
    s.validate = false;
    return s;
  }
};

Result resolve(Resolver& r, FakeNetwork& net, const std::string& name, uint16_t type, bool refresh = false) {
  return testutil::resolve_now(r, net, name, type, 1200, ResolveOptions{.refresh = refresh});
}

std::vector<std::string> rdatas(const std::vector<dns::ResourceRecord>& rrs) {
  std::vector<std::string> out;
  for (const auto& rr : rrs) out.push_back(dns::rdata_to_text(rr.type, rr.rdata));
  return out;
}

}  // namespace

TEST_CASE("a refresh that gets NXDOMAIN drops the name's cached RRsets of every type",
          "[iterator][cache][refresh]") {
  World w;
  Resolver r(w.settings(), w.net, w.net);
  Result before = resolve(r, w.net, "edge.cdn.com.", dns::rrtype::A);
  REQUIRE(rdatas(before.answer) == std::vector<std::string>{"192.0.2.10"});
  REQUIRE(resolve(r, w.net, "edge.cdn.com.", dns::rrtype::TXT).answer.size() == 1);

  w.change_cdn_zone();
  w.net.advance(10 * 1000);
  Result refreshed = resolve(r, w.net, "edge.cdn.com.", dns::rrtype::A, /*refresh=*/true);
  CHECK(refreshed.rcode == dns::rcode::NXDOMAIN);

  // A plain lookup now: NXDOMAIN from the cache, not the old address; the
  // TXT RRset of the vanished name is gone too.
  Result plain = resolve(r, w.net, "edge.cdn.com.", dns::rrtype::A);
  CHECK(plain.rcode == dns::rcode::NXDOMAIN);
  CHECK(plain.answer.empty());
  CHECK(plain.stats.queries_sent == 0);
  Result txt = resolve(r, w.net, "edge.cdn.com.", dns::rrtype::TXT);
  CHECK(txt.rcode == dns::rcode::NXDOMAIN);
  CHECK(txt.answer.empty());

  // Once the negative entry (60 s) expired, the old records (3600 s) do not
  // come back: the servers are asked again.
  w.net.advance(61 * 1000);
  Result later = resolve(r, w.net, "edge.cdn.com.", dns::rrtype::A);
  CHECK(later.rcode == dns::rcode::NXDOMAIN);
  CHECK(later.answer.empty());
  CHECK(later.stats.queries_sent == 1);
}

TEST_CASE("a refresh that gets NODATA drops that type and the name's CNAME, not its other types",
          "[iterator][cache][refresh]") {
  World w;
  Resolver r(w.settings(), w.net, w.net);
  Result before = resolve(r, w.net, "alias.cdn.com.", dns::rrtype::A);
  REQUIRE(rdatas(before.answer) == std::vector<std::string>{"192.0.2.10"});

  w.change_cdn_zone();
  w.net.advance(10 * 1000);
  Result refreshed = resolve(r, w.net, "alias.cdn.com.", dns::rrtype::A, /*refresh=*/true);
  CHECK(refreshed.rcode == dns::rcode::NOERROR);
  CHECK(refreshed.answer.empty());

  // Neither the old CNAME nor the old address answers a plain lookup.
  Result plain = resolve(r, w.net, "alias.cdn.com.", dns::rrtype::A);
  CHECK(plain.rcode == dns::rcode::NOERROR);
  CHECK(plain.answer.empty());
  CHECK(plain.stats.queries_sent == 0);
  w.net.advance(61 * 1000);
  Result later = resolve(r, w.net, "alias.cdn.com.", dns::rrtype::A);
  CHECK(later.answer.empty());
  CHECK(later.stats.queries_sent == 1);
  // The CNAME's old target still exists in the cache under its own name: a
  // NODATA for alias says nothing about edge.
  Result edge = resolve(r, w.net, "edge.cdn.com.", dns::rrtype::A);
  CHECK(rdatas(edge.answer) == std::vector<std::string>{"192.0.2.10"});
  CHECK(edge.stats.queries_sent == 0);
}

TEST_CASE("cache: NXDOMAIN drops every type of the name, NODATA one type; other names stay", "[cache]") {
  ResolverCache cache(1 << 20);
  const Verdict insecure = Verdict::insecure(dns::Name::parse("example."), InsecureReason::NoTrustAnchor);
  const dns::Name gone = dns::Name::parse("Gone.Example.");
  const dns::Name kept = dns::Name::parse("kept.example.");
  auto records = [](const std::string& text) { return testutil::parse_zone_text(text, dns::Name::root()); };
  REQUIRE(cache.store_rrset(gone, dns::rrtype::A, records("gone.example. 3600 IN A 192.0.2.1\n"), 3600,
                            Trust::AuthAnswer, insecure, 0));
  REQUIRE(cache.store_rrset(gone, dns::rrtype::MX, records("gone.example. 3600 IN MX 10 mx.example.\n"), 3600,
                            Trust::AuthAnswer, insecure, 0));
  REQUIRE(cache.store_rrset(kept, dns::rrtype::A, records("kept.example. 3600 IN A 192.0.2.2\n"), 3600,
                            Trust::AuthAnswer, insecure, 0));
  REQUIRE(cache.store_rrset(kept, dns::rrtype::MX, records("kept.example. 3600 IN MX 10 mx.example.\n"), 3600,
                            Trust::AuthAnswer, insecure, 0));
  const std::size_t entries = cache.entries();

  CachedNegative nx;
  nx.rcode = dns::rcode::NXDOMAIN;
  nx.verdict = insecure;
  // The name in another case: cache keys are case-insensitive.
  cache.store_negative(dns::Name::parse("gone.example."), dns::rrtype::A, nx, 60, 1000);
  CHECK(cache.find_rrset(gone, dns::rrtype::A, Trust::Additional, 1000) == nullptr);
  CHECK(cache.find_rrset(gone, dns::rrtype::MX, Trust::Additional, 1000) == nullptr);
  CHECK(cache.entries() == entries - 2 + 1);  // two RRsets out, one negative entry in

  CachedNegative nodata;
  nodata.rcode = dns::rcode::NOERROR;
  nodata.verdict = insecure;
  // TTL 0: nothing negative is kept, the denied RRset goes all the same.
  cache.store_negative(kept, dns::rrtype::MX, nodata, 0, 1000);
  CHECK(cache.find_rrset(kept, dns::rrtype::MX, Trust::Additional, 1000) == nullptr);
  CHECK(cache.find_rrset(kept, dns::rrtype::A, Trust::Additional, 1000) != nullptr);
  CHECK(cache.find_negative(kept, dns::rrtype::MX, 1000) == nullptr);

  // A bogus denial changes nothing.
  CachedNegative bogus = nx;
  bogus.verdict = Verdict::bogus(dns::Name::parse("example."), BogusReason::SignatureExpired, "x");
  cache.store_negative(kept, dns::rrtype::A, bogus, 60, 1000);
  CHECK(cache.find_rrset(kept, dns::rrtype::A, Trust::Additional, 1000) != nullptr);
}

TEST_CASE("cache: NXDOMAIN after LRU eviction drops what is left and stays within the budget", "[cache]") {
  ResolverCache cache(16 * 1024);
  const Verdict insecure = Verdict::insecure(dns::Name::parse("example."), InsecureReason::NoTrustAnchor);
  CachedNegative nx;
  nx.rcode = dns::rcode::NXDOMAIN;
  nx.verdict = insecure;
  for (int i = 0; i < 500; ++i) {
    const std::string owner = "host" + std::to_string(i) + ".example.";
    const dns::Name name = dns::Name::parse(owner);
    for (uint16_t type : {dns::rrtype::A, dns::rrtype::TXT}) {
      auto rrs = testutil::parse_zone_text(owner + (type == dns::rrtype::A ? " 300 IN A 192.0.2.1\n"
                                                                             : " 300 IN TXT \"t\"\n"),
                                           dns::Name::root());
      cache.store_rrset(name, type, rrs, 300, Trust::AuthAnswer, insecure, 0);
    }
    // Every third name is denied again: some of them were evicted already.
    if (i % 3 == 0) cache.store_negative(dns::Name::parse("host" + std::to_string(i / 2) + ".example."),
                                         dns::rrtype::A, nx, 60, 0);
    CHECK(cache.bytes() <= 16 * 1024);
  }
  for (int i = 0; i < 500; i += 3) {
    const dns::Name denied = dns::Name::parse("host" + std::to_string(i / 2) + ".example.");
    CHECK(cache.find_rrset(denied, dns::rrtype::A, Trust::Additional, 0) == nullptr);
    CHECK(cache.find_rrset(denied, dns::rrtype::TXT, Trust::Additional, 0) == nullptr);
  }
  CHECK(cache.find_rrset(dns::Name::parse("host499.example."), dns::rrtype::TXT, Trust::Additional, 0) != nullptr);
}
