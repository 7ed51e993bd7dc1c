// Aggressive use of the DNSSEC-validated cache (RFC 8198,
// resolver.aggressive_nsec; nsec_cache.h):
//  - the NSEC cache on its own: NXDOMAIN with the wildcard proof, NODATA at
//    a name, an empty non-terminal or a wildcard, nothing below a cut or
//    for a type the bitmap lists, the TTL capped by the SOA (§5.4), expiry;
//  - the resolver on the fake network with a hierarchy signed at test time
//    (signed_hierarchy.h): a name a cached secure NSEC denies is answered
//    without asking, secure, with the NSECs and SOA as its authority; not
//    when the setting is off, not from an insecure zone;
//  - Unbound's val_negcache_* scenarios, which fail with the setting off.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

#include "dns/rcode.h"
#include "fake_network.h"
#include "replay_support.h"
#include "resolver-client/nsec_cache.h"
#include "resolver-client/resolver.h"
#include "signed_hierarchy.h"

using namespace flatns;
using namespace flatns::resolver;
using flatns::testutil::FakeAuthority;
using flatns::testutil::FakeNetwork;

namespace {

dns::Name N(const char* text) { return dns::Name::parse(text); }

// example.'s SOA has TTL 60 and MINIMUM 300: the negative TTL is 60, below
// the NSECs' 300. The NSEC chain: example. alpha. delegated. (a cut) m.ent.
// *.wild. zulu. (ent. is an empty non-terminal; the wildcard has TXT only).
constexpr const char* kExample = R"(
example. 60 IN SOA ns.example. h.example. 1 1800 900 604800 300
example. 300 IN NSEC alpha.example. NS SOA RRSIG NSEC DNSKEY
alpha.example. 300 IN NSEC delegated.example. A RRSIG NSEC
delegated.example. 300 IN NSEC m.ent.example. NS RRSIG NSEC
m.ent.example. 300 IN NSEC *.wild.example. A RRSIG NSEC
*.wild.example. 300 IN NSEC zulu.example. TXT RRSIG NSEC
zulu.example. 300 IN NSEC example. A RRSIG NSEC
)";

struct Stored {
  NsecCache cache{1 << 20, 3600};
  std::vector<dns::ResourceRecord> authority =
      testutil::parse_zone_text(kExample, N("example."));
  explicit Stored(uint32_t negative_ttl = 60) {
    std::vector<dns::Name> owners;
    for (const auto& rr : authority) {
      if (rr.type == dns::rrtype::NSEC) owners.push_back(rr.owner);
    }
    cache.store(N("example."), authority, owners, negative_ttl, 0);
  }
  std::optional<NsecSynthesis> ask(const char* name, uint16_t type, uint64_t now_ms = 1000) {
    return cache.synthesize(N(name), type, now_ms);
  }
};

bool has_nsec_at(const std::vector<dns::ResourceRecord>& rrs, const char* owner) {
  return std::any_of(rrs.begin(), rrs.end(), [&](const dns::ResourceRecord& rr) {
    return rr.type == dns::rrtype::NSEC && rr.owner == N(owner);
  });
}
bool has_type(const std::vector<dns::ResourceRecord>& rrs, uint16_t type) {
  return std::any_of(rrs.begin(), rrs.end(), [&](const dns::ResourceRecord& rr) { return rr.type == type; });
}

}  // namespace

TEST_CASE("NSEC cache: NXDOMAIN with the wildcard proof, NODATA, ENT, wildcard NODATA", "[nsec-cache]") {
  Stored s;
  auto nx = s.ask("beta.example.", dns::rrtype::A);  // alpha < beta < delegated
  REQUIRE(nx);
  CHECK(nx->rcode == dns::rcode::NXDOMAIN);
  CHECK(nx->zone == N("example."));
  CHECK(has_nsec_at(nx->authority, "alpha.example."));
  CHECK(has_nsec_at(nx->authority, "example."));  // covers *.example.
  CHECK(has_type(nx->authority, dns::rrtype::SOA));

  auto nodata = s.ask("alpha.example.", dns::rrtype::AAAA);
  REQUIRE(nodata);
  CHECK(nodata->rcode == dns::rcode::NOERROR);
  CHECK(has_nsec_at(nodata->authority, "alpha.example."));
  CHECK_FALSE(s.ask("alpha.example.", dns::rrtype::A));  // the bitmap lists it: asked

  auto ent = s.ask("ent.example.", dns::rrtype::TXT);  // delegated < ent < m.ent
  REQUIRE(ent);
  CHECK(ent->rcode == dns::rcode::NOERROR);

  // Below *.wild: the wildcard has TXT (no synthesis), not A (NODATA).
  CHECK_FALSE(s.ask("x.wild.example.", dns::rrtype::TXT));
  auto wild = s.ask("x.wild.example.", dns::rrtype::A);
  REQUIRE(wild);
  CHECK(wild->rcode == dns::rcode::NOERROR);
  CHECK(has_nsec_at(wild->authority, "*.wild.example."));

  // Below a delegation the parent's NSEC denies nothing (RFC 6840 §4.1),
  // nor does it say what types the child's apex has.
  CHECK_FALSE(s.ask("www.delegated.example.", dns::rrtype::A));
  CHECK_FALSE(s.ask("delegated.example.", dns::rrtype::A));
  // Another zone: nothing.
  CHECK_FALSE(s.ask("beta.other.", dns::rrtype::A));
}

TEST_CASE("NSEC cache: the TTL is the SOA's negative TTL at most, and entries expire", "[nsec-cache]") {
  Stored s;  // the response's negative TTL is 60 (the SOA's), the NSECs say 300
  auto first = s.ask("beta.example.", dns::rrtype::A, 0);
  REQUIRE(first);
  CHECK(first->ttl == 60);
  for (const auto& rr : first->authority) CHECK(rr.ttl == 60);
  auto later = s.ask("beta.example.", dns::rrtype::A, 45'000);
  REQUIRE(later);
  CHECK(later->ttl == 15);
  CHECK_FALSE(s.ask("beta.example.", dns::rrtype::A, 60'000));
  CHECK_FALSE(s.ask("alpha.example.", dns::rrtype::AAAA, 61'000));
  CHECK(s.cache.entries() < 7);  // the expired ones met on the way are dropped
}

TEST_CASE("NSEC cache: nothing without the zone's SOA, and bounded by its byte budget", "[nsec-cache]") {
  NsecCache no_soa(1 << 20, 3600);
  auto records = testutil::parse_zone_text(kExample, N("example."));
  std::erase_if(records, [](const dns::ResourceRecord& rr) { return rr.type == dns::rrtype::SOA; });
  const std::vector<dns::Name> owners = {N("example."), N("alpha.example.")};
  no_soa.store(N("example."), records, owners, 60, 0);
  CHECK(no_soa.entries() == 0);
  CHECK_FALSE(no_soa.synthesize(N("beta.example."), dns::rrtype::A, 0));

  NsecCache small(1200, 3600);
  Stored s;
  std::vector<dns::Name> all;
  for (const auto& rr : s.authority) {
    if (rr.type == dns::rrtype::NSEC) all.push_back(rr.owner);
  }
  small.store(N("example."), s.authority, all, 60, 0);
  CHECK(small.bytes() <= 1200);
  CHECK(small.entries() < 7);
  small.clear();
  CHECK(small.entries() == 0);
  CHECK_FALSE(small.synthesize(N("beta.example."), dns::rrtype::A, 0));
}

namespace {

struct World : testutil::SignedWorld {
  std::unique_ptr<Resolver> start(const ResolverSettings& s) {
    auto r = std::make_unique<Resolver>(s, net, net);
    std::string error;
    REQUIRE(r->init(error));
    return r;
  }

  Result resolve(Resolver& r, const char* name, uint16_t type) {
    std::optional<Result> out;
    r.resolve(N(name), type, 1200, [&](Result&& res) { out = std::move(res); });
    net.run(net.now_ms() + 60'000);
    REQUIRE(out);
    return std::move(*out);
  }
};

}  // namespace

// example.'s NSEC chain (ldns-signzone; NSEC TTL 300, the SOA MINIMUM):
// example. a-inzone. alias. bad. ns. sub. unsigned. www. a.x.y. (back to example.).
TEST_CASE("aggressive NSEC: NXDOMAIN synthesized from cached, validated NSECs", "[aggressive-nsec]") {
  World w;
  auto r = w.start(w.settings());
  Result first = w.resolve(*r, "nope.example.", dns::rrtype::A);  // bad < nope < ns
  INFO(first.failure << " / " << first.verdict.to_text());
  REQUIRE(first.rcode == dns::rcode::NXDOMAIN);
  REQUIRE(first.verdict.is_secure());
  CHECK(has_type(first.authority, dns::rrtype::SOA));

  Result again = w.resolve(*r, "c.example.", dns::rrtype::TXT);  // bad < c < ns, another name
  INFO(again.failure << " / " << again.verdict.to_text());
  CHECK(again.rcode == dns::rcode::NXDOMAIN);
  CHECK(again.verdict.is_secure());
  CHECK(again.stats.queries_sent == 0);
  CHECK(has_nsec_at(again.authority, "bad.example."));
  CHECK(has_nsec_at(again.authority, "example."));  // no *.example.
  CHECK(has_type(again.authority, dns::rrtype::SOA));
  CHECK(has_type(again.authority, dns::rrtype::RRSIG));
  CHECK(again.ttl > 0);
  CHECK(again.ttl <= 300);

  // Below a delegation (signed or not) the parent's NSEC proves nothing.
  Result below = w.resolve(*r, "nope.unsigned.example.", dns::rrtype::A);
  CHECK(below.stats.queries_sent > 0);
  CHECK_FALSE(below.verdict.is_secure());

  // Expired with the negative TTL: asked again.
  w.net.advance(301'000);
  Result expired = w.resolve(*r, "c.example.", dns::rrtype::A);
  CHECK(expired.rcode == dns::rcode::NXDOMAIN);
  CHECK(expired.stats.queries_sent > 0);
}

TEST_CASE("aggressive NSEC: NODATA at a name and at an empty non-terminal", "[aggressive-nsec]") {
  World w;
  auto r = w.start(w.settings());
  Result first = w.resolve(*r, "www.example.", dns::rrtype::TXT);
  REQUIRE(first.nodata());
  REQUIRE(first.verdict.is_secure());

  Result aaaa = w.resolve(*r, "www.example.", dns::rrtype::AAAA);
  CHECK(aaaa.nodata());
  CHECK(aaaa.verdict.is_secure());
  CHECK(aaaa.stats.queries_sent == 0);
  CHECK(has_nsec_at(aaaa.authority, "www.example."));

  // www.'s NSEC leads to a.x.y.: y. in between is an empty non-terminal.
  Result ent = w.resolve(*r, "y.example.", dns::rrtype::A);
  CHECK(ent.nodata());
  CHECK(ent.verdict.is_secure());
  CHECK(ent.stats.queries_sent == 0);

  // The NSEC lists A: the data is asked for.
  Result a = w.resolve(*r, "www.example.", dns::rrtype::A);
  CHECK(a.stats.queries_sent > 0);
  CHECK(a.answer.size() == 1);
}

TEST_CASE("aggressive NSEC: off by the setting, and never from insecure data", "[aggressive-nsec]") {
  SECTION("resolver.aggressive_nsec: false asks the servers") {
    World w;
    ResolverSettings s = w.settings();
    s.aggressive_nsec = false;
    auto r = w.start(s);
    REQUIRE(w.resolve(*r, "nope.example.", dns::rrtype::A).verdict.is_secure());
    Result again = w.resolve(*r, "c.example.", dns::rrtype::A);
    CHECK(again.rcode == dns::rcode::NXDOMAIN);
    CHECK(again.stats.queries_sent > 0);
    CHECK(r->cache().nsecs().entries() == 0);
  }
  SECTION("the signed zone is insecure without a trust anchor above it") {
    World w;
    ResolverSettings s = w.settings();
    // An anchor for another tree: example.'s signatures validate nothing.
    s.trust_anchors_text =
        "zz. IN DS 12345 13 2 0000000000000000000000000000000000000000000000000000000000000000\n";
    auto r = w.start(s);
    Result first = w.resolve(*r, "nope.example.", dns::rrtype::A);
    REQUIRE(first.rcode == dns::rcode::NXDOMAIN);
    REQUIRE(first.verdict.is_insecure());
    Result again = w.resolve(*r, "c.example.", dns::rrtype::A);
    CHECK(again.rcode == dns::rcode::NXDOMAIN);
    CHECK(again.verdict.is_insecure());
    CHECK(again.stats.queries_sent > 0);
    CHECK(r->cache().nsecs().entries() == 0);
  }
  SECTION("nothing fetched with checking disabled is kept") {
    World w;
    auto r = w.start(w.settings());
    std::optional<Result> cd;
    ResolveOptions options;
    options.checking_disabled = true;
    r->resolve(N("nope.example."), dns::rrtype::A, 1200, options, [&](Result&& res) { cd = std::move(res); });
    w.net.run(w.net.now_ms() + 60'000);
    REQUIRE(cd);
    REQUIRE(cd->rcode == dns::rcode::NXDOMAIN);
    CHECK(r->cache().nsecs().entries() == 0);
    Result again = w.resolve(*r, "c.example.", dns::rrtype::A);
    CHECK(again.stats.queries_sent > 0);
  }
}

TEST_CASE("replay: Unbound's aggressive-nsec scenarios need the NSEC cache", "[replay][aggressive-nsec]") {
  namespace rt = flatns::replay::testing;
  using flatns::replay::Outcome;
  rt::check_all_pass({"val_negcache_nodata.rpl", "val_negcache_nxdomain.rpl", "val_negcache_ttl.rpl",
                           "val_negcache_ttl_prefetch.rpl"});
  // With the setting off the later names are asked of a server that has no
  // answer for them (nodata, nxdomain) or that has since changed (ttl).
  for (const char* name : {"val_negcache_nodata.rpl", "val_negcache_nxdomain.rpl"}) {
    auto off = rt::replay_adjusted(name, [](ResolverSettings& settings) { settings.aggressive_nsec = false; });
    INFO(name << ": " << off.text);
    CHECK(off.status == Outcome::Status::Fail);
  }
}
