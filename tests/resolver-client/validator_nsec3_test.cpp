// RFC 5155 Appendix B responses (Unbound's val_nsec3_b*.rpl replay files,
// built on the Appendix A zone) through validate_response, plus tampering.
#include <catch2/catch.hpp>

#include <algorithm>

#include "resolver-client/val_nsec3.h"
#include "resolver-client/validator.h"
#include "validator_test_util.h"

using namespace flatns;
using namespace flatns::resolver;

namespace {

const std::string kDir = std::string(FLATNS_CORPUS_DIR) + "/examples/unbound/";

// The trust anchor Unbound's scenarios configure (the example. KSK).
constexpr const char* kExampleAnchor =
    "example. DNSKEY 257 3 7 AwEAAcUlFV1vhmqx6NSOUOq2R/dsR7Xm3upJ ( j7IommWSpJABVfW8Q0rOvXdM6kzt+TAu92L9 "
    "AbsUdblMFin8CVF3n4s= )";

struct Scenario {
  std::vector<testutil::ReplayEntry> entries;
  ZoneKeys keys;
};

Scenario load(const std::string& file, ValidationContext& ctx) {
  Scenario s;
  s.entries = testutil::parse_replay_entries(kDir + file);
  TrustAnchors anchors;
  std::string error;
  REQUIRE(anchors.add_text(kExampleAnchor, "test", error));
  const auto example = dns::Name::parse("example.");
  const auto* dnskey = testutil::find_entry(s.entries, example, dns::rrtype::DNSKEY);
  REQUIRE(dnskey != nullptr);
  s.keys = validate_dnskey_response(dnskey->message, *anchors.find(example), ctx);
  REQUIRE(s.keys.verdict.security == Security::Secure);
  return s;
}

// Unbound's verdict in the scenario: the AD bit of the expected answer
// (the CHECK_ANSWER entry, the last one for the question). Without AD the
// answer is insecure (all NSEC3 records of the RFC 5155 zone are opt-out).
Security unbound_verdict(const Scenario& s, const char* qname, uint16_t qtype) {
  const testutil::ReplayEntry* last = nullptr;
  for (const auto& e : s.entries) {
    if (e.message.has_question && e.message.qname == dns::Name::parse(qname) &&
        e.message.qtype == qtype) {
      last = &e;
    }
  }
  REQUIRE(last != nullptr);
  const auto& f = last->reply_flags;
  REQUIRE(std::find(f.begin(), f.end(), "RA") != f.end());
  return std::find(f.begin(), f.end(), "AD") != f.end() ? Security::Secure : Security::Insecure;
}

dns::Message response(const Scenario& s, const char* qname, uint16_t qtype) {
  const auto* e = testutil::find_entry(s.entries, dns::Name::parse(qname), qtype);
  REQUIRE(e != nullptr);
  return e->message;
}

// Removes the first authority record of `type` whose owner starts with `prefix`
// (and the RRSIG over it).
void remove_authority(dns::Message& m, uint16_t type, const std::string& prefix) {
  std::vector<dns::ResourceRecord> kept;
  for (const auto& rr : m.authority) {
    const bool match_owner = rr.owner.to_text().rfind(prefix, 0) == 0;
    const bool is_type = rr.type == type;
    const bool is_sig = rr.type == dns::rrtype::RRSIG && rr.rdata.size() >= 2 &&
                        (rr.rdata[0] << 8 | rr.rdata[1]) == type;
    if (match_owner && (is_type || is_sig)) continue;
    kept.push_back(rr);
  }
  REQUIRE(kept.size() < m.authority.size());
  m.authority = kept;
}

// Flips one bit in the signature of the first RRSIG covering `type` in `section`.
void flip_signature(std::vector<dns::ResourceRecord>& section, uint16_t type) {
  for (auto& rr : section) {
    if (rr.type == dns::rrtype::RRSIG && (rr.rdata[0] << 8 | rr.rdata[1]) == type) {
      rr.rdata.back() ^= 0x01;
      return;
    }
  }
  FAIL("no RRSIG to tamper with");
}

}  // namespace

TEST_CASE("validator nsec3: B.1 name error in an opt-out span is insecure, as Unbound says") {
  ValidationBudget budget;
  ValidationContext ctx{testutil::kRfc5155Now, budget};
  auto s = load("val_nsec3_b1_nameerror.rpl", ctx);
  const auto m = response(s, "a.c.x.w.example.", dns::rrtype::A);
  const auto r = validate_response(m, dns::Name::parse("a.c.x.w.example."), dns::rrtype::A,
                                   s.keys, ctx);
  CHECK(r.kind == ResponseKind::NxDomain);
  INFO(r.verdict.to_text());
  CHECK(unbound_verdict(s, "a.c.x.w.example.", dns::rrtype::A) == Security::Insecure);
  CHECK(r.verdict.security == Security::Insecure);
  CHECK(r.verdict.insecure_reason == InsecureReason::OptOut);
  CHECK(r.ttl == 3600);

  SECTION("without the NSEC3 covering the wildcard it is bogus") {
    auto t = m;
    remove_authority(t, dns::rrtype::NSEC3, "35mthgpgcu1qg68fab165klnsnk3dpvl");
    const auto b = validate_response(t, dns::Name::parse("a.c.x.w.example."), dns::rrtype::A,
                                     s.keys, ctx);
    CHECK(b.verdict.security == Security::Bogus);
    CHECK(b.verdict.reason == BogusReason::BadDenial);
    CHECK(b.verdict.detail.find("wildcard *.x.w.example.") != std::string::npos);
  }
  SECTION("without the NSEC3 covering the next closer name it is bogus") {
    auto t = m;
    remove_authority(t, dns::rrtype::NSEC3, "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom");
    const auto b = validate_response(t, dns::Name::parse("a.c.x.w.example."), dns::rrtype::A,
                                     s.keys, ctx);
    CHECK(b.verdict.is_bogus());
    CHECK(b.verdict.detail.find("next closer name c.x.w.example.") != std::string::npos);
  }
  SECTION("without any NSEC3 it is bogus with EDE 12") {
    auto t = m;
    std::erase_if(t.authority, [](const dns::ResourceRecord& rr) {
      return rr.owner.labels() == 2;  // the hashed owners
    });
    const auto b = validate_response(t, dns::Name::parse("a.c.x.w.example."), dns::rrtype::A,
                                     s.keys, ctx);
    CHECK(b.verdict.reason == BogusReason::MissingDenial);
    CHECK(b.verdict.ede_code() == 12);
  }
  SECTION("a flipped signature byte makes it bogus (crypto failure)") {
    auto t = m;
    flip_signature(t.authority, dns::rrtype::NSEC3);
    const auto b = validate_response(t, dns::Name::parse("a.c.x.w.example."), dns::rrtype::A,
                                     s.keys, ctx);
    CHECK(b.verdict.reason == BogusReason::CryptoFailure);
    CHECK(b.verdict.ede_code() == 6);
    CHECK(b.verdict.zone == dns::Name::parse("example."));
  }
  SECTION("after the signatures expire it is bogus with EDE 7") {
    ValidationContext late{1429574400 /* 2015-04-21 */, budget};
    const auto b = validate_response(m, dns::Name::parse("a.c.x.w.example."), dns::rrtype::A,
                                     s.keys, late);
    CHECK(b.verdict.reason == BogusReason::SignatureExpired);
    CHECK(b.verdict.ede_code() == 7);
    CHECK(b.verdict.detail.find("expired at 20150420235959") != std::string::npos);
  }
  SECTION("before inception it is bogus with EDE 8") {
    ValidationContext early{1104537600 /* 2005-01-01 */, budget};
    const auto b = validate_response(m, dns::Name::parse("a.c.x.w.example."), dns::rrtype::A,
                                     s.keys, early);
    CHECK(b.verdict.reason == BogusReason::SignatureNotYetValid);
    CHECK(b.verdict.ede_code() == 8);
  }
  SECTION("an iteration limit below 12 makes the denial insecure (RFC 9276)") {
    ValidationContext strict{testutil::kRfc5155Now, budget};
    strict.options.max_nsec3_iterations = 10;
    const auto i = validate_response(m, dns::Name::parse("a.c.x.w.example."), dns::rrtype::A,
                                     s.keys, strict);
    CHECK(i.kind == ResponseKind::NxDomain);
    CHECK(i.verdict.security == Security::Insecure);
    CHECK(i.verdict.insecure_reason == InsecureReason::Nsec3IterationsTooHigh);
    CHECK(i.verdict.ede_code() == 27);
  }
  SECTION("the NSEC3 hash budget bounds the work (CVE-2023-50868)") {
    ValidationBudget small;
    small.max_nsec3_hashes = 3;  // the proof needs 5: a.c.x.w, c.x.w, x.w, next closer, wildcard
    ValidationContext c2{testutil::kRfc5155Now, small};
    const auto b = validate_response(m, dns::Name::parse("a.c.x.w.example."), dns::rrtype::A,
                                     s.keys, c2);
    CHECK(b.verdict.reason == BogusReason::TooMuchWork);
    CHECK(small.nsec3_hashes == 3);
  }
  SECTION("the same denial for a name that exists is bogus") {
    const auto b = validate_response(m, dns::Name::parse("x.w.example."), dns::rrtype::A,
                                     s.keys, ctx);
    CHECK(b.verdict.is_bogus());
  }
}

TEST_CASE("validator nsec3: B.2 no data is secure") {
  ValidationBudget budget;
  ValidationContext ctx{testutil::kRfc5155Now, budget};
  auto s = load("val_nsec3_b2_nodata.rpl", ctx);
  const auto m = response(s, "ns1.example.", dns::rrtype::MX);
  const auto r = validate_response(m, dns::Name::parse("ns1.example."), dns::rrtype::MX, s.keys, ctx);
  CHECK(r.kind == ResponseKind::NoData);
  INFO(r.verdict.to_text());
  CHECK(unbound_verdict(s, "ns1.example.", dns::rrtype::MX) == Security::Secure);
  CHECK(r.verdict.security == Security::Secure);

  SECTION("the same NSEC3 does not deny a type its bitmap lists") {
    const auto b = validate_response(m, dns::Name::parse("ns1.example."), dns::rrtype::A, s.keys, ctx);
    CHECK(b.verdict.reason == BogusReason::BadDenial);
  }
  SECTION("a missing RRSIG on the SOA is bogus with EDE 10") {
    auto t = m;
    std::erase_if(t.authority, [](const dns::ResourceRecord& rr) {
      return rr.type == dns::rrtype::RRSIG && (rr.rdata[0] << 8 | rr.rdata[1]) == dns::rrtype::SOA;
    });
    const auto b = validate_response(t, dns::Name::parse("ns1.example."), dns::rrtype::MX, s.keys, ctx);
    CHECK(b.verdict.reason == BogusReason::MissingRrsig);
    CHECK(b.verdict.ede_code() == 10);
  }
}

TEST_CASE("validator nsec3: B.2.1 no data at an empty non-terminal is secure") {
  ValidationBudget budget;
  ValidationContext ctx{testutil::kRfc5155Now, budget};
  auto s = load("val_nsec3_b21_nodataent.rpl", ctx);
  const auto m = response(s, "y.w.example.", dns::rrtype::A);
  const auto r = validate_response(m, dns::Name::parse("y.w.example."), dns::rrtype::A, s.keys, ctx);
  CHECK(r.kind == ResponseKind::NoData);
  INFO(r.verdict.to_text());
  CHECK(unbound_verdict(s, "y.w.example.", dns::rrtype::A) == Security::Secure);
  CHECK(r.verdict.security == Security::Secure);
}

TEST_CASE("validator nsec3: B.3 referral into an opt-out span is an insecure delegation") {
  ValidationBudget budget;
  ValidationContext ctx{testutil::kRfc5155Now, budget};
  auto s = load("val_nsec3_b3_optout.rpl", ctx);
  const auto m = response(s, "mc.c.example.", dns::rrtype::MX);
  const auto r = validate_response(m, dns::Name::parse("mc.c.example."), dns::rrtype::MX, s.keys, ctx);
  CHECK(r.kind == ResponseKind::Referral);
  CHECK(unbound_verdict(s, "mc.c.example.", dns::rrtype::MX) == Security::Insecure);
  CHECK(r.next_name == dns::Name::parse("c.example."));
  INFO(r.verdict.to_text());
  CHECK(r.verdict.security == Security::Secure);
  CHECK(r.delegation.verdict.security == Security::Insecure);
  CHECK(r.delegation.verdict.insecure_reason == InsecureReason::OptOut);
  CHECK(r.delegation.zone == dns::Name::parse("c.example."));

  SECTION("the DS query's opt-out denial says the same") {
    const auto d = response(s, "c.example.", dns::rrtype::DS);
    const auto ds = validate_response(d, dns::Name::parse("c.example."), dns::rrtype::DS, s.keys, ctx);
    CHECK(ds.kind == ResponseKind::NoData);
    CHECK(ds.delegation.verdict.security == Security::Insecure);
    CHECK(ds.delegation.verdict.insecure_reason == InsecureReason::OptOut);
  }
  SECTION("without the covering opt-out NSEC3 the referral is bogus") {
    auto t = m;
    remove_authority(t, dns::rrtype::NSEC3, "35mthgpgcu1qg68fab165klnsnk3dpvl");
    const auto b = validate_response(t, dns::Name::parse("mc.c.example."), dns::rrtype::MX, s.keys, ctx);
    CHECK(b.verdict.is_bogus());
    CHECK(b.delegation.verdict.is_bogus());
  }
}

TEST_CASE("validator nsec3: B.4 wildcard expansion over an opt-out span is insecure, as Unbound says") {
  ValidationBudget budget;
  ValidationContext ctx{testutil::kRfc5155Now, budget};
  auto s = load("val_nsec3_b4_wild.rpl", ctx);
  const auto m = response(s, "a.z.w.example.", dns::rrtype::MX);
  const auto r = validate_response(m, dns::Name::parse("a.z.w.example."), dns::rrtype::MX, s.keys, ctx);
  CHECK(r.kind == ResponseKind::Answer);
  CHECK(r.wildcard_answer);
  INFO(r.verdict.to_text());
  CHECK(unbound_verdict(s, "a.z.w.example.", dns::rrtype::MX) == Security::Insecure);
  CHECK(r.verdict.security == Security::Insecure);
  CHECK(r.verdict.insecure_reason == InsecureReason::OptOut);

  SECTION("without the next-closer NSEC3 the expansion is bogus") {
    auto t = m;
    remove_authority(t, dns::rrtype::NSEC3, "q04jkcevqvmu85r014c7dkba38o0ji5r");
    const auto b = validate_response(t, dns::Name::parse("a.z.w.example."), dns::rrtype::MX, s.keys, ctx);
    CHECK(b.verdict.reason == BogusReason::MissingDenial);
  }
  SECTION("a flipped answer signature is bogus") {
    auto t = m;
    flip_signature(t.answer, dns::rrtype::MX);
    const auto b = validate_response(t, dns::Name::parse("a.z.w.example."), dns::rrtype::MX, s.keys, ctx);
    CHECK(b.verdict.reason == BogusReason::CryptoFailure);
  }
}

TEST_CASE("validator nsec3: B.5 wildcard no data over an opt-out span is insecure, as Unbound says") {
  ValidationBudget budget;
  ValidationContext ctx{testutil::kRfc5155Now, budget};
  auto s = load("val_nsec3_b5_wcnodata.rpl", ctx);
  const auto m = response(s, "a.z.w.example.", dns::rrtype::AAAA);
  const auto r = validate_response(m, dns::Name::parse("a.z.w.example."), dns::rrtype::AAAA, s.keys, ctx);
  CHECK(r.kind == ResponseKind::NoData);
  INFO(r.verdict.to_text());
  CHECK(unbound_verdict(s, "a.z.w.example.", dns::rrtype::AAAA) == Security::Insecure);
  CHECK(r.verdict.security == Security::Insecure);
  CHECK(r.verdict.insecure_reason == InsecureReason::OptOut);
  SECTION("the wildcard's NSEC3 does not deny MX, which it lists") {
    const auto b = validate_response(m, dns::Name::parse("a.z.w.example."), dns::rrtype::MX, s.keys, ctx);
    CHECK(b.verdict.is_bogus());
  }
}

TEST_CASE("validator nsec3: unknown hash algorithms and high iteration counts are not usable") {
  ValidationBudget budget;
  ValidationContext ctx{testutil::kRfc5155Now, budget};
  auto s = load("val_nsec3_b1_nameerror.rpl", ctx);
  const auto m = response(s, "a.c.x.w.example.", dns::rrtype::A);
  auto sets = group_rrsets(m.authority);
  std::vector<const SignedRrset*> ptrs;
  for (const auto& set : sets) ptrs.push_back(&set);
  const auto zone = dns::Name::parse("example.");

  const auto usable = nsec3_records(ptrs, zone, ctx.options);
  CHECK(usable.usability == Nsec3Usability::Usable);
  CHECK(usable.records.size() == 3);

  ValidatorOptions strict;
  strict.max_nsec3_iterations = 11;
  CHECK(nsec3_records(ptrs, zone, strict).usability == Nsec3Usability::IterationsTooHigh);

  for (auto& set : sets) {
    for (auto& rdata : set.rdatas) {
      if (set.type == dns::rrtype::NSEC3) rdata[0] = 2;  // hash algorithm 2 is unassigned
    }
  }
  CHECK(nsec3_records(ptrs, zone, ctx.options).usability == Nsec3Usability::UnknownHash);
  CHECK(nsec3_records({}, zone, ctx.options).usability == Nsec3Usability::NoRecords);
}
