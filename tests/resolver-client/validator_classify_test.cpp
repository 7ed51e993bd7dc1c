// classify_response() on its own (val_classify.h): the class of a response is
// decided from its shape alone, before any signature is checked, as
// Unbound's val_classify_response() does. Unsigned messages are enough here;
// validator_signed_zone_test.cpp checks the per-class validation.
#include <catch2/catch.hpp>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "resolver-client/val_classify.h"
#include "validator_test_util.h"

using namespace flatns;
using namespace flatns::resolver;

namespace {

const dns::Name kZone = dns::Name::parse("example.");

dns::Name N(const char* text) { return dns::Name::parse(text); }

std::vector<dns::ResourceRecord> records(const std::string& text) {
  return testutil::parse_zone_text("$TTL 300\n" + text, kZone);
}

dns::Message reply(const std::string& answer, const std::string& authority = "",
                   uint16_t rcode = dns::rcode::NOERROR, bool aa = true) {
  dns::Message m;
  m.flags = static_cast<uint16_t>(dns::flag::QR | (aa ? dns::flag::AA : 0) | rcode);
  m.answer = records(answer);
  m.authority = records(authority);
  return m;
}

ZoneKeys insecure() {
  return insecure_keys(kZone, InsecureReason::NoTrustAnchor, "classification test");
}

ZoneKeys secure() {
  ZoneKeys k;
  k.zone = kZone;
  k.verdict = Verdict::secure(kZone);
  return k;
}

struct Classified {
  dns::Message msg;
  ResponseSections sections;
  Classification c;
  Classified(dns::Message m, const dns::Name& qname, uint16_t qtype, const ZoneKeys& keys)
      : msg(std::move(m)), sections(msg), c(classify_response(msg, sections, qname, qtype, keys)) {}
};

const char* kSoa = "example. SOA ns.example. host.example. 1 3600 600 86400 300\n";

}  // namespace

TEST_CASE("classify: the qtype RRset at the query name is positive") {
  Classified r(reply("www.example. A 192.0.2.1\n"), N("www.example."), dns::rrtype::A, insecure());
  CHECK(r.c.cls == ResponseClass::Positive);
  REQUIRE(r.c.answer != nullptr);
  CHECK(r.c.answer->owner == N("www.example."));
  CHECK(r.c.links.empty());
}

TEST_CASE("classify: CNAME and DNAME chains inside the zone, and out of it") {
  SECTION("CNAME to an answer in the zone") {
    Classified r(reply("a.example. CNAME b.example.\nb.example. A 192.0.2.2\n"), N("a.example."),
                 dns::rrtype::A, insecure());
    CHECK(r.c.cls == ResponseClass::Cname);
    CHECK_FALSE(r.c.exits);
    REQUIRE(r.c.links.size() == 1);
    CHECK(r.c.links[0].type == ChainLink::Type::Cname);
    CHECK(r.c.name == N("b.example."));
    REQUIRE(r.c.answer != nullptr);
  }
  SECTION("CNAME leaving the zone: resolved from its target on") {
    Classified r(reply("a.example. CNAME x.other.\n"), N("a.example."), dns::rrtype::A, insecure());
    CHECK(r.c.cls == ResponseClass::Cname);
    CHECK(r.c.exits);
    CHECK(r.c.name == N("x.other."));
    CHECK(r.c.answer == nullptr);
  }
  SECTION("DNAME substitution, the synthesised CNAME ignored") {
    Classified r(reply("d.example. DNAME t.example.\nx.d.example. CNAME x.t.example.\n"
                       "x.t.example. A 192.0.2.3\n"),
                 N("x.d.example."), dns::rrtype::A, insecure());
    CHECK(r.c.cls == ResponseClass::Cname);
    REQUIRE(r.c.links.size() == 1);
    CHECK(r.c.links[0].type == ChainLink::Type::Dname);
    CHECK(r.c.name == N("x.t.example."));
  }
  SECTION("with secure keys, unsigned data after a link lies below a cut") {
    const auto msg = reply("a.example. CNAME b.sub.example.\nb.sub.example. A 192.0.2.4\n");
    Classified sec(msg, N("a.example."), dns::rrtype::A, secure());
    CHECK(sec.c.cls == ResponseClass::Cname);
    CHECK(sec.c.exits);
    CHECK(sec.c.name == N("b.sub.example."));
    Classified ins(msg, N("a.example."), dns::rrtype::A, insecure());
    CHECK_FALSE(ins.c.exits);
    CHECK(ins.c.answer != nullptr);
  }
}

TEST_CASE("classify: negative answers at the end of the chain") {
  SECTION("NXDOMAIN") {
    Classified r(reply("", kSoa, dns::rcode::NXDOMAIN), N("gone.example."), dns::rrtype::A,
                 insecure());
    CHECK(r.c.cls == ResponseClass::NameError);
    CHECK(r.c.name == N("gone.example."));
  }
  SECTION("NXDOMAIN after a CNAME: the target is the name denied") {
    Classified r(reply("a.example. CNAME gone.example.\n", kSoa, dns::rcode::NXDOMAIN),
                 N("a.example."), dns::rrtype::A, insecure());
    CHECK(r.c.cls == ResponseClass::NameError);
    CHECK(r.c.links.size() == 1);
    CHECK(r.c.name == N("gone.example."));
  }
  SECTION("NODATA with the zone's SOA") {
    Classified r(reply("", kSoa), N("www.example."), dns::rrtype::AAAA, insecure());
    CHECK(r.c.cls == ResponseClass::NoData);
  }
}

TEST_CASE("classify: a delegation below the zone is a referral") {
  Classified r(reply("", "child.example. NS ns.child.example.\n", dns::rcode::NOERROR, false),
               N("www.child.example."), dns::rrtype::A, insecure());
  CHECK(r.c.cls == ResponseClass::Referral);
  REQUIRE(r.c.referral != nullptr);
  CHECK(r.c.referral->owner == N("child.example."));
  SECTION("but not for qtype DS, which the parent answers") {
    Classified ds(reply("", "child.example. NS ns.child.example.\n", dns::rcode::NOERROR, true),
                  N("child.example."), dns::rrtype::DS, insecure());
    CHECK(ds.c.cls == ResponseClass::NoData);
  }
}

TEST_CASE("classify: qtype ANY takes every RRset at the query name") {
  Classified r(reply("www.example. A 192.0.2.1\nwww.example. TXT \"t\"\n"), N("www.example."),
               dns::rrtype::ANY, insecure());
  CHECK(r.c.cls == ResponseClass::Any);
}

TEST_CASE("classify: responses that answer nothing say why") {
  SECTION("an rcode other than NOERROR or NXDOMAIN") {
    Classified r(reply("", "", dns::rcode::SERVFAIL), N("www.example."), dns::rrtype::A,
                 insecure());
    CHECK(r.c.cls == ResponseClass::Unusable);
    CHECK(r.c.unusable == UnusableShape::Rcode);
  }
  SECTION("neither answer, referral nor SOA, without AA") {
    Classified r(reply("", "", dns::rcode::NOERROR, false), N("www.example."), dns::rrtype::A,
                 insecure());
    CHECK(r.c.unusable == UnusableShape::NoAnswerNoSoa);
  }
  SECTION("a CNAME with two targets, after the links before it") {
    Classified r(reply("a.example. CNAME b.example.\nb.example. CNAME c.example.\n"
                       "b.example. CNAME d.example.\n"),
                 N("a.example."), dns::rrtype::A, insecure());
    CHECK(r.c.unusable == UnusableShape::MalformedCname);
    CHECK(r.c.links.size() == 2);
    CHECK(r.c.name == N("b.example."));
  }
  SECTION("a CNAME chain longer than the validator follows") {
    std::string chain;
    for (int i = 0; i <= kMaxValidatedCnameLinks + 1; ++i) {
      chain += "c" + std::to_string(i) + ".example. CNAME c" + std::to_string(i + 1) + ".example.\n";
    }
    Classified r(reply(chain), N("c0.example."), dns::rrtype::A, insecure());
    CHECK(r.c.unusable == UnusableShape::ChainTooLong);
    CHECK(r.c.links.size() == kMaxValidatedCnameLinks + 1);
  }
}

TEST_CASE("classify: a CNAME chain that stops without data or denial exits to its target") {
  // A forwarder's partial answer (Unbound's val_twocname): the CNAME alone,
  // no SOA, no NSEC. Was read as NODATA at the target; the target is asked.
  Classified r(reply("www.example. CNAME aquila.example.\n", "", dns::rcode::NOERROR, false),
               N("www.example."), dns::rrtype::A, insecure());
  CHECK(r.c.cls == ResponseClass::Cname);
  CHECK(r.c.exits);
  CHECK(r.c.name == N("aquila.example."));
  SECTION("with the zone's SOA it is NODATA at the target") {
    Classified n(reply("www.example. CNAME aquila.example.\n", kSoa), N("www.example."),
                 dns::rrtype::A, insecure());
    CHECK(n.c.cls == ResponseClass::NoData);
  }
  SECTION("a CNAME loop is no exit") {
    Classified n(reply("www.example. CNAME www.example.\n", "", dns::rcode::NOERROR, false),
                 N("www.example."), dns::rrtype::A, insecure());
    CHECK_FALSE(n.c.exits);
  }
}
