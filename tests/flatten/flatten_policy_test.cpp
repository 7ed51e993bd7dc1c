// The flattening policy at an external target (flatten/flattener.h): what a
// query gets for each state of the flattened-answer cache, with a manual
// clock. The local part of the chain (example.com -> www.example.net) is in
// served zones; its last link points outside them, at edge.cdn.test.
#include <catch2/catch.hpp>

#include "dns/message_parser.h"
#include "dns/rrtype.h"
#include "flatten/flattener.h"
#include "zones/answer.h"
#include "flatten_test_util.h"
#include "tests/support/temp_file.h"
#include "zones/zone.h"

using namespace flatns;
using flatten::AnswerKind;
using flatten::CachedAnswer;
using testing::ManualTime;
using testing::TempFile;
using flatten::FlattenCall;

namespace {

const char* kCustomer =
    "$ORIGIN example.com.\n$TTL 3600\n"
    "@ SOA ns1 hostmaster 1 3600 600 86400 120\n"
    "@ NS ns1\n@ MX 10 mail\nns1 A 192.0.2.1\n"
    "@ 600 CNAME www.example.net.\n"
    "direct 3600 CNAME edge.cdn.test.\n";

const char* kTarget =
    "$ORIGIN example.net.\n$TTL 3600\n"
    "@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.2\n"
    "www 900 CNAME edge.cdn.test.\n";

const dns::Name kEdge = dns::Name::parse("edge.cdn.test.");

struct Policy {
  TempFile customer{kCustomer}, target{kTarget};
  zones::ZoneSet set;
  ManualTime time;
  std::shared_ptr<flatten::FlattenCache> cache = std::make_shared<flatten::FlattenCache>(64);
  flatten::FlattenerSettings settings;
  FlattenCall call;

  Policy() {
    auto a = zones::load_zone({dns::Name::parse("example.com."), customer.path(), zones::FlattenMode::All});
    auto b = zones::load_zone({dns::Name::parse("example.net."), target.path(), zones::FlattenMode::Off});
    REQUIRE(a.zone);
    REQUIRE(b.zone);
    set = zones::ZoneSet({a.zone, b.zone});
  }

  // Asks with EDNS (so EDE shows) in normal or final mode.
  dns::Message ask(const std::string& name, bool final = false, uint16_t type = dns::rrtype::A) {
    std::vector<uint8_t> query(512);
    dns::QueryOptions o;
    o.id = 5;
    o.edns = true;
    query.resize(dns::write_query(query, dns::Name::parse(name).wire(), type, o));
    dns::Query q;
    REQUIRE(dns::parse_query(query, q) == dns::QueryStatus::Ok);
    std::vector<uint8_t> out(65535);
    dns::ResponseBuilder rb(out);
    rb.start(q, 65535);
    flatten::Flattener stage(settings, cache, time);
    call.reset(final);
    flatten::FlattenHook hook(stage, &call);
    zones::answer_query(set, *set.find(q.qname.view()), q, rb, &hook);
    if (call.outcome == FlattenCall::Outcome::Park) return {};
    out.resize(rb.finish());
    dns::Message m;
    std::string error;
    REQUIRE(dns::parse_message(out, m, error));
    return m;
  }

  void resolved(const resolver::Result& r, uint32_t failure_ttl_s = 5) {
    CachedAnswer previous;
    const bool had = cache->lookup(kEdge.wire(), dns::rrtype::A, previous);
    cache->store(testing::entry_for("edge.cdn.test.", r, time.now, had ? &previous : nullptr, failure_ttl_s));
  }
  bool parked() const { return call.outcome == FlattenCall::Outcome::Park; }
};

}  // namespace

TEST_CASE("policy: a cache miss parks the query on the external target") {
  Policy p;
  p.ask("example.com.");
  REQUIRE(p.parked());
  CHECK(dns::name_equal(p.call.target.view(), kEdge.wire()));
  CHECK(p.call.qtype == dns::rrtype::A);
  CHECK(dns::name_to_text(p.call.zone) == "example.com.");
}

TEST_CASE("policy: a final call with nothing cached is SERVFAIL with EDE 22 naming the target") {
  Policy p;
  auto m = p.ask("example.com.", true);
  CHECK_FALSE(p.parked());
  CHECK(m.rcode() == dns::rcode::SERVFAIL);
  CHECK(testing::ede_code_of(m) == 22);
  CHECK(testing::ede_text_of(m).find("edge.cdn.test.") != std::string::npos);
}

TEST_CASE("policy: the TTL is the minimum over local links and the cached chain, and it decreases") {
  Policy p;
  p.resolved(testing::answer_result("edge.cdn.test.", {"198.51.100.1", "198.51.100.2"}, 800));
  auto m = p.ask("example.com.");
  CHECK_FALSE(p.parked());
  CHECK(m.rcode() == dns::rcode::NOERROR);
  CHECK(m.has_flag(dns::flag::AA));
  REQUIRE(m.answer.size() == 2);
  for (auto& rr : m.answer) {
    CHECK(rr.owner.to_text() == "example.com.");
    CHECK(rr.type == dns::rrtype::A);
    CHECK(rr.ttl == 600);  // the apex CNAME (600) is below www's (900) and the target's (800)
  }
  CHECK(p.ask("direct.example.com.").answer.at(0).ttl == 800);  // CNAME 3600, target 800
  p.time.advance_s(300);
  CHECK(p.ask("direct.example.com.").answer.at(0).ttl == 500);
  CHECK(p.ask("example.com.").answer.at(0).ttl == 500);
}

TEST_CASE("policy: max_ttl caps and min_ttl floors the flattened TTL") {
  Policy p;
  p.resolved(testing::answer_result("edge.cdn.test.", {"198.51.100.1"}, 800));
  p.settings.max_ttl = 60;
  CHECK(p.ask("direct.example.com.").answer.at(0).ttl == 60);
  p.settings.max_ttl = 3600;
  p.settings.min_ttl = 1000;
  CHECK(p.ask("direct.example.com.").answer.at(0).ttl == 1000);
}

TEST_CASE("policy: a target proven not to exist, or without the type, is NODATA with the zone's SOA") {
  Policy p;
  resolver::Result nx = testing::answer_result("edge.cdn.test.", {}, 300);
  nx.rcode = dns::rcode::NXDOMAIN;
  p.resolved(nx);
  auto m = p.ask("example.com.");
  CHECK(m.rcode() == dns::rcode::NOERROR);
  CHECK(m.answer.empty());
  REQUIRE(m.authority.size() == 1);
  CHECK(m.authority[0].type == dns::rrtype::SOA);
  CHECK(m.authority[0].owner.to_text() == "example.com.");
  p.resolved(testing::answer_result("edge.cdn.test.", {}, 300));  // NODATA
  auto nodata = p.ask("example.com.");
  CHECK(nodata.rcode() == dns::rcode::NOERROR);
  CHECK(nodata.answer.empty());
  CHECK(testing::ede_code_of(nodata) == -1);
}

TEST_CASE("policy: bogus data is SERVFAIL with the resolver's EDE code and text, at once while cached") {
  Policy p;
  using resolver::BogusReason;
  const std::pair<BogusReason, int> cases[] = {
      {BogusReason::SignatureExpired, 7}, {BogusReason::SignatureNotYetValid, 8},
      {BogusReason::CryptoFailure, 6},    {BogusReason::NoMatchingKey, 9},
      {BogusReason::MissingRrsig, 10},    {BogusReason::MissingDenial, 12},
  };
  for (auto [reason, code] : cases) {
    p.resolved(testing::bogus_result("edge.cdn.test.", reason, "cdn.test.", "192.0.2.53"));
    auto m = p.ask("example.com.");  // not final: a fresh failure is answered, not parked
    CHECK_FALSE(p.parked());
    CHECK(m.rcode() == dns::rcode::SERVFAIL);
    CHECK(testing::ede_code_of(m) == code);
    const std::string text = testing::ede_text_of(m);
    CHECK(text.find("example.com.") != std::string::npos);
    CHECK(text.find("edge.cdn.test.") != std::string::npos);
    CHECK(text.find("zone cdn.test.") != std::string::npos);
    CHECK(text.find("192.0.2.53") != std::string::npos);
  }
  CHECK(testing::ede_text_of(p.ask("example.com.")).find("bogus") != std::string::npos);
  // After failure_ttl_s the failure no longer answers: the next query parks.
  p.time.advance_s(6);
  p.ask("example.com.");
  CHECK(p.parked());
}

TEST_CASE("policy: unreachable servers are SERVFAIL with EDE 22 and the servers tried") {
  Policy p;
  p.resolved(testing::timeout_result("edge.cdn.test.", "192.0.2.7, 192.0.2.8"));
  auto m = p.ask("example.com.", true);
  CHECK(m.rcode() == dns::rcode::SERVFAIL);
  CHECK(testing::ede_code_of(m) == 22);
  CHECK(testing::ede_text_of(m).find("192.0.2.8") != std::string::npos);
}

TEST_CASE("policy: prefetch is asked once, in the last tenth of the TTL") {
  Policy p;
  p.resolved(testing::answer_result("edge.cdn.test.", {"198.51.100.1"}, 1000));
  p.ask("direct.example.com.");
  CHECK_FALSE(p.call.refresh);
  p.time.advance_s(899);  // 101 s left of 1000
  p.ask("direct.example.com.");
  CHECK_FALSE(p.call.refresh);
  p.time.advance_s(2);  // 99 s left
  auto m = p.ask("direct.example.com.");
  CHECK(m.answer.at(0).ttl == 99);  // still answered from the cache
  CHECK(p.call.refresh);
  CHECK(dns::name_equal(p.call.target.view(), kEdge.wire()));
  p.ask("direct.example.com.");
  CHECK_FALSE(p.call.refresh);  // once per entry
  p.resolved(testing::answer_result("edge.cdn.test.", {"198.51.100.9"}, 1000));  // the refresh lands
  auto refreshed = p.ask("direct.example.com.");
  CHECK(refreshed.answer.at(0).ttl == 1000);
  CHECK_FALSE(p.call.refresh);
}

TEST_CASE("policy: a failed prefetch is asked again only after failure_ttl_s") {
  // Unbound's iter_prefetch_fail: the authority answers the prefetch with
  // SERVFAIL; the cached answer stands, and the next queries did prefetch
  // again at once (the failure stored a new version of the entry).
  Policy p;
  p.resolved(testing::answer_result("edge.cdn.test.", {"198.51.100.1"}, 1000));
  p.time.advance_s(901);  // 99 s left
  p.ask("direct.example.com.");
  REQUIRE(p.call.refresh);
  p.resolved(testing::timeout_result("edge.cdn.test.", "192.0.2.7"), 5);  // the prefetch fails
  auto cached = p.ask("direct.example.com.");
  CHECK(cached.answer.at(0).ttl == 99);
  CHECK_FALSE(p.call.refresh);
  p.time.advance_s(4);
  p.ask("direct.example.com.");
  CHECK_FALSE(p.call.refresh);
  p.time.advance_s(2);  // the failure is 6 s old
  p.ask("direct.example.com.");
  CHECK(p.call.refresh);
}

TEST_CASE("policy: serve-stale after a failure within stale_max_s, with TTL 30 and EDE 3, and not after") {
  Policy p;
  p.settings.stale_max_s = 3600;
  p.resolved(testing::answer_result("edge.cdn.test.", {"198.51.100.1"}, 300));
  p.time.advance_s(400);  // expired 100 s ago
  p.ask("example.com.");
  REQUIRE(p.parked());  // expired: resolve again
  p.resolved(testing::timeout_result("edge.cdn.test.", "192.0.2.7"));
  auto stale = p.ask("example.com.", true);
  CHECK(stale.rcode() == dns::rcode::NOERROR);
  REQUIRE(stale.answer.size() == 1);
  CHECK(stale.answer[0].ttl == 30);
  CHECK(testing::ede_code_of(stale) == 3);
  CHECK(testing::ede_text_of(stale).find("edge.cdn.test.") != std::string::npos);
  // While the failure is cached, queries get the stale answer without parking.
  auto again = p.ask("example.com.");
  CHECK_FALSE(p.parked());
  CHECK(testing::ede_code_of(again) == 3);
  // The deadline passing with nothing new is stale too.
  p.time.advance_s(10);
  CHECK(testing::ede_code_of(p.ask("example.com.", true)) == 3);
  // More than stale_max_s after expiry: the failure itself.
  p.time.advance_s(3600);
  p.resolved(testing::timeout_result("edge.cdn.test.", "192.0.2.7"));
  auto late = p.ask("example.com.", true);
  CHECK(late.rcode() == dns::rcode::SERVFAIL);
  CHECK(testing::ede_code_of(late) == 22);
}

TEST_CASE("policy: with serve_stale off a failure is SERVFAIL even with an old answer cached") {
  Policy p;
  p.settings.serve_stale = false;
  p.resolved(testing::answer_result("edge.cdn.test.", {"198.51.100.1"}, 300));
  p.time.advance_s(301);
  p.resolved(testing::bogus_result("edge.cdn.test.", resolver::BogusReason::SignatureExpired, "cdn.test.", "192.0.2.53"));
  auto m = p.ask("example.com.", true);
  CHECK(m.rcode() == dns::rcode::SERVFAIL);
  CHECK(testing::ede_code_of(m) == 7);
}

TEST_CASE("policy: a failed refresh leaves a fresh answer in use") {
  Policy p;
  p.resolved(testing::answer_result("edge.cdn.test.", {"198.51.100.1"}, 300));
  p.time.advance_s(280);
  p.resolved(testing::timeout_result("edge.cdn.test.", "192.0.2.7"));  // the prefetch failed
  auto m = p.ask("example.com.");
  CHECK(m.rcode() == dns::rcode::NOERROR);
  REQUIRE(m.answer.size() == 1);
  CHECK(m.answer[0].ttl == 20);
  CHECK(testing::ede_code_of(m) == -1);
}

TEST_CASE("policy: a CNAME query at the flattened name stays NODATA, other types come from the zone") {
  Policy p;
  auto cname = p.ask("example.com.", false, dns::rrtype::CNAME);
  CHECK_FALSE(p.parked());
  CHECK(cname.answer.empty());
  auto mx = p.ask("example.com.", false, dns::rrtype::MX);
  REQUIRE(mx.answer.size() == 1);
  CHECK(mx.answer[0].type == dns::rrtype::MX);
}

TEST_CASE("policy: stale_client_timeout_ms 0 answers expired data at once, TTL stale_reply_ttl_s, and asks a refresh") {
  Policy p;
  p.settings.stale_client_timeout_ms = 0;
  p.settings.stale_reply_ttl_s = 123;
  p.resolved(testing::answer_result("edge.cdn.test.", {"198.51.100.1"}, 300));
  p.time.advance_s(400);  // expired 100 s ago
  auto stale = p.ask("example.com.");
  CHECK_FALSE(p.parked());
  CHECK(stale.rcode() == dns::rcode::NOERROR);
  REQUIRE(stale.answer.size() == 1);
  CHECK(stale.answer[0].ttl == 123);
  CHECK(testing::ede_code_of(stale) == 3);
  CHECK(p.call.stale_refresh);  // the worker sends the resolution request
  CHECK(dns::name_equal(p.call.target.view(), kEdge.wire()));
  // The refresh answers: fresh data from then on, no refresh asked.
  p.resolved(testing::answer_result("edge.cdn.test.", {"198.51.100.2"}, 300));
  auto fresh = p.ask("example.com.");
  REQUIRE(fresh.answer.size() == 1);
  CHECK(fresh.answer[0].ttl == 300);
  CHECK(testing::ede_code_of(fresh) == -1);
  CHECK_FALSE(p.call.stale_refresh);
}

TEST_CASE("policy: with a stale answer ready a query is held only stale_client_timeout_ms") {
  Policy p;
  p.settings.stale_client_timeout_ms = 500;
  p.ask("example.com.");
  REQUIRE(p.parked());
  CHECK(p.call.hold_ms == 0);  // nothing to fall back on: the whole deadline
  p.resolved(testing::answer_result("edge.cdn.test.", {"198.51.100.1"}, 300));
  p.time.advance_s(301);
  p.ask("example.com.");
  REQUIRE(p.parked());
  CHECK(p.call.hold_ms == 500);
  CHECK_FALSE(p.call.stale_refresh);
  // The timer fires before the resolution ends: the final call is stale.
  auto stale = p.ask("example.com.", true);
  CHECK(testing::ede_code_of(stale) == 3);
  CHECK(testing::ede_text_of(stale).find("has not answered yet") != std::string::npos);
}

TEST_CASE("policy: a stale answer's TTL is never more than the answer's own TTL") {
  Policy p;
  p.settings.stale_client_timeout_ms = 0;
  p.resolved(testing::answer_result("edge.cdn.test.", {"198.51.100.1"}, 20));
  p.time.advance_s(25);
  auto stale = p.ask("example.com.");
  REQUIRE(stale.answer.size() == 1);
  CHECK(stale.answer[0].ttl == 20);  // not stale_reply_ttl_s (30)
  CHECK(testing::ede_code_of(stale) == 3);
}

TEST_CASE("policy: an answer given with TTL 0 is never served stale (RFC 1035 3.2.1)") {
  Policy p;
  p.settings.stale_client_timeout_ms = 0;
  p.resolved(testing::answer_result("edge.cdn.test.", {"198.51.100.1"}, 0));
  // The queries that waited for it get it (kept one second for them).
  auto now = p.ask("example.com.");
  REQUIRE(now.answer.size() == 1);
  p.time.advance_s(2);
  p.ask("example.com.");
  CHECK(p.parked());  // resolved again, not answered stale
  CHECK(p.call.hold_ms == 0);
  p.resolved(testing::timeout_result("edge.cdn.test.", "192.0.2.7"));
  auto failed = p.ask("example.com.", true);
  CHECK(failed.rcode() == dns::rcode::SERVFAIL);
  CHECK(testing::ede_code_of(failed) == 22);
}

// Found by Unbound's serve_expired_ttl_client_timeout: the stale window, like
// the TTL, ends at its last millisecond (it was served one instant too long).
TEST_CASE("policy: stale data is served less than stale_max_s after expiry, not at stale_max_s exactly") {
  Policy p;
  p.settings.stale_max_s = 10;
  p.settings.stale_client_timeout_ms = 0;
  p.resolved(testing::answer_result("edge.cdn.test.", {"198.51.100.1"}, 300));
  p.time.advance_s(300);
  p.time.now += 9999;  // 9.999 s after expiry: still stale
  CHECK(testing::ede_code_of(p.ask("example.com.")) == 3);
  p.time.now += 1;  // 10 s exactly: expired for good, resolved again
  p.ask("example.com.");
  CHECK(p.parked());
  CHECK(p.call.hold_ms == 0);
}
