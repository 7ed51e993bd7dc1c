// Inputs that fuzz/validator (libFuzzer) found crashing the validator, kept as
// bytes so they stay fixed once the fuzz targets change.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "dns/message_parser.h"
#include "resolver-client/validator.h"

using namespace flatns;
using namespace flatns::resolver;

namespace {

dns::Message parse(const std::vector<uint8_t>& packet) {
  dns::Message m;
  std::string error;
  REQUIRE(dns::parse_message(packet, m, error));
  return m;
}

}  // namespace

TEST_CASE("an NXDOMAIN whose authority holds an RRSIG over SOA but no SOA is classified",
          "[validator][fuzz]") {
  // nx.signed.example. A -> NXDOMAIN, AA; authority: only
  // "signed.example. 300 IN RRSIG SOA 13 2 300 20900101000000 20240101000000 1 signed.example. AAAA".
  // take_soa_ttl read the first SOA record of that RRSIG-only RRset: an empty vector.
  const std::vector<uint8_t> packet = {
      0xcc, 0x87, 0x85, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x6e, 0x78,
      0x06, 0x73, 0x69, 0x67, 0x6e, 0x65, 0x64, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
      0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0f, 0x00, 0x2e, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c,
      0x00, 0x25, 0x00, 0x06, 0x0d, 0x02, 0x00, 0x00, 0x01, 0x2c, 0xe1, 0xb7, 0xb1, 0x00, 0x65,
      0x92, 0x00, 0x80, 0x00, 0x01, 0x06, 0x73, 0x69, 0x67, 0x6e, 0x65, 0x64, 0x07, 0x65, 0x78,
      0x61, 0x6d, 0x70, 0x6c, 0x65, 0x00, 0x00, 0x00, 0x00};
  const dns::Message m = parse(packet);
  const dns::Name zone = dns::Name::parse("signed.example.");
  ValidationBudget budget;
  ValidationContext ctx{1767225600, budget};
  const auto r = validate_response(m, dns::Name::parse("nx.signed.example."), 1,
                                   insecure_keys(zone, InsecureReason::UnsignedDelegation), ctx);
  CHECK(r.kind == ResponseKind::NxDomain);
  CHECK(r.verdict.is_insecure());
}
