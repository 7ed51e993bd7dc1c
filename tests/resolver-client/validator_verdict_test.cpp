#include <catch2/catch.hpp>

#include "resolver-client/verdict.h"

using namespace flatns;
using resolver::BogusReason;
using resolver::InsecureReason;
using resolver::Security;
using resolver::Verdict;

TEST_CASE("verdict: EDE codes follow RFC 8914") {
  const auto zone = dns::Name::parse("example.");
  CHECK_FALSE(Verdict::secure(zone).ede_code().has_value());
  CHECK_FALSE(Verdict::insecure(zone, InsecureReason::UnsignedDelegation).ede_code());
  CHECK(Verdict::insecure(zone, InsecureReason::UnsupportedAlgorithm).ede_code() == 1);
  CHECK(Verdict::insecure(zone, InsecureReason::UnsupportedDigest).ede_code() == 2);
  CHECK(Verdict::insecure(zone, InsecureReason::Nsec3IterationsTooHigh).ede_code() == 27);
  CHECK(Verdict::indeterminate("no answer").ede_code() == 5);
  CHECK(Verdict::bogus(zone, BogusReason::CryptoFailure, "").ede_code() == 6);
  CHECK(Verdict::bogus(zone, BogusReason::SignatureExpired, "").ede_code() == 7);
  CHECK(Verdict::bogus(zone, BogusReason::SignatureNotYetValid, "").ede_code() == 8);
  CHECK(Verdict::bogus(zone, BogusReason::NoDnskey, "").ede_code() == 9);
  CHECK(Verdict::bogus(zone, BogusReason::NoMatchingKey, "").ede_code() == 9);
  CHECK(Verdict::bogus(zone, BogusReason::MissingRrsig, "").ede_code() == 10);
  CHECK(Verdict::bogus(zone, BogusReason::MissingDenial, "").ede_code() == 12);
}

TEST_CASE("verdict: text names reason, zone and server") {
  auto v = Verdict::bogus(dns::Name::parse("example.com."), BogusReason::SignatureExpired,
                          "RRSIG A www.example.com.");
  v.server = "192.0.2.53";
  CHECK(v.to_text() ==
        "bogus: signature expired (zone example.com., server 192.0.2.53): RRSIG A www.example.com.");
  CHECK(Verdict::secure(dns::Name::parse("example.")).to_text() == "secure");
}

TEST_CASE("verdict: combine keeps the worst part") {
  const auto zone = dns::Name::parse("example.");
  const auto sec = Verdict::secure(zone);
  const auto ins = Verdict::insecure(zone, InsecureReason::OptOut);
  const auto bog = Verdict::bogus(zone, BogusReason::MissingRrsig, "x");
  CHECK(resolver::combine(sec, ins).security == Security::Insecure);
  CHECK(resolver::combine(ins, sec).security == Security::Insecure);
  CHECK(resolver::combine(bog, ins).reason == BogusReason::MissingRrsig);
  CHECK(resolver::combine(sec, Verdict::indeterminate("t")).security == Security::Indeterminate);
  CHECK(resolver::combine(Verdict::indeterminate("t"), bog).security == Security::Bogus);
}
