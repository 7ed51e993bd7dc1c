// The resolver's caches: RFC 2181 §5.4.1 trust ranks, bogus data refused,
// RFC 2308 negative entries, TTL caps, and the byte budget (LRU eviction).
#include <catch2/catch.hpp>

#include "dns/rrtype.h"
#include "resolver-client/resolver_cache.h"
#include "resolver-client/server_health.h"
#include "validator_test_util.h"

using namespace flatns;
using namespace flatns::resolver;

namespace {

std::vector<dns::ResourceRecord> a_record(const std::string& owner, uint8_t last, uint32_t ttl = 300) {
  return testutil::parse_zone_text(owner + " " + std::to_string(ttl) + " IN A 192.0.2." +
                                       std::to_string(last) + "\n",
                                   dns::Name::root());
}

const Verdict kSecure = Verdict::secure(dns::Name::parse("example."));

}  // namespace

TEST_CASE("cache: glue never answers, and lower trust does not replace higher", "[cache]") {
  ResolverCache cache(1 << 20);
  dns::Name www = dns::Name::parse("www.example.");
  REQUIRE(cache.store_rrset(www, dns::rrtype::A, a_record("www.example.", 1), 300, Trust::Additional,
                            Verdict::indeterminate("glue"), 0));
  CHECK(cache.find_rrset(www, dns::rrtype::A, Trust::NonAuthAnswer, 0) == nullptr);
  CHECK(cache.find_rrset(www, dns::rrtype::A, Trust::Additional, 0) != nullptr);
  // An authoritative answer replaces the glue ...
  REQUIRE(cache.store_rrset(www, dns::rrtype::A, a_record("www.example.", 2), 300, Trust::AuthAnswer,
                            kSecure, 0));
  // ... and later glue for the same name does not replace the answer.
  CHECK_FALSE(cache.store_rrset(www, dns::rrtype::A, a_record("www.example.", 3), 300,
                                Trust::Additional, Verdict::indeterminate("glue"), 1000));
  const CachedRrset* e = cache.find_rrset(www, dns::rrtype::A, Trust::NonAuthAnswer, 1000);
  REQUIRE(e != nullptr);
  CHECK(e->records[0].rdata == std::vector<uint8_t>{192, 0, 2, 2});
  CHECK(e->verdict.is_secure());
  CHECK(e->ttl_left(1000) == 299);
  // Once the answer expired, lower-ranked data may take its place.
  CHECK(cache.store_rrset(www, dns::rrtype::A, a_record("www.example.", 3), 300, Trust::Additional,
                          Verdict::indeterminate("glue"), 301 * 1000));
  CHECK(cache.counters().rejected_lower_trust == 1);
}

TEST_CASE("cache: bogus data is never stored; TTLs are capped", "[cache]") {
  ResolverCache cache(1 << 20, /*max_ttl_s=*/3600, /*max_negative_ttl_s=*/900);
  dns::Name www = dns::Name::parse("www.example.");
  Verdict bogus = Verdict::bogus(dns::Name::parse("example."), BogusReason::SignatureExpired, "x");
  CHECK_FALSE(cache.store_rrset(www, dns::rrtype::A, a_record("www.example.", 1), 300,
                                Trust::AuthAnswer, bogus, 0));
  CHECK(cache.find_rrset(www, dns::rrtype::A, Trust::Additional, 0) == nullptr);
  REQUIRE(cache.store_rrset(www, dns::rrtype::A, a_record("www.example.", 1, 604800), 604800,
                            Trust::AuthAnswer, kSecure, 0));
  CHECK(cache.find_rrset(www, dns::rrtype::A, Trust::AuthAnswer, 0)->ttl_left(0) == 3600);
  CachedNegative neg;
  neg.rcode = 3;
  neg.verdict = kSecure;
  cache.store_negative(dns::Name::parse("nope.example."), dns::rrtype::A, neg, 86400, 0);
  const CachedNegative* n = cache.find_negative(dns::Name::parse("nope.example."), dns::rrtype::MX, 0);
  REQUIRE(n != nullptr);  // NXDOMAIN answers every type
  CHECK(n->ttl_left(0) == 900);
  CHECK(cache.find_negative(dns::Name::parse("nope.example."), dns::rrtype::A, 900 * 1000) == nullptr);
}

TEST_CASE("cache: memory stays within the budget, least recently used go first", "[cache]") {
  ResolverCache cache(64 * 1024);
  for (int i = 0; i < 2000; ++i) {
    std::string owner = "host" + std::to_string(i) + ".example.";
    cache.store_rrset(dns::Name::parse(owner), dns::rrtype::A, a_record(owner, 1), 300,
                      Trust::AuthAnswer, kSecure, 0);
    // host0 is used all the time, so it stays.
    REQUIRE(cache.find_rrset(dns::Name::parse("host0.example."), dns::rrtype::A, Trust::AuthAnswer, 0) != nullptr);
    CHECK(cache.bytes() <= 64 * 1024);
  }
  CHECK(cache.entries() < 2000);
  CHECK(cache.find_rrset(dns::Name::parse("host1.example."), dns::rrtype::A, Trust::AuthAnswer, 0) == nullptr);
  CHECK(cache.find_rrset(dns::Name::parse("host1999.example."), dns::rrtype::A, Trust::AuthAnswer, 0) != nullptr);
}

TEST_CASE("server health: RTT estimate, timeout back-off, bogus back-off doubling", "[health]") {
  ResolverLimits limits;
  ServerHealth health(limits);
  dns::ServerAddress a;
  std::string error;
  REQUIRE(dns::ServerAddress::parse("192.0.2.53", 53, a, error));
  CHECK(health.timeout_ms(a) == limits.unknown_server_timeout_ms);
  for (int i = 0; i < 20; ++i) health.record_answer(a, 100, dns::rrtype::A);
  CHECK(health.expected_rtt_ms(a) == Approx(100).margin(1));
  CHECK(health.timeout_ms(a) >= 100);
  CHECK(health.timeout_ms(a) <= 200);
  CHECK_FALSE(health.record_timeout(a, dns::rrtype::A, 0));  // one timeout: not yet avoided
  CHECK(health.timeout_ms(a) > 200);         // but waited for longer next time
  CHECK(health.record_timeout(a, dns::rrtype::A, 0));
  CHECK(health.backed_off(a, 1000));
  CHECK_FALSE(health.backed_off(a, limits.timeout_backoff_s * 1000 + 1));
  health.record_bogus(a, "bogus data for zone example.: signature expired", 100 * 1000);
  const ServerRecord* r = health.find(a);
  REQUIRE(r != nullptr);
  CHECK(r->bogus == 1);
  CHECK(r->backoff_reason.find("zone example.") != std::string::npos);
  uint64_t first = r->backoff_until_ms - 100 * 1000;
  health.record_bogus(a, "again", 100 * 1000);
  CHECK(health.find(a)->backoff_until_ms - 100 * 1000 == 2 * first);
}

TEST_CASE("cache: the other side of a delegation survives higher-ranked data", "[cache]") {
  // Parent glue for ns.example.net. and the child's own A record differ:
  // the ranked cache keeps the child's, the other-side store the parent's.
  ResolverCache cache(1 << 20);
  dns::Name ns = dns::Name::parse("ns.example.net.");
  auto glue = a_record("ns.example.net.", 44);
  cache.store_other_side(ns, dns::rrtype::A, glue, 300, 0);
  REQUIRE(cache.store_rrset(ns, dns::rrtype::A, glue, 300, Trust::Additional, Verdict::indeterminate("glue"), 0));
  REQUIRE(cache.store_rrset(ns, dns::rrtype::A, a_record("ns.example.net.", 55), 300, Trust::AuthAnswer,
                            Verdict::indeterminate("unsigned"), 0));
  const auto* other = cache.find_other_side(ns, dns::rrtype::A, 1000);
  REQUIRE(other != nullptr);
  REQUIRE(other->size() == 1);
  CHECK(other->front().rdata == glue.front().rdata);
  CHECK(cache.find_other_side(ns, dns::rrtype::A, 301000) == nullptr);  // expired
  CHECK(cache.find_other_side(ns, dns::rrtype::AAAA, 0) == nullptr);
}

TEST_CASE("cache: a replacing NS RRset never outlives the one it replaces (ghost domains)", "[cache]") {
  ResolverCache cache(1 << 20);
  const dns::Name zone = dns::Name::parse("mid.tld.");
  const auto ns = testutil::parse_zone_text("mid.tld. 5 IN NS ns.mid.tld.\n", dns::Name::root());
  // The parent's referral: 5 s. The zone's own servers then answer its apex
  // NS with 86400 s: the delegation still lapses after 5 s (iter_ghost_ns_childapex).
  REQUIRE(cache.store_rrset(zone, dns::rrtype::NS, ns, 5, Trust::ReferralAuthority,
                            Verdict::indeterminate("referral"), 0));
  REQUIRE(cache.store_rrset(zone, dns::rrtype::NS, ns, 86400, Trust::NonAuthAnswer,
                            Verdict::indeterminate("answer"), 1000));
  const CachedRrset* e = cache.find_rrset(zone, dns::rrtype::NS, Trust::ReferralAuthority, 1000);
  REQUIRE(e != nullptr);
  CHECK(e->ttl_left(1000) == 4);
  // Another type is refreshed as usual.
  const dns::Name www = dns::Name::parse("www.mid.tld.");
  REQUIRE(cache.store_rrset(www, dns::rrtype::A, a_record("www.mid.tld.", 1, 5), 5, Trust::AuthAnswer,
                            Verdict::indeterminate("answer"), 0));
  REQUIRE(cache.store_rrset(www, dns::rrtype::A, a_record("www.mid.tld.", 1, 300), 300, Trust::AuthAnswer,
                            Verdict::indeterminate("answer"), 1000));
  CHECK(cache.find_rrset(www, dns::rrtype::A, Trust::AuthAnswer, 1000)->ttl_left(1000) == 300);
  // Once the NS RRset expired, a cut below it is not to be used.
  const dns::Name sub = dns::Name::parse("sub.mid.tld.");
  const auto sub_ns = testutil::parse_zone_text("sub.mid.tld. 3600 IN NS ns.sub.mid.tld.\n", dns::Name::root());
  REQUIRE(cache.store_rrset(sub, dns::rrtype::NS, sub_ns,
                            3600, Trust::ReferralAuthority, Verdict::indeterminate("referral"), 0));
  CHECK_FALSE(cache.expired_above(sub, dns::rrtype::NS, dns::Name::root(), 4000));
  CHECK(cache.expired_above(sub, dns::rrtype::NS, dns::Name::root(), 6000));
  CHECK_FALSE(cache.expired_above(sub, dns::rrtype::NS, sub, 6000));  // nothing above a configured zone
}
