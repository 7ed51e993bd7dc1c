// The one home of protocol numbers and small wire helpers: rcode names (RFC
// 6895 §2.3), Extended DNS Error names and texts (RFC 8914 §4), the
// big-endian 32-bit read and the SOA numbers (RFC 1035 §3.3.13).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "dns/ede.h"
#include "dns/name.h"
#include "dns/rcode.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/wire.h"

using namespace flatns::dns;

TEST_CASE("rcode_to_text names every assigned rcode and prints others as their number") {
  CHECK(rcode_to_text(rcode::NOERROR) == "NOERROR");
  CHECK(rcode_to_text(rcode::SERVFAIL) == "SERVFAIL");
  CHECK(rcode_to_text(rcode::NXDOMAIN) == "NXDOMAIN");
  CHECK(rcode_to_text(rcode::REFUSED) == "REFUSED");
  CHECK(rcode_to_text(rcode::NOTZONE) == "NOTZONE");
  CHECK(rcode_to_text(rcode::DSOTYPENI) == "DSOTYPENI");
  CHECK(rcode_to_text(rcode::BADVERS) == "BADVERS");
  CHECK(rcode_to_text(rcode::BADCOOKIE) == "BADCOOKIE");
  // Unassigned: never shown as SERVFAIL or any other code's name.
  CHECK(rcode_to_text(12) == "rcode 12");
  CHECK(rcode_to_text(24) == "rcode 24");
  CHECK(rcode_to_text(3841) == "rcode 3841");
}

TEST_CASE("ede_to_text gives the registry's text, none for unregistered codes") {
  CHECK(ede_to_text(ede::Other) == "Other Error");
  CHECK(ede_to_text(ede::StaleAnswer) == "Stale Answer");
  CHECK(ede_to_text(ede::DnssecBogus) == "DNSSEC Bogus");
  CHECK(ede_to_text(ede::SignatureExpired) == "Signature Expired");
  CHECK(ede_to_text(ede::NoReachableAuthority) == "No Reachable Authority");
  CHECK(ede_to_text(ede::UnsupportedNsec3IterationsValue) == "Unsupported NSEC3 Iterations Value");
  CHECK(ede_to_text(ede::InvalidQueryType) == "Invalid Query Type");
  CHECK(ede_to_text(31).empty());
  CHECK(ede_to_text(65535).empty());
}

TEST_CASE("read_u32 and put_u32 are network order and inverse of each other") {
  const std::vector<uint8_t> bytes = {0x00, 0xFF, 0xEE, 0xDD, 0xCC};
  CHECK(read_u32(bytes) == 0x00FFEEDDu);
  CHECK(read_u32(bytes, 1) == 0xFFEEDDCCu);  // high bit set: no sign extension
  std::vector<uint8_t> out;
  put_u32(out, 0x80000001u);
  put_u16(out, 0xABCD);
  CHECK(out == std::vector<uint8_t>{0x80, 0x00, 0x00, 0x01, 0xAB, 0xCD});
  CHECK(read_u32(out) == 0x80000001u);
}

TEST_CASE("soa_numbers reads serial, refresh, retry, expire and minimum after the names") {
  std::vector<uint8_t> rdata;
  std::string error;
  const Name origin = Name::parse("example.");
  const TextToken tokens[] = {{"ns1"}, {"hostmaster"}, {"4294967295"}, {"3600"},
                              {"600"}, {"86400"},       {"2147483648"}};
  REQUIRE(rdata_from_text(rrtype::SOA, tokens, origin, rdata, error));
  const auto soa = soa_numbers(rdata);
  REQUIRE(soa);
  CHECK(soa->serial == 4294967295u);
  CHECK(soa->refresh == 3600);
  CHECK(soa->retry == 600);
  CHECK(soa->expire == 86400);
  CHECK(soa->minimum == 2147483648u);
  CHECK_FALSE(soa_numbers(std::span<const uint8_t>(rdata).first(19)));
}
