// Resolver faults that Unbound's scenario suite (tests/replay, flatns_replay)
// found, each shown by replaying the scenario that revealed it: it passes
// now, and the checks name what used to happen.
#include <catch2/catch.hpp>
#include <string>

#include "tests/replay/replay_run.h"
#include "tests/replay/rpl_scenario.h"

using flatns::replay::Outcome;

namespace {

Outcome replay(const std::string& name,
               const std::function<void(flatns::resolver::ResolverSettings&)>& adjust = {}) {
  flatns::replay::Scenario s;
  std::string error;
  const std::string path = std::string(FLATNS_TEST_DATA_DIR) + "/unbound/" + name;
  INFO(path);
  REQUIRE(flatns::replay::read_scenario(path, s, error));
  return flatns::replay::run_scenario(s, {}, adjust);
}

}  // namespace

TEST_CASE("replay finding: DSA-signed zones validate when accept_dsa is set", "[replay][validator]") {
  // The scenarios are DSA-signed (algorithm 3): with DSA unsupported the
  // CNAME answer is insecure and lacks AD; with accept_dsa it is secure.
  auto with = replay("val_cnametopos.rpl");
  INFO(with.text);
  CHECK(with.status == Outcome::Status::Pass);
  auto without = replay("val_cnametopos.rpl", [](auto& s) { s.accept_dsa = false; });
  CHECK(without.status == Outcome::Status::Fail);
  CHECK(without.text.find("insecure: unsupported DNSKEY algorithm") != std::string::npos);
}

TEST_CASE("replay finding: an NSEC whose next name leaves the zone denies nothing",
          "[replay][validator]") {
  // wab.example.com. NSEC wzz.foo.com.: was taken as covering www.example.com.
  // (a secure NXDOMAIN); RFC 4034 §4.1.1 keeps the next name in the zone.
  auto o = replay("val_nx_overreach.rpl");
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Pass);
}

TEST_CASE("replay finding: a referral answering a DS question is followed", "[replay][iterator]") {
  // The root answers "DS sub.example.com." with a referral to com.: it was
  // read as NODATA (an empty, insecure answer).
  for (const char* name : {"val_qds_oneanc.rpl", "val_qds_twoanc.rpl", "val_unsecds_qtypeds.rpl"}) {
    auto o = replay(name);
    INFO(name << ": " << o.text);
    CHECK(o.status == Outcome::Status::Pass);
  }
}

TEST_CASE("replay finding: NODATA with NSEC proof but without AA and SOA is validated",
          "[replay][validator]") {
  // Was "unusable answer (NOERROR, no AA)": every server failed, SERVFAIL.
  for (const char* name : {"val_nodata.rpl", "val_nodatawc.rpl", "val_cnametonodata.rpl"}) {
    auto o = replay(name);
    INFO(name << ": " << o.text);
    CHECK(o.status == Outcome::Status::Pass);
  }
}

TEST_CASE("replay finding: an answer's RRSIG in the additional section is used",
          "[replay][validator]") {
  // The answer section holds a stray RRSIG (of ns.example.com.) and the
  // A RRset's own RRSIG sits in the additional section: the A RRset was
  // taken as unsigned, a DS walk below the zone timed out, SERVFAIL.
  for (const char* name : {"val_positive.rpl", "val_adbit.rpl", "val_spurious_ns.rpl"}) {
    auto o = replay(name);
    INFO(name << ": " << o.text);
    CHECK(o.status == Outcome::Status::Pass);
  }
}
