// Deckard replay scenarios (CZ-NIC/deckard, NLnet Labs licence) run through
// the validator: for every STEP QUERY, the server's response is validated
// with the scenario's trust anchor and clock, and the verdict is compared
// with the scenario's CHECK_ANSWER (AD => secure, SERVFAIL => bogus,
// otherwise insecure).
#include <catch2/catch.hpp>

#include <algorithm>

#include "resolver-client/validator.h"
#include "validator_test_util.h"

using namespace flatns;
using namespace flatns::resolver;

namespace {

const std::string kDir = std::string(FLATNS_CORPUS_DIR) + "/examples/deckard/";
constexpr int64_t k20170401 = 1491004800;  // val-override-date 20170401000000

bool has_flag(const testutil::ReplayEntry& e, const char* f) {
  return std::find(e.reply_flags.begin(), e.reply_flags.end(), f) != e.reply_flags.end();
}

struct Outcome {
  std::string query;
  Security expected;
  Security got;
  std::string detail;
};

std::vector<Outcome> replay(const std::string& file, const std::string& anchor) {
  const auto entries = testutil::parse_replay_entries(kDir + file);
  TrustAnchors anchors;
  std::string error;
  REQUIRE(anchors.add_text(anchor, file, error));
  ValidationBudget key_budget;
  ValidationContext key_ctx{k20170401, key_budget};
  const auto* dnskey = testutil::find_entry(entries, dns::Name::root(), dns::rrtype::DNSKEY);
  REQUIRE(dnskey != nullptr);
  const auto keys =
      validate_dnskey_response(dnskey->message, *anchors.find(dns::Name::root()), key_ctx);
  REQUIRE(keys.verdict.is_secure());

  std::vector<Outcome> out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].step != "QUERY") continue;
    const auto& q = entries[i].message;
    const testutil::ReplayEntry* check = nullptr;
    for (std::size_t j = i + 1; j < entries.size() && check == nullptr; ++j) {
      if (entries[j].step == "CHECK_ANSWER") check = &entries[j];
    }
    REQUIRE(check != nullptr);
    const auto* server = testutil::find_entry(entries, q.qname, q.qtype);
    REQUIRE(server != nullptr);
    ValidationBudget budget;
    ValidationContext ctx{k20170401, budget};
    const auto r = validate_response(server->message, q.qname, q.qtype, keys, ctx);
    const Security expected = has_flag(*check, "AD")         ? Security::Secure
                              : has_flag(*check, "SERVFAIL") ? Security::Bogus
                                                             : Security::Insecure;
    out.push_back({q.qname.to_text() + " " + dns::type_to_text(q.qtype), expected,
                   r.verdict.security, r.verdict.to_text()});
  }
  return out;
}

}  // namespace

TEST_CASE("validator deckard: changed RRSIG signature is bogus") {
  const auto outcomes =
      replay("resolver_val_minimal_badrrsigsignature.rpl",
             ". IN DS 49060 8 2 E7B1EB56D7D5791B3D45630FEAA9C823DB84B385ACEEAC5F44DD08885C36700F");
  REQUIRE(outcomes.size() == 1);
  INFO(outcomes[0].detail);
  CHECK(outcomes[0].expected == Security::Bogus);
  CHECK(outcomes[0].got == Security::Bogus);
  CHECK(outcomes[0].detail.find("signature does not verify") != std::string::npos);
}

TEST_CASE("validator deckard: the same scenario's other RRsets are secure, TTL clamped") {
  const auto entries =
      testutil::parse_replay_entries(kDir + "resolver_val_minimal_badrrsigsignature.rpl");
  TrustAnchors anchors;
  std::string error;
  REQUIRE(anchors.add_text(
      ". IN DS 49060 8 2 E7B1EB56D7D5791B3D45630FEAA9C823DB84B385ACEEAC5F44DD08885C36700F", "t",
      error));
  ValidationBudget budget;
  ValidationContext ctx{k20170401, budget};
  const auto keys = validate_dnskey_response(
      testutil::find_entry(entries, dns::Name::root(), dns::rrtype::DNSKEY)->message,
      *anchors.find(dns::Name::root()), ctx);
  REQUIRE(keys.verdict.is_secure());
  // Expires 2017-04-09T09:38:27Z, 8 days 9:38:27 after the scenario's clock.
  CHECK(keys.ttl == 8 * 86400 + 9 * 3600 + 38 * 60 + 27);
  const auto k = dns::Name::parse("k.root-servers.net.");
  const auto r = validate_response(testutil::find_entry(entries, k, dns::rrtype::A)->message, k,
                                   dns::rrtype::A, keys, ctx);
  CHECK(r.kind == ResponseKind::Answer);
  CHECK(r.verdict.is_secure());
  CHECK(r.ttl == keys.ttl);
}

TEST_CASE("validator deckard: NSEC wildcard answers match the scenario's verdicts") {
  const auto outcomes = replay(
      "resolver_nsec_wildcard_answer_response.rpl",
      ". IN DS 41524 8 2 5175938255D97A88F9D16A5A46ED3AE373441DF5058C1666D953005DA6BD57F3");
  CHECK(outcomes.size() == 10);
  const auto expected_secure = std::count_if(outcomes.begin(), outcomes.end(), [](const Outcome& o) {
    return o.expected == Security::Secure;
  });
  CHECK(expected_secure == 4);  // a.local... and explicita..., each asked twice
  for (const auto& o : outcomes) {
    INFO(o.query << ": " << o.detail);
    CHECK(o.got == o.expected);
  }
}
