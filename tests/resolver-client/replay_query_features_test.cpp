// Query features of the resolver API that Unbound's val_* scenarios
// (tests/replay, flatns_replay) ask for and the flatten layer never does:
// qtype ANY, qtype RRSIG and checking disabled (CD=1). Each was a skip
// reason of the replay suite; the scenarios that need it are replayed here,
// and where the scenario alone would not show what must not happen, its
// steps are rewritten to show it.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "tests/resolver-client/replay_support.h"

using flatns::replay::Outcome;
using flatns::replay::testing::check_all_pass;
using flatns::replay::testing::replay;
using flatns::replay::testing::replay_text;
using flatns::replay::testing::scenario_path;

namespace {

// The scenario `name` (its config and ranges, without the lines starting
// with `drop`) with its STEP moments replaced by `steps`, written under
// $TMPDIR and replayed.
Outcome replay_with_steps(const std::string& name, const std::string& drop, const std::string& steps) {
  std::ifstream in(scenario_path(name));
  REQUIRE(in);
  std::ostringstream out;
  std::string line;
  while (std::getline(in, line) && line.rfind("STEP ", 0) != 0) {
    if (line.rfind(drop, 0) != 0) out << line << '\n';
  }
  out << steps << "SCENARIO_END\n";
  return replay_text(out.str());
}

}  // namespace

TEST_CASE("replay: qtype ANY is answered with every validated RRset at the name",
          "[replay][validator]") {
  // The ANY answer was cut down to the records of type ANY (none): an
  // empty NOERROR. A CNAME at the name is one of its RRsets and is not
  // followed (RFC 1034 §4.3.2), nor is a DNAME there; a cached NODATA of
  // another type at the name does not answer ANY.
  check_all_pass({"val_any.rpl", "val_any_cname.rpl", "val_any_dname.rpl",
                           "val_any_negcache.rpl", "val_nsec3_wcany.rpl"});
}

TEST_CASE("replay: qtype RRSIG is answered with the RRSIGs, not validated (no AD)",
          "[replay][validator]") {
  // The RRSIGs were grouped with the A RRset they cover (absent): NODATA
  // without a denial, bogus. RRSIGs are never signed themselves: Unbound
  // answers them unvalidated, and so do we (insecure, NotValidated).
  auto o = replay("val_rrsig.rpl");
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Pass);
}

TEST_CASE("replay: checking disabled returns unsigned data that fails validation, uncached",
          "[replay][validator][iterator]") {
  // With CD=1 the data is returned as the server gave it, without AD and
  // without fetching keys (Unbound's val_referd and val_referglue step 3).
  check_all_pass({"val_referd.rpl", "val_referglue.rpl"});
  // With the A record's RRSIG stripped, CD=1 still returns the record
  // (without AD); the same name asked again without CD is validated and
  // fails: the CD answer was not cached for it, and CD does not turn
  // validation off for later queries. CD=1 once more returns the record.
  auto o = replay_with_steps("val_referd.rpl", "www.example.com.\t3600\tIN\tRRSIG\tA", R"(STEP 1 QUERY
ENTRY_BEGIN
REPLY RD CD
SECTION QUESTION
www.example.com. IN A
ENTRY_END

STEP 3 CHECK_ANSWER
ENTRY_BEGIN
MATCH all
REPLY QR RD RA CD NOERROR
SECTION QUESTION
www.example.com. IN A
SECTION ANSWER
www.example.com. IN A	10.20.30.40
ENTRY_END

STEP 5 QUERY
ENTRY_BEGIN
REPLY RD DO
SECTION QUESTION
www.example.com. IN A
ENTRY_END

STEP 6 CHECK_ANSWER
ENTRY_BEGIN
MATCH all
REPLY QR RD RA DO SERVFAIL
SECTION QUESTION
www.example.com. IN A
ENTRY_END

STEP 7 QUERY
ENTRY_BEGIN
REPLY RD CD
SECTION QUESTION
www.example.com. IN A
ENTRY_END

STEP 8 CHECK_ANSWER
ENTRY_BEGIN
MATCH all
REPLY QR RD RA CD NOERROR
SECTION QUESTION
www.example.com. IN A
SECTION ANSWER
www.example.com. IN A	10.20.30.40
ENTRY_END

)");
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Pass);
}

TEST_CASE("replay: val-override-date -1 runs at a moment inside every signature's validity",
          "[replay]") {
  // Unbound's "-1" switches signature dates off: the scenarios were
  // skipped. Our dates stay checked, with the clock inside every window.
  check_all_pass({"val_cnametocnamewctoposwc.rpl", "val_nsec3_cnametocnamewctoposwc.rpl"});
}
