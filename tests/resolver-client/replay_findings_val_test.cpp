// Resolver faults that Unbound's val_* scenarios (tests/replay, flatns_replay)
// found, each shown by replaying the scenario that revealed it: it passes
// now, and the checks name what used to happen. (replay_findings_test.cpp
// holds the earlier ones.)
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "tests/resolver-client/replay_support.h"

using flatns::replay::Outcome;
using flatns::replay::testing::replay;
using flatns::replay::testing::replay_text;
using flatns::replay::testing::scenario_path;

namespace {

// The scenario `name` with every line for which `drop` is true left out,
// written under $TMPDIR and replayed.
template <typename Drop>
Outcome replay_without(const std::string& name, Drop drop) {
  std::ifstream in(scenario_path(name));
  REQUIRE(in);
  std::ostringstream out;
  std::string line;
  while (std::getline(in, line)) {
    if (!drop(line)) out << line << '\n';
  }
  return replay_text(out.str());
}

}  // namespace

TEST_CASE("replay finding: a CNAME question below a DNAME is answered by the synthesised CNAME",
          "[replay][validator]") {
  // foo.test-dname.example.com. CNAME: the DNAME's substitution was
  // followed to foo.example.net. and that name's CNAME asked (no server
  // answers it): SERVFAIL. RFC 6672 §3.3: the synthesised CNAME answers.
  for (const char* name : {"val_cnameqtype.rpl", "val_cnameqtype_qmin.rpl"}) {
    auto o = replay(name);
    INFO(name << ": " << o.text);
    CHECK(o.status == Outcome::Status::Pass);
  }
}

TEST_CASE("replay finding: a cached DNAME redirects names below it without asking",
          "[replay][iterator]") {
  // foo2.test-dname.example.com. DNAME after foo.test-dname.example.com.
  // was answered through test-dname.example.com.'s DNAME: the server (which
  // Unbound never asks, it synthesises from its cache) did not answer:
  // SERVFAIL.
  for (const char* name : {"val_dnameqtype.rpl", "val_dnameqtype_qmin.rpl"}) {
    auto o = replay(name);
    INFO(name << ": " << o.text);
    CHECK(o.status == Outcome::Status::Pass);
  }
}

TEST_CASE("replay finding: a referral without DS or NSEC has its DS asked of the parent",
          "[replay][iterator][validator]") {
  // The referral to sub.example.com. carried neither the DS RRset nor a
  // denial: was bogus at once (missing NSEC/NSEC3 proof), though the
  // parent answers "DS sub.example.com." with the signed DS.
  auto o = replay("val_dsnsec.rpl");
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Pass);

  // Nothing is given away: when the DS answer is stripped too (no DS, no
  // denial), the child is still bogus with EDE 12 (NSEC Missing).
  auto stripped = replay_without("val_dsnsec.rpl", [](const std::string& line) {
    return line.rfind("sub.example.com.        3600    IN      DS", 0) == 0 ||
           line.rfind("sub.example.com.        3600    IN      RRSIG   DS", 0) == 0;
  });
  INFO(stripped.text);
  CHECK(stripped.status == Outcome::Status::Fail);
  CHECK(stripped.text.find("got SERVFAIL") != std::string::npos);
  CHECK(stripped.text.find("bogus: missing NSEC/NSEC3 proof") != std::string::npos);
}

TEST_CASE("replay finding: a DS question is not redirected by a cached CNAME", "[replay][iterator]") {
  // a.b.sub.example.com. DS after its A query cached the CNAME there: the
  // CNAME was followed and the DS asked at its target (a CNAME answer);
  // Unbound asks the name's zone, which answers NODATA.
  auto o = replay("val_unsec_cname.rpl");
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Pass);
}

TEST_CASE("replay finding: a CNAME's NSEC3 showing the target's cut unsigned (or opted out) makes the target insecure",
          "[replay][validator]") {
  // cnametooptin: the NSEC3 of sub.example.com. (NS, no DS) next to the
  // CNAME was not used, the DS walk asked a question nobody answers:
  // SERVFAIL. cnametoinsecure (forward mode): the NSEC / NSEC3 next to the
  // CNAME proved unsafe.example.{com,org}. unsigned, but the forwarder's
  // NODATA for the target carries the parent's signed SOA and no denial:
  // was bogus. cnametooptout: an opt-out span covers content.hud.gov.
  for (const char* name : {"val_cnametooptin.rpl", "val_cnametoinsecure.rpl", "val_cnametooptout.rpl"}) {
    auto o = replay(name);
    INFO(name << ": " << o.text);
    CHECK(o.status == Outcome::Status::Pass);
  }
}

TEST_CASE("replay finding: an NSEC expanded from a wildcard denies no DS", "[replay][validator]") {
  // The referral to example.test. carried *.test.'s NSEC (NS, no DS) renamed
  // to example.test., its RRSIG showing the wildcard expansion: it was taken
  // as proof of an unsigned delegation, and the child's answer given out as
  // insecure. An NSEC is owned by a name that exists: no proof, SERVFAIL.
  auto o = replay("val_wcnsec_nods.rpl");
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Pass);
}

TEST_CASE("replay finding: a CNAME beside the asked RRset: the one listed first decides",
          "[replay][iterator][validator]") {
  // www.example.test. answered with its A RRset and a CNAME (RFC 2181 §10.1
  // forbids both): the CNAME went into the chain and the A records, not at
  // its target, were dropped: a CNAME-only answer. Unbound answers the A
  // (step 10). www2.example.test. lists the CNAME first (step 21): the A
  // RRset beside it was answered; Unbound follows the CNAME, as a server
  // that took the name for an alias lists it first (RFC 1034 §4.3.2 3a).
  auto o = replay("val_cnameother.rpl");
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Pass);
}
