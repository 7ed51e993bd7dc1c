// Resolver faults that Unbound's scenario suite (tests/replay, flatns_replay)
// found, each shown by replaying the scenario that revealed it: it passes
// now, and the checks name what used to happen.
#include <catch2/catch.hpp>
#include <string>

#include "replay_support.h"

using flatns::replay::Outcome;
using flatns::replay::testing::replay_adjusted;

TEST_CASE("replay finding: DSA-signed zones validate when accept_dsa is set", "[replay][validator]") {
  // The scenarios are DSA-signed (algorithm 3): with DSA unsupported the
  // CNAME answer is insecure and lacks AD; with accept_dsa it is secure.
  auto with = replay_adjusted("val_cnametopos.rpl");
  INFO(with.text);
  CHECK(with.status == Outcome::Status::Pass);
  auto without = replay_adjusted("val_cnametopos.rpl", [](auto& s) { s.accept_dsa = false; });
  CHECK(without.status == Outcome::Status::Fail);
  CHECK(without.text.find("insecure: unsupported DNSKEY algorithm") != std::string::npos);
}

TEST_CASE("replay finding: an NSEC whose next name leaves the zone denies nothing",
          "[replay][validator]") {
  // wab.example.com. NSEC wzz.foo.com.: was taken as covering www.example.com.
  // (a secure NXDOMAIN); RFC 4034 §4.1.1 keeps the next name in the zone.
  auto o = replay_adjusted("val_nx_overreach.rpl");
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Pass);
}

TEST_CASE("replay finding: a referral answering a DS question is followed", "[replay][iterator]") {
  // The root answers "DS sub.example.com." with a referral to com.: it was
  // read as NODATA (an empty, insecure answer).
  for (const char* name : {"val_qds_oneanc.rpl", "val_qds_twoanc.rpl", "val_unsecds_qtypeds.rpl"}) {
    auto o = replay_adjusted(name);
    INFO(name << ": " << o.text);
    CHECK(o.status == Outcome::Status::Pass);
  }
}

TEST_CASE("replay finding: NODATA with NSEC proof but without AA and SOA is validated",
          "[replay][validator]") {
  // Was "unusable answer (NOERROR, no AA)": every server failed, SERVFAIL.
  for (const char* name : {"val_nodata.rpl", "val_nodatawc.rpl", "val_cnametonodata.rpl"}) {
    auto o = replay_adjusted(name);
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
    auto o = replay_adjusted(name);
    INFO(name << ": " << o.text);
    CHECK(o.status == Outcome::Status::Pass);
  }
}

TEST_CASE("replay finding: when the servers one side of a delegation names fail, the other side's are asked",
          "[replay][iterator]") {
  // pcdiff, pcnamerec, pcnamechrec: the parent's glue for an NS name differs
  // from the address its own zone gives (and that one is dead); pcnamech:
  // the child's NS set names one more server than the parent's referral;
  // pcdirect: the glue for the NS name is needed to find the NS name's own
  // server. Each was SERVFAIL ("unusable answer (SERVFAIL, no AA)" or "NS
  // ...: no address") because only one side of the delegation was kept.
  for (const char* name : {"iter_pcdiff.rpl", "iter_pcnamerec.rpl", "iter_pcnamech.rpl",
                           "iter_pcnamechrec.rpl", "iter_pcdirect.rpl"}) {
    auto o = replay_adjusted(name);
    INFO(name << ": " << o.text);
    CHECK(o.status == Outcome::Status::Pass);
  }
}

TEST_CASE("replay finding: a DS question at a cut a referral proved unsigned is answered from that proof",
          "[replay][iterator]") {
  // The referral to sub.example.com. carried the signed NSEC proving no DS;
  // the later "DS sub.example.com." was asked again, and the server (which
  // Unbound never asks) did not answer: SERVFAIL instead of a secure NODATA.
  auto o = replay_adjusted("val_negcache_dssoa.rpl");
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Pass);
}

TEST_CASE("replay finding: NXDOMAIN for an empty non-terminal that the zone's NSEC shows is NODATA",
          "[replay][validator]") {
  // The server says NXDOMAIN for 0.example.com., but its signed NSEC
  // (example.com. -> 0.0.0.0.example.com.) shows the name exists: was bogus.
  auto o = replay_adjusted("val_nodata_entnx.rpl");
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Pass);
}

TEST_CASE("replay finding: NSEC3 opt-out spans make NODATA and DS denials insecure, not bogus or secure",
          "[replay][validator]") {
  // entnodata_optout, b5_wcnodata_nowc: no NSEC3 matches the name or its
  // wildcard, but the next closer name lies in an opt-out span: was bogus
  // ("no NSEC3 matches ... or its wildcard"). optout_ad: a DS NODATA proven
  // by an opt-out span was given AD (RFC 5155 §9.2 says no AD).
  // twocname: the key walk went on below root-servers.org. after its
  // opt-out DS denial, asking DS questions nobody answers; and then the
  // forwarder's answer for www.ripe.net. (a CNAME only, no SOA) was read as
  // NODATA instead of asking for the CNAME's target.
  for (const char* name : {"val_nsec3_entnodata_optout.rpl", "val_nsec3_b5_wcnodata_nowc.rpl",
                           "val_nsec3_optout_ad.rpl", "val_twocname.rpl"}) {
    auto o = replay_adjusted(name);
    INFO(name << ": " << o.text);
    CHECK(o.status == Outcome::Status::Pass);
  }
}

TEST_CASE("replay finding: a DNAME signed as a wildcard expansion is bogus", "[replay][validator]") {
  // sub.example.com. DNAME with an RRSIG of 2 labels (from *.example.com.):
  // was followed as a secure substitution; wildcards never make a DNAME.
  auto o = replay_adjusted("val_dnamewc.rpl");
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Pass);
}

TEST_CASE("replay finding: a CNAME into an unsigned child served by the same servers", "[replay][iterator][validator]") {
  // www.example.com. CNAME www.sub.example.com. with the signed NSEC of
  // sub.example.com. (NS, no DS) beside it; the same server answers the
  // target from the unsigned child with only the child's SOA, no AA. That
  // answer was "unusable (NOERROR, no AA)", and the DS walk then asked a
  // DS question the NSEC had already answered: SERVFAIL, now an insecure
  // NODATA after the CNAME.
  auto o = replay_adjusted("val_cnametonsec.rpl");
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Pass);
}
