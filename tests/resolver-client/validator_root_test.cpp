// The signed IANA root zone (serial 2023042001, tests/data/corpus/root.zone)
// with a fixed clock of 2023-04-21: the chain from the built-in anchor to the
// root DNSKEY, TLD referrals with and without DS, NSEC denials, TTL clamping
// and the KeyTrap limits.
#include <catch2/catch.hpp>

#include <algorithm>

#include "dns/dnssec.h"
#include "dns/message.h"
#include "dns/rdata.h"
#include "resolver-client/validator.h"
#include "validator_test_util.h"

using namespace flatns;
using namespace flatns::resolver;

namespace {

const std::vector<dns::ResourceRecord>& root_zone() {
  static const auto zone = testutil::parse_zone_file(std::string(FLATNS_CORPUS_DIR) + "/root.zone",
                                                     dns::Name::root());
  return zone;
}

void add(std::vector<dns::ResourceRecord>& to, const std::vector<dns::ResourceRecord>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

dns::Message dnskey_response() {
  dns::Message m;
  m.flags = dns::flag::QR | dns::flag::AA;
  m.qname = dns::Name::root();
  m.qtype = dns::rrtype::DNSKEY;
  m.has_question = true;
  m.answer = testutil::signed_rrset(root_zone(), dns::Name::root(), dns::rrtype::DNSKEY);
  return m;
}

ZoneKeys root_keys(ValidationContext& ctx) {
  const auto anchors = TrustAnchors::builtin();
  return validate_dnskey_response(dnskey_response(), *anchors.find(dns::Name::root()), ctx);
}

// The NSEC (with its RRSIG) whose span holds `name`, found by reading each
// NSEC's next name from presentation form.
std::vector<dns::ResourceRecord> nsec_for(const dns::Name& name) {
  for (const auto& rr : root_zone()) {
    if (rr.type != dns::rrtype::NSEC) continue;
    const std::string text = dns::rdata_to_text(dns::rrtype::NSEC, rr.rdata);
    const dns::Name next = dns::Name::parse(text.substr(0, text.find(' ')));
    const bool after = rr.owner < name;
    const bool before = name < next || next.is_root();
    if (after && before) return testutil::signed_rrset(root_zone(), rr.owner, dns::rrtype::NSEC);
  }
  FAIL("no NSEC span holds " << name.to_text());
  return {};
}

dns::Message negative(const dns::Name& qname, uint16_t qtype, uint16_t rcode) {
  dns::Message m;
  m.flags = static_cast<uint16_t>(dns::flag::QR | dns::flag::AA | rcode);
  m.qname = qname;
  m.qtype = qtype;
  m.has_question = true;
  m.authority = testutil::signed_rrset(root_zone(), dns::Name::root(), dns::rrtype::SOA);
  return m;
}

dns::Message referral(const dns::Name& tld) {
  dns::Message m;
  m.flags = dns::flag::QR;
  m.qname = tld.prepend("www");
  m.qtype = dns::rrtype::A;
  m.has_question = true;
  m.authority = testutil::select(root_zone(), tld, dns::rrtype::NS);
  return m;
}

}  // namespace

TEST_CASE("validator root: the root DNSKEY RRset validates from the built-in anchor") {
  ValidationBudget budget;
  ValidationContext ctx{testutil::kRootZoneNow, budget};
  const auto keys = root_keys(ctx);
  INFO(keys.verdict.to_text());
  REQUIRE(keys.verdict.is_secure());
  CHECK(keys.dnskeys.size() == 2);
  CHECK(keys.ttl == 172800);  // original TTL; expiry 2023-05-02 is further away
  CHECK(budget.verifications == 1);

  SECTION("TTL is clamped to the time left before the RRSIG expires") {
    ValidationBudget b2;
    ValidationContext late{1682982000 /* 2023-05-01T23:00:00Z */, b2};
    const auto k = root_keys(late);
    REQUIRE(k.verdict.is_secure());
    CHECK(k.ttl == 3600);
  }
  SECTION("after expiry the keys are bogus with EDE 7") {
    ValidationBudget b2;
    ValidationContext late{1683072000 /* 2023-05-03 */, b2};
    const auto k = root_keys(late);
    CHECK(k.verdict.reason == BogusReason::SignatureExpired);
    CHECK(k.verdict.ede_code() == 7);
    CHECK(k.verdict.zone.is_root());
  }
  SECTION("an anchor for another key is a DS/DNSKEY mismatch (EDE 9)") {
    TrustAnchors other;
    std::string error;
    REQUIRE(other.add_text(". IN DS 20326 8 2 "
                           "0000000000000000000000000000000000000000000000000000000000000000",
                           "test", error));
    const auto k = validate_dnskey_response(dnskey_response(), *other.find(dns::Name::root()), ctx);
    CHECK(k.verdict.reason == BogusReason::DsDnskeyMismatch);
    CHECK(k.verdict.ede_code() == 9);
  }
  SECTION("only unsupported digests or algorithms make the zone insecure, not bogus") {
    TrustAnchors gost, alg;
    std::string error;
    REQUIRE(gost.add_text(". IN DS 20326 8 3 "
                          "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
                          "test", error));
    REQUIRE(alg.add_text(". IN DS 20326 12 2 "
                         "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
                         "test", error));
    const auto g = validate_dnskey_response(dnskey_response(), *gost.find(dns::Name::root()), ctx);
    CHECK(g.verdict.insecure_reason == InsecureReason::UnsupportedDigest);
    CHECK(g.verdict.ede_code() == 2);
    const auto a = validate_dnskey_response(dnskey_response(), *alg.find(dns::Name::root()), ctx);
    CHECK(a.verdict.insecure_reason == InsecureReason::UnsupportedAlgorithm);
    CHECK(a.verdict.ede_code() == 1);
  }
  SECTION("a DNSKEY response without DNSKEYs is bogus (EDE 9)") {
    auto m = dnskey_response();
    m.answer.clear();
    const auto k =
        validate_dnskey_response(m, *TrustAnchors::builtin().find(dns::Name::root()), ctx);
    CHECK(k.verdict.reason == BogusReason::NoDnskey);
  }
}

TEST_CASE("validator root: referrals to TLDs") {
  ValidationBudget budget;
  ValidationContext ctx{testutil::kRootZoneNow, budget};
  const auto keys = root_keys(ctx);
  REQUIRE(keys.verdict.is_secure());

  SECTION("a signed TLD's DS RRset validates") {
    const auto com = dns::Name::parse("com.");
    auto m = referral(com);
    add(m.authority, testutil::signed_rrset(root_zone(), com, dns::rrtype::DS));
    const auto r = validate_response(m, m.qname, dns::rrtype::A, keys, ctx);
    CHECK(r.kind == ResponseKind::Referral);
    CHECK(r.next_name == com);
    INFO(r.verdict.to_text());
    CHECK(r.verdict.is_secure());
    CHECK(r.delegation.verdict.is_secure());
    CHECK(r.delegation.ds.size() == 1);
    CHECK(r.delegation.ttl == 86400);
  }
  SECTION("an unsigned TLD is an insecure delegation proven by its NSEC") {
    const auto ae = dns::Name::parse("ae.");
    auto m = referral(ae);
    add(m.authority, testutil::signed_rrset(root_zone(), ae, dns::rrtype::NSEC));
    const auto r = validate_response(m, m.qname, dns::rrtype::A, keys, ctx);
    CHECK(r.kind == ResponseKind::Referral);
    INFO(r.verdict.to_text());
    CHECK(r.verdict.is_secure());
    CHECK(r.delegation.verdict.insecure_reason == InsecureReason::UnsignedDelegation);
    CHECK(r.delegation.zone == ae);
  }
  SECTION("a referral without DS and without NSEC is bogus (EDE 12)") {
    const auto r = validate_response(referral(dns::Name::parse("ae.")),
                                     dns::Name::parse("www.ae."), dns::rrtype::A, keys, ctx);
    CHECK(r.delegation.verdict.reason == BogusReason::MissingDenial);
    CHECK(r.verdict.ede_code() == 12);
  }
  SECTION("a signed TLD's NSEC (DS bit set) does not prove an unsigned delegation") {
    const auto com = dns::Name::parse("com.");
    auto m = referral(com);
    add(m.authority, testutil::signed_rrset(root_zone(), com, dns::rrtype::NSEC));
    const auto r = validate_response(m, m.qname, dns::rrtype::A, keys, ctx);
    CHECK(r.delegation.verdict.reason == BogusReason::BadDenial);
  }
  SECTION("a DS RRset with a flipped signature is bogus") {
    const auto com = dns::Name::parse("com.");
    auto m = referral(com);
    auto ds = testutil::signed_rrset(root_zone(), com, dns::rrtype::DS);
    ds.back().rdata[ds.back().rdata.size() - 10] ^= 0x40;
    add(m.authority, ds);
    const auto r = validate_response(m, m.qname, dns::rrtype::A, keys, ctx);
    CHECK(r.delegation.verdict.reason == BogusReason::CryptoFailure);
    CHECK(r.verdict.is_bogus());
  }
}

TEST_CASE("validator root: NSEC denials") {
  ValidationBudget budget;
  ValidationContext ctx{testutil::kRootZoneNow, budget};
  const auto keys = root_keys(ctx);
  REQUIRE(keys.verdict.is_secure());
  const auto qname = dns::Name::parse("www.flatns-no-such-tld.");

  SECTION("a non-existent TLD") {
    auto m = negative(qname, dns::rrtype::A, dns::rcode::NXDOMAIN);
    add(m.authority, nsec_for(dns::Name::parse("flatns-no-such-tld.")));
    add(m.authority, nsec_for(dns::Name::parse("*.")));
    const auto r = validate_response(m, qname, dns::rrtype::A, keys, ctx);
    CHECK(r.kind == ResponseKind::NxDomain);
    INFO(r.verdict.to_text());
    CHECK(r.verdict.is_secure());
    CHECK(r.ttl == 86400);

    SECTION("without the wildcard's NSEC it is bogus") {
      auto t = negative(qname, dns::rrtype::A, dns::rcode::NXDOMAIN);
      add(t.authority, nsec_for(dns::Name::parse("flatns-no-such-tld.")));
      const auto b = validate_response(t, qname, dns::rrtype::A, keys, ctx);
      CHECK(b.verdict.reason == BogusReason::BadDenial);
      CHECK(b.verdict.detail.find("wildcard *.") != std::string::npos);
    }
    SECTION("the proof does not deny an existing TLD") {
      const auto b = validate_response(m, dns::Name::parse("com."), dns::rrtype::A, keys, ctx);
      CHECK(b.verdict.is_bogus());
    }
    SECTION("a budget of two verifications is not enough (KeyTrap limit)") {
      ValidationBudget small;
      small.max_verifications = 2;
      ValidationContext c2{testutil::kRootZoneNow, small};
      const auto b = validate_response(m, qname, dns::rrtype::A, keys, c2);
      CHECK(b.verdict.reason == BogusReason::TooMuchWork);
      CHECK(b.verdict.ede_code() == 6);
      CHECK(small.verifications == 2);
    }
  }
  SECTION("no data at the apex") {
    auto m = negative(dns::Name::root(), dns::rrtype::TXT, dns::rcode::NOERROR);
    add(m.authority, testutil::signed_rrset(root_zone(), dns::Name::root(), dns::rrtype::NSEC));
    const auto r = validate_response(m, dns::Name::root(), dns::rrtype::TXT, keys, ctx);
    CHECK(r.kind == ResponseKind::NoData);
    INFO(r.verdict.to_text());
    CHECK(r.verdict.is_secure());
    const auto b = validate_response(m, dns::Name::root(), dns::rrtype::NS, keys, ctx);
    CHECK(b.verdict.reason == BogusReason::BadDenial);
  }
  SECTION("DS query for an unsigned TLD: NODATA proves the delegation insecure") {
    const auto ae = dns::Name::parse("ae.");
    auto m = negative(ae, dns::rrtype::DS, dns::rcode::NOERROR);
    add(m.authority, testutil::signed_rrset(root_zone(), ae, dns::rrtype::NSEC));
    const auto r = validate_response(m, ae, dns::rrtype::DS, keys, ctx);
    CHECK(r.kind == ResponseKind::NoData);
    CHECK(r.verdict.is_secure());
    CHECK(r.delegation.verdict.insecure_reason == InsecureReason::UnsignedDelegation);
  }
  SECTION("an answer without RRSIG is bogus with EDE 10") {
    dns::Message m;
    m.flags = dns::flag::QR | dns::flag::AA;
    m.answer = testutil::select(root_zone(), dns::Name::root(), dns::rrtype::NS);
    const auto r = validate_response(m, dns::Name::root(), dns::rrtype::NS, keys, ctx);
    CHECK(r.kind == ResponseKind::Answer);
    CHECK(r.verdict.reason == BogusReason::MissingRrsig);
    CHECK(r.verdict.ede_code() == 10);
  }
}

TEST_CASE("validator root: KeyTrap, keys tried per key tag are bounded") {
  // Colliding keys made at test time from the real ZSK: adding 1 to one
  // even-offset octet and subtracting 1 from another keeps the key tag
  // (RFC 4034 Appendix B sums 16-bit words) and breaks the key.
  ValidationBudget budget;
  ValidationContext ctx{testutil::kRootZoneNow, budget};
  const auto keys = root_keys(ctx);
  REQUIRE(keys.verdict.is_secure());
  std::vector<uint8_t> zsk;
  for (const auto& k : keys.dnskeys) {
    if ((k[1] & 1) == 0) zsk = k;
  }
  REQUIRE(!zsk.empty());
  ZoneKeys trap = keys;
  trap.dnskeys.clear();
  for (int i = 0; i < 10; ++i) {
    auto fake = zsk;
    fake[20 + 2 * i] += 1;
    fake[60 + 2 * i] -= 1;
    REQUIRE(dns::key_tag(fake) == dns::key_tag(zsk));
    trap.dnskeys.push_back(fake);
  }
  trap.dnskeys.push_back(zsk);

  dns::Message m;
  m.flags = dns::flag::QR | dns::flag::AA;
  m.answer = testutil::signed_rrset(root_zone(), dns::Name::root(), dns::rrtype::NS);
  ValidationBudget b2;
  ValidationContext c2{testutil::kRootZoneNow, b2};
  const auto r = validate_response(m, dns::Name::root(), dns::rrtype::NS, trap, c2);
  CHECK(r.verdict.is_bogus());
  CHECK(b2.verifications == b2.max_keys_per_tag);

  // With the real key among the first four it validates.
  std::rotate(trap.dnskeys.begin(), trap.dnskeys.end() - 1, trap.dnskeys.end());
  ValidationBudget b3;
  ValidationContext c3{testutil::kRootZoneNow, b3};
  const auto ok = validate_response(m, dns::Name::root(), dns::rrtype::NS, trap, c3);
  CHECK(ok.verdict.is_secure());
  CHECK(ok.ttl == 518400);
}
