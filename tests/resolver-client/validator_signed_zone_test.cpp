// A zone signed at test time with ldns-keygen + ldns-signzone
// (tests/data/resolver/example.zone, ECDSA P-256, NSEC or NSEC3): CNAME
// chains inside and out of the zone, wildcard answers and wildcard no-data,
// empty non-terminals, the CNAME bit in no-data proofs, referrals with and
// without DS, NSEC3 without opt-out (secure), with opt-out, and with an
// iteration count above the RFC 9276 limit (insecure, EDE 27).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "resolver-client/validator.h"
#include "tests/support/temp_file.h"
#include "validator_test_util.h"

using namespace flatns;
using namespace flatns::resolver;

namespace {

constexpr int64_t kNow = 1798761600;  // 2027-01-01, inside -i 20260101 -e 20300101
const dns::Name kZone = dns::Name::parse("example.");

dns::Name N(const char* text) { return dns::Name::parse(text); }

std::string run(const std::string& cmd) {
  const std::string out = cmd + " > cmd.out 2>&1";
  REQUIRE(std::system(out.c_str()) == 0);
  return testutil::read_text("cmd.out");
}

struct SignedZone {
  std::vector<dns::ResourceRecord> records;
  DsSet ds;
  ZoneKeys keys;
};

// Signs a zone of tests/data/resolver with `flags` for ldns-signzone (e.g. "-n -t 0").
const SignedZone& signed_zone(const std::string& flags, const dns::Name& origin = kZone,
                              const std::string& file = "example.zone") {
  static std::map<std::string, SignedZone> cache;
  const std::string key = flags + "|" + file;
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  const std::string tmpl = flatns::testing::make_temp_dir("flatns-validator");
  const auto old = std::filesystem::current_path();
  std::filesystem::current_path(tmpl);
  const std::string o = origin.to_text();
  std::string ksk = run("ldns-keygen -a ECDSAP256SHA256 -k " + o);
  std::string zsk = run("ldns-keygen -a ECDSAP256SHA256 " + o);
  ksk.erase(ksk.find_last_not_of("\n") + 1);
  zsk.erase(zsk.find_last_not_of("\n") + 1);
  run("ldns-signzone " + flags + " -i 20260101 -e 20300101 -o " + o + " -f signed.zone " +
      std::string(FLATNS_TEST_DATA_DIR) + "/resolver/" + file + " " + ksk + " " + zsk);
  SignedZone z;
  z.records = testutil::parse_zone_file("signed.zone", origin);
  std::filesystem::current_path(old);
  std::filesystem::remove_all(tmpl);

  z.ds.zone = origin;
  z.ds.verdict = Verdict::secure(origin);
  for (const auto& rr : testutil::select(z.records, origin, dns::rrtype::DNSKEY)) {
    if ((rr.rdata[1] & 1) == 0) continue;  // the KSK only
    dns::Digest d;
    REQUIRE(dns::ds_digest(origin.wire(), rr.rdata, dns::ds_digest_type::SHA256, d));
    const uint16_t tag = dns::key_tag(rr.rdata);
    std::vector<uint8_t> ds = {static_cast<uint8_t>(tag >> 8), static_cast<uint8_t>(tag), 13, 2};
    ds.insert(ds.end(), d.view().begin(), d.view().end());
    z.ds.ds.push_back(ds);
  }
  REQUIRE(z.ds.ds.size() == 1);
  dns::Message m;
  m.answer = testutil::signed_rrset(z.records, origin, dns::rrtype::DNSKEY);
  ValidationBudget budget;
  ValidationContext ctx{kNow, budget};
  z.keys = validate_dnskey_response(m, z.ds, ctx);
  REQUIRE(z.keys.verdict.is_secure());
  return cache.emplace(key, std::move(z)).first->second;
}

void add(std::vector<dns::ResourceRecord>& to, const std::vector<dns::ResourceRecord>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

// The NSEC (and RRSIG) at `name` or whose span holds it.
std::vector<dns::ResourceRecord> nsec_for(const SignedZone& z, const dns::Name& name) {
  for (const auto& rr : z.records) {
    if (rr.type != dns::rrtype::NSEC) continue;
    const std::string text = dns::rdata_to_text(dns::rrtype::NSEC, rr.rdata);
    const dns::Name next = dns::Name::parse(text.substr(0, text.find(' ')));
    const bool last = !(rr.owner < next);
    if (rr.owner == name || (rr.owner < name && (name < next || last))) {
      return testutil::signed_rrset(z.records, rr.owner, dns::rrtype::NSEC);
    }
  }
  FAIL("no NSEC for " << name.to_text());
  return {};
}

// The NSEC3 (and RRSIG) matching or covering the hash of `name`.
std::vector<dns::ResourceRecord> nsec3_for(const SignedZone& z, const dns::Name& name) {
  const auto param = testutil::select(z.records, kZone, dns::rrtype::NSEC3PARAM);
  REQUIRE(param.size() == 1);
  const auto& p = param[0].rdata;
  const uint16_t iterations = static_cast<uint16_t>(p[2] << 8 | p[3]);
  const std::vector<uint8_t> salt(p.begin() + 5, p.begin() + 5 + p[4]);
  dns::Nsec3Hash h;
  REQUIRE(dns::nsec3_hash(name.wire(), 1, salt, iterations, h));
  std::string want = dns::base32hex_encode(h);
  for (auto& c : want) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<std::string> owners;
  for (const auto& rr : z.records) {
    if (rr.type != dns::rrtype::NSEC3) continue;
    std::string label = rr.owner.to_text();
    owners.push_back(label.substr(0, label.find('.')));
  }
  std::sort(owners.begin(), owners.end());
  std::string pick = owners.back();  // the last one covers hashes below the first
  for (const auto& o : owners) {
    if (o <= want) pick = o;
  }
  return testutil::signed_rrset(z.records, dns::Name::parse(pick + ".example."),
                                dns::rrtype::NSEC3);
}

dns::Message reply(uint16_t rcode = dns::rcode::NOERROR) {
  dns::Message m;
  m.flags = static_cast<uint16_t>(dns::flag::QR | dns::flag::AA | rcode);
  return m;
}

// A wildcard expansion of `wildcard` at `name` (owner rewritten, RRSIG kept).
std::vector<dns::ResourceRecord> expand(const SignedZone& z, const dns::Name& wildcard,
                                        const dns::Name& name, uint16_t type) {
  auto rrs = testutil::signed_rrset(z.records, wildcard, type);
  for (auto& rr : rrs) rr.owner = name;
  return rrs;
}

ValidatedResponse check(const SignedZone& z, const dns::Message& m, const dns::Name& qname,
                        uint16_t qtype) {
  ValidationBudget budget;
  ValidationContext ctx{kNow, budget};
  return validate_response(m, qname, qtype, z.keys, ctx);
}

}  // namespace

TEST_CASE("validator signed zone: positive answers and CNAME chains") {
  const auto& z = signed_zone("");
  SECTION("a CNAME to a name in the zone, then its A") {
    auto m = reply();
    add(m.answer, testutil::signed_rrset(z.records, N("www.example."), dns::rrtype::CNAME));
    add(m.answer, testutil::signed_rrset(z.records, N("target.example."), dns::rrtype::A));
    const auto r = check(z, m, N("www.example."), dns::rrtype::A);
    CHECK(r.kind == ResponseKind::Answer);
    INFO(r.verdict.to_text());
    CHECK(r.verdict.is_secure());
    CHECK(r.ttl == 3600);
    CHECK_FALSE(r.wildcard_answer);

    SECTION("an unsigned A at the end of the chain is not trusted: asked on its own") {
      // It may lie below an unsigned cut the zone's servers also serve; the
      // iterator resolves target.example. separately (where, unsigned in a
      // signed zone, it is bogus: chain_of_trust_test.cpp).
      auto t = m;
      t.answer.pop_back();
      const auto r2 = check(z, t, N("www.example."), dns::rrtype::A);
      CHECK(r2.kind == ResponseKind::CnameExit);
      CHECK(r2.next_name == N("target.example."));
      CHECK(r2.verdict.is_secure());
    }
    SECTION("an unsigned A at the name asked is bogus") {
      auto t = reply();
      t.answer = testutil::select(z.records, N("target.example."), dns::rrtype::A);
      CHECK(check(z, t, N("target.example."), dns::rrtype::A).verdict.reason ==
            BogusReason::MissingRrsig);
    }
    SECTION("qtype CNAME is answered by the CNAME itself") {
      const auto c = check(z, m, N("www.example."), dns::rrtype::CNAME);
      CHECK(c.kind == ResponseKind::Answer);
      CHECK(c.verdict.is_secure());
    }
  }
  SECTION("two CNAMEs in the zone") {
    auto m = reply();
    add(m.answer, testutil::signed_rrset(z.records, N("chain.example."), dns::rrtype::CNAME));
    add(m.answer, testutil::signed_rrset(z.records, N("www.example."), dns::rrtype::CNAME));
    add(m.answer, testutil::signed_rrset(z.records, N("target.example."), dns::rrtype::A));
    const auto r = check(z, m, N("chain.example."), dns::rrtype::A);
    CHECK(r.kind == ResponseKind::Answer);
    CHECK(r.verdict.is_secure());
  }
  SECTION("a CNAME leaving the zone") {
    auto m = reply();
    add(m.answer, testutil::signed_rrset(z.records, N("out.example."), dns::rrtype::CNAME));
    const auto r = check(z, m, N("out.example."), dns::rrtype::A);
    CHECK(r.kind == ResponseKind::CnameExit);
    CHECK(r.next_name == N("www.other.test."));
    CHECK(r.verdict.is_secure());
  }
  SECTION("a DNAME: the validated DNAME replaces the unsigned synthesised CNAME") {
    auto m = reply();
    add(m.answer, testutil::signed_rrset(z.records, N("alias.example."), dns::rrtype::DNAME));
    dns::ResourceRecord cname;
    cname.owner = N("www.alias.example.");
    cname.type = dns::rrtype::CNAME;
    cname.rclass = dns::rrclass::IN;
    cname.ttl = 3600;
    const auto target = N("www.example.net.");
    cname.rdata.assign(target.wire().begin(), target.wire().end());
    m.answer.push_back(cname);
    const auto r = check(z, m, N("www.alias.example."), dns::rrtype::A);
    CHECK(r.kind == ResponseKind::CnameExit);
    CHECK(r.next_name == N("www.example.net."));
    INFO(r.verdict.to_text());
    CHECK(r.verdict.is_secure());
    auto t = m;
    std::erase_if(t.answer, [](const dns::ResourceRecord& rr) { return rr.type == dns::rrtype::RRSIG; });
    CHECK(check(z, t, N("www.alias.example."), dns::rrtype::A).verdict.reason ==
          BogusReason::MissingRrsig);
  }
  SECTION("a CNAME loop ends as unusable after 12 links") {
    auto m = reply();
    add(m.answer, testutil::signed_rrset(z.records, N("loop1.example."), dns::rrtype::CNAME));
    add(m.answer, testutil::signed_rrset(z.records, N("loop2.example."), dns::rrtype::CNAME));
    const auto r = check(z, m, N("loop1.example."), dns::rrtype::A);
    CHECK(r.kind == ResponseKind::Unusable);
    CHECK(r.verdict.security == Security::Indeterminate);
    CHECK(r.verdict.detail.find("longer than 12") != std::string::npos);
  }
  SECTION("an insecure zone classifies without validating") {
    auto m = reply();
    add(m.answer, testutil::select(z.records, N("target.example."), dns::rrtype::A));
    ValidationBudget budget;
    ValidationContext ctx{kNow, budget};
    const auto r = validate_response(m, N("target.example."), dns::rrtype::A,
                                     insecure_keys(kZone, InsecureReason::UnsignedDelegation), ctx);
    CHECK(r.kind == ResponseKind::Answer);
    CHECK(r.verdict.is_insecure());
    CHECK(budget.verifications == 0);
  }
}

TEST_CASE("validator signed zone: NSEC wildcards, no-data and name errors") {
  const auto& z = signed_zone("");
  SECTION("wildcard answer") {
    auto m = reply();
    add(m.answer, expand(z, N("*.wild.example."), N("x.wild.example."), dns::rrtype::A));
    add(m.authority, nsec_for(z, N("x.wild.example.")));
    const auto r = check(z, m, N("x.wild.example."), dns::rrtype::A);
    CHECK(r.kind == ResponseKind::Answer);
    CHECK(r.wildcard_answer);
    INFO(r.verdict.to_text());
    CHECK(r.verdict.is_secure());

    auto t = m;
    t.authority.clear();
    CHECK(check(z, t, N("x.wild.example."), dns::rrtype::A).verdict.reason ==
          BogusReason::MissingDenial);
    auto u = m;
    u.authority = nsec_for(z, N("ns.example."));
    CHECK(check(z, u, N("x.wild.example."), dns::rrtype::A).verdict.reason ==
          BogusReason::BadDenial);
  }
  SECTION("wildcard no-data") {
    auto m = reply();
    add(m.authority, testutil::signed_rrset(z.records, kZone, dns::rrtype::SOA));
    add(m.authority, nsec_for(z, N("x.wild.example.")));
    add(m.authority, nsec_for(z, N("*.wild.example.")));
    const auto r = check(z, m, N("x.wild.example."), dns::rrtype::AAAA);
    CHECK(r.kind == ResponseKind::NoData);
    INFO(r.verdict.to_text());
    CHECK(r.verdict.is_secure());
    CHECK(r.ttl == 300);
    CHECK(check(z, m, N("x.wild.example."), dns::rrtype::TXT).verdict.is_bogus());
  }
  SECTION("no-data at an empty non-terminal") {
    auto m = reply();
    add(m.authority, testutil::signed_rrset(z.records, kZone, dns::rrtype::SOA));
    add(m.authority, nsec_for(z, N("b.ent.example.")));
    const auto r = check(z, m, N("b.ent.example."), dns::rrtype::A);
    CHECK(r.kind == ResponseKind::NoData);
    CHECK(r.verdict.is_secure());
  }
  SECTION("no-data needs the CNAME bit clear") {
    auto m = reply();
    add(m.authority, testutil::signed_rrset(z.records, kZone, dns::rrtype::SOA));
    add(m.authority, nsec_for(z, N("www.example.")));
    const auto r = check(z, m, N("www.example."), dns::rrtype::TXT);
    CHECK(r.verdict.reason == BogusReason::BadDenial);
    CHECK(r.verdict.detail.find("or CNAME") != std::string::npos);
    auto t = reply();
    add(t.authority, testutil::signed_rrset(z.records, kZone, dns::rrtype::SOA));
    add(t.authority, nsec_for(z, N("target.example.")));
    CHECK(check(z, t, N("target.example."), dns::rrtype::TXT).verdict.is_secure());
  }
  SECTION("name error") {
    auto m = reply(dns::rcode::NXDOMAIN);
    add(m.authority, testutil::signed_rrset(z.records, kZone, dns::rrtype::SOA));
    add(m.authority, nsec_for(z, N("nothere.example.")));
    add(m.authority, nsec_for(z, N("*.example.")));
    const auto r = check(z, m, N("nothere.example."), dns::rrtype::A);
    CHECK(r.kind == ResponseKind::NxDomain);
    INFO(r.verdict.to_text());
    CHECK(r.verdict.is_secure());
    CHECK(r.ttl == 300);
    // The same proof for a name under the wildcard is wrong: *.wild exists.
    CHECK(check(z, m, N("a.wild.example."), dns::rrtype::A).verdict.is_bogus());
  }
  SECTION("an empty non-terminal is not a name error") {
    auto m = reply(dns::rcode::NXDOMAIN);
    add(m.authority, testutil::signed_rrset(z.records, kZone, dns::rrtype::SOA));
    add(m.authority, nsec_for(z, N("b.ent.example.")));
    add(m.authority, nsec_for(z, N("*.example.")));
    // The signed NSEC shows the name exists (its next name lies below it):
    // the server's NXDOMAIN is read as the NODATA its proof makes it, as
    // Unbound does (val_nodata_entnx), rather than bogus.
    const auto r = check(z, m, N("b.ent.example."), dns::rrtype::A);
    INFO(r.verdict.to_text());
    CHECK(r.kind == ResponseKind::NoData);
    CHECK(r.verdict.is_secure());
  }
  SECTION("a CNAME chain ending in a name error") {
    auto m = reply(dns::rcode::NXDOMAIN);
    add(m.answer, testutil::signed_rrset(z.records, N("chain.example."), dns::rrtype::CNAME));
    add(m.authority, testutil::signed_rrset(z.records, kZone, dns::rrtype::SOA));
    add(m.authority, nsec_for(z, N("www.example.")));
    add(m.authority, nsec_for(z, N("*.example.")));
    // chain -> www exists, so this NXDOMAIN is a lie.
    CHECK(check(z, m, N("chain.example."), dns::rrtype::A).verdict.is_bogus());
  }
  SECTION("referrals") {
    auto s = reply();
    s.flags = dns::flag::QR;
    add(s.authority, testutil::select(z.records, N("signed.example."), dns::rrtype::NS));
    add(s.authority, testutil::signed_rrset(z.records, N("signed.example."), dns::rrtype::DS));
    const auto r = check(z, s, N("www.signed.example."), dns::rrtype::A);
    CHECK(r.kind == ResponseKind::Referral);
    CHECK(r.delegation.verdict.is_secure());
    CHECK(r.delegation.ds.size() == 1);

    auto u = reply();
    u.flags = dns::flag::QR;
    add(u.authority, testutil::select(z.records, N("unsigned.example."), dns::rrtype::NS));
    add(u.authority, nsec_for(z, N("unsigned.example.")));
    const auto i = check(z, u, N("www.unsigned.example."), dns::rrtype::A);
    CHECK(i.kind == ResponseKind::Referral);
    CHECK(i.verdict.is_secure());
    CHECK(i.delegation.verdict.insecure_reason == InsecureReason::UnsignedDelegation);
  }
}

TEST_CASE("validator signed zone: NSEC3 without opt-out is secure") {
  const auto& z = signed_zone("-n -t 0");
  auto m = reply(dns::rcode::NXDOMAIN);
  add(m.authority, testutil::signed_rrset(z.records, kZone, dns::rrtype::SOA));
  add(m.authority, nsec3_for(z, kZone));
  add(m.authority, nsec3_for(z, N("nothere.example.")));
  add(m.authority, nsec3_for(z, N("*.example.")));
  const auto r = check(z, m, N("nothere.example."), dns::rrtype::A);
  CHECK(r.kind == ResponseKind::NxDomain);
  INFO(r.verdict.to_text());
  CHECK(r.verdict.is_secure());

  auto w = reply();
  add(w.answer, expand(z, N("*.wild.example."), N("x.wild.example."), dns::rrtype::A));
  add(w.authority, nsec3_for(z, N("x.wild.example.")));
  const auto wr = check(z, w, N("x.wild.example."), dns::rrtype::A);
  CHECK(wr.wildcard_answer);
  CHECK(wr.verdict.is_secure());

  auto u = reply();
  u.flags = dns::flag::QR;
  add(u.authority, testutil::select(z.records, N("unsigned.example."), dns::rrtype::NS));
  add(u.authority, nsec3_for(z, N("unsigned.example.")));
  const auto ur = check(z, u, N("www.unsigned.example."), dns::rrtype::A);
  CHECK(ur.verdict.is_secure());
  CHECK(ur.delegation.verdict.insecure_reason == InsecureReason::UnsignedDelegation);
}

TEST_CASE("validator signed zone: NSEC3 opt-out makes an unsigned delegation insecure") {
  const auto& z = signed_zone("-n -t 0 -p");
  auto u = reply();
  u.flags = dns::flag::QR;
  add(u.authority, testutil::select(z.records, N("unsigned.example."), dns::rrtype::NS));
  add(u.authority, nsec3_for(z, kZone));
  add(u.authority, nsec3_for(z, N("unsigned.example.")));
  const auto r = check(z, u, N("www.unsigned.example."), dns::rrtype::A);
  CHECK(r.kind == ResponseKind::Referral);
  INFO(r.delegation.verdict.to_text());
  CHECK(r.verdict.is_secure());
  CHECK(r.delegation.verdict.is_insecure());
}

TEST_CASE("validator signed zone: NSEC3 iterations above the limit are insecure (EDE 27)") {
  const auto& z = signed_zone("-n -t 200 -s aabb");
  auto m = reply(dns::rcode::NXDOMAIN);
  add(m.authority, testutil::signed_rrset(z.records, kZone, dns::rrtype::SOA));
  add(m.authority, nsec3_for(z, kZone));
  add(m.authority, nsec3_for(z, N("nothere.example.")));
  add(m.authority, nsec3_for(z, N("*.example.")));
  const auto r = check(z, m, N("nothere.example."), dns::rrtype::A);
  CHECK(r.kind == ResponseKind::NxDomain);
  CHECK(r.verdict.insecure_reason == InsecureReason::Nsec3IterationsTooHigh);
  CHECK(r.verdict.ede_code() == 27);
  // A limit of 200 lets the same answer validate.
  ValidationBudget budget;
  ValidationContext ctx{kNow, budget};
  ctx.options.max_nsec3_iterations = 200;
  CHECK(validate_response(m, N("nothere.example."), dns::rrtype::A, z.keys, ctx).verdict.is_secure());
}

TEST_CASE("validator signed zone: data signed by a child zone asks for the child's keys") {
  const auto& parent = signed_zone("");
  const auto sub = N("sub.example.");
  const auto& child = signed_zone("", sub, "sub.example.zone");
  auto m = reply();
  add(m.answer, testutil::signed_rrset(child.records, N("www.sub.example."), dns::rrtype::A));
  const auto r = check(parent, m, N("www.sub.example."), dns::rrtype::A);
  CHECK(r.verdict.security == Security::Indeterminate);
  REQUIRE(r.needs_keys_for.has_value());
  CHECK(*r.needs_keys_for == sub);
  const auto again = check(child, m, N("www.sub.example."), dns::rrtype::A);
  CHECK(again.verdict.is_secure());
  CHECK_FALSE(again.needs_keys_for.has_value());
}
