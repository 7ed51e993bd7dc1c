// The stages a feature attaches to (zones/answer_hook.h): the pre-answer
// hook at names that flatten, and the sign() / deny() stages an online
// signer takes over, against a small NSEC-signed zone (its RRSIGs are
// placeholders: zones never verifies them).
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/support/temp_file.h"
#include "tests/zones/response_reader.h"
#include "zones/answer.h"
#include "zones/answer_hook.h"

using namespace flatns;
using testing::TempFile;
using zones::Found;

namespace {

const char* kSigned =
    "$ORIGIN example.\n$TTL 3600\n"
    "@ SOA ns hostmaster 1 3600 600 86400 300\n"
    "@ NS ns\n"
    "@ NSEC ns.example. NS SOA RRSIG NSEC\n"
    "@ RRSIG SOA 13 1 3600 20300101000000 20200101000000 1 example. AAAA\n"
    "@ RRSIG NS 13 1 3600 20300101000000 20200101000000 1 example. AAAA\n"
    "@ RRSIG NSEC 13 1 300 20300101000000 20200101000000 1 example. AAAA\n"
    "ns A 192.0.2.1\n"
    "ns NSEC example. A RRSIG NSEC\n"
    "ns RRSIG A 13 2 3600 20300101000000 20200101000000 1 example. AAAA\n"
    "ns RRSIG NSEC 13 2 300 20300101000000 20200101000000 1 example. AAAA\n";

const char* kFlattened =
    "$ORIGIN example.com.\n$TTL 3600\n"
    "@ SOA ns hostmaster 1 3600 600 86400 300\n"
    "@ NS ns\n@ MX 10 ns\nns A 192.0.2.1\n"
    "@ CNAME target.example.net.\n"
    "www CNAME target.example.net.\n";

struct Served {
  TempFile file;
  zones::ZoneSet set;
  Served(const char* text, const char* origin) : file(text) {
    auto r = zones::load_zone({dns::Name::parse(origin), file.path(), zones::FlattenMode::Apex});
    for (auto& e : r.errors) FAIL(e.to_string());
    REQUIRE(r.zone);
    set = zones::ZoneSet({r.zone});
  }
};

// Records what the answer asks of it; answers pre_answer with `reply`.
class Recorder final : public zones::AnswerHook {
 public:
  explicit Recorder(zones::HookStages stages = {}) : AnswerHook(stages) {}
  Found pre_answer(const zones::AnswerPoint& at, dns::ResponseBuilder&) override {
    pre_answers.push_back(dns::name_to_text(at.zone.name(at.node)));
    return reply;
  }
  bool sign(const zones::RRsetWrite& w, dns::ResponseBuilder&) override {
    signed_types.push_back(dns::type_to_text(w.set.type) + "/" + std::to_string(int(w.section)) + "/" +
                           std::to_string(w.sig_ttl_cap == UINT32_MAX ? 0 : w.sig_ttl_cap));
    return true;  // "signed": the zone's stored RRSIGs stay out
  }
  bool deny(const zones::DenialPoint& what, dns::ResponseBuilder&) override {
    denials.push_back(what.kind);
    denied_names.push_back(dns::name_to_text(what.name));
    return true;  // the signer's own denial: the zone's NSEC stay out
  }

  Found reply = Found::Begin;
  std::vector<std::string> pre_answers, signed_types, denied_names;
  std::vector<zones::DenialPoint::Kind> denials;
};

bool has_type(const std::vector<std::string>& section, const std::string& type) {
  return std::any_of(section.begin(), section.end(),
                     [&](const std::string& rr) { return rr.find(" " + type + " ") != std::string::npos; });
}

}  // namespace

TEST_CASE("answer hook: without a hook the zone's RRSIGs and NSEC proofs are written") {
  Served s(kSigned, "example.");
  auto r = testing::ask_zone_set(s.set, "nope.example.", dns::rrtype::A, true);
  CHECK(r.rcode == dns::rcode::NXDOMAIN);
  CHECK(has_type(r.sections[1], "SOA"));
  CHECK(has_type(r.sections[1], "RRSIG"));
  CHECK(has_type(r.sections[1], "NSEC"));
  auto a = testing::ask_zone_set(s.set, "ns.example.", dns::rrtype::A, true);
  CHECK(has_type(a.sections[0], "RRSIG"));
}

TEST_CASE("answer hook: a signer's deny() replaces the stored proofs and sign() the stored RRSIGs") {
  Served s(kSigned, "example.");
  Recorder signer({.signs = true, .denies = true});
  auto r = testing::ask_zone_set(s.set, "nope.example.", dns::rrtype::A, true, true, &signer);
  CHECK(r.rcode == dns::rcode::NXDOMAIN);
  REQUIRE(r.sections[1].size() == 1);  // the SOA alone: its RRSIG and the NSEC are the signer's
  CHECK(has_type(r.sections[1], "SOA"));
  REQUIRE(signer.denials.size() == 1);
  CHECK(signer.denials[0] == zones::DenialPoint::Kind::NxDomain);
  CHECK(signer.denied_names[0] == "nope.example.");
  // The negative SOA's signatures are asked for with the negative TTL as cap.
  CHECK(signer.signed_types == std::vector<std::string>{"SOA/1/300"});

  Recorder nodata({.signs = true, .denies = true});
  auto n = testing::ask_zone_set(s.set, "ns.example.", dns::rrtype::TXT, true, true, &nodata);
  CHECK(n.rcode == dns::rcode::NOERROR);
  REQUIRE(nodata.denials.size() == 1);
  CHECK(nodata.denials[0] == zones::DenialPoint::Kind::NoData);

  Recorder positive({.signs = true});
  auto a = testing::ask_zone_set(s.set, "example.", dns::rrtype::NS, true, true, &positive);
  CHECK(a.sections[0].size() == 1);  // NS without the stored RRSIG
  CHECK(a.sections[2].size() == 1);  // the glue, likewise
  CHECK(positive.signed_types == std::vector<std::string>{"NS/0/0", "A/2/0"});
}

TEST_CASE("answer hook: without DO=1 neither sign() nor deny() is called") {
  Served s(kSigned, "example.");
  Recorder signer({.signs = true, .denies = true});
  auto r = testing::ask_zone_set(s.set, "nope.example.", dns::rrtype::A, false, true, &signer);
  CHECK(r.rcode == dns::rcode::NXDOMAIN);
  CHECK(signer.signed_types.empty());
  CHECK(signer.denials.empty());
}

TEST_CASE("answer hook: pre_answer is asked at names that flatten, and only there") {
  Served s(kFlattened, "example.com.");
  Recorder hook;
  hook.reply = Found::NoData;
  auto r = testing::ask_zone_set(s.set, "example.com.", dns::rrtype::A, false, true, &hook);
  CHECK(hook.pre_answers == std::vector<std::string>{"example.com."});
  CHECK(r.rcode == dns::rcode::NOERROR);
  CHECK(r.sections[0].empty());
  CHECK(has_type(r.sections[1], "SOA"));  // the authority stage writes NODATA's SOA

  hook.pre_answers.clear();
  hook.reply = Found::Begin;  // passes: the zone answers, the CNAME stays hidden
  auto mx = testing::ask_zone_set(s.set, "example.com.", dns::rrtype::MX, false, true, &hook);
  CHECK(mx.sections[0].size() == 1);
  CHECK(has_type(mx.sections[0], "MX"));
  auto cname = testing::ask_zone_set(s.set, "example.com.", dns::rrtype::CNAME, false, true, &hook);
  CHECK(cname.sections[0].empty());
  CHECK(has_type(cname.sections[1], "SOA"));
  CHECK(hook.pre_answers.size() == 2);

  hook.pre_answers.clear();  // www is not the apex: not flattened with `flatten: apex`
  auto www = testing::ask_zone_set(s.set, "www.example.com.", dns::rrtype::A, false, true, &hook);
  CHECK(hook.pre_answers.empty());
  CHECK(has_type(www.sections[0], "CNAME"));
}

TEST_CASE("answer hook: Failed from pre_answer stops the answer (no SOA, no glue)") {
  Served s(kFlattened, "example.com.");
  Recorder hook;
  hook.reply = Found::Failed;
  auto r = testing::ask_zone_set(s.set, "example.com.", dns::rrtype::A, false, true, &hook);
  CHECK(r.sections[0].empty());
  CHECK(r.sections[1].empty());
  CHECK(r.sections[2].empty());
}
