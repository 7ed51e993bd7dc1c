// Property checks over pseudo-random RDATA (fixed seed, so failures repeat):
// whatever rdata_is_valid accepts prints to text that parses back to the same
// octets, and nothing crashes on malformed input (run under ASan/UBSan).
#include <catch2/catch.hpp>

#include <random>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "rdata_test_util.h"

using namespace flatns::dns;
using namespace flatns::dns::test;

namespace {

// Random octets biased towards values that make fields well-formed: small
// lengths, zero octets, letters.
std::vector<uint8_t> random_rdata(std::mt19937& rng, const std::vector<uint8_t>& seed) {
  std::vector<uint8_t> out = seed;
  const int edits = static_cast<int>(rng() % 6);
  for (int i = 0; i < edits && !out.empty(); ++i) {
    const std::size_t at = rng() % out.size();
    switch (rng() % 4) {
      case 0: out[at] = static_cast<uint8_t>(rng()); break;
      case 1: out[at] = static_cast<uint8_t>(rng() % 4); break;
      case 2: out.erase(out.begin() + static_cast<long>(at)); break;
      default: out.insert(out.begin() + static_cast<long>(at), static_cast<uint8_t>('a' + rng() % 26));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("valid RDATA always survives text and wire round trips", "[rdata][random]") {
  // One well-formed seed per type; mutations around it reach most branches.
  const std::pair<const char*, const char*> seeds[] = {
      {"A", "192.0.2.1"},
      {"NS", "ns1.example.com."},
      {"SOA", "a. b. 1 2 3 4 5"},
      {"MX", "10 mail.example."},
      {"TXT", "\"abc\" \"\" \"x\\\"y\""},
      {"HINFO", "cpu os"},
      {"AAAA", "2001:db8::1"},
      {"SRV", "1 2 3 t.example."},
      {"NAPTR", "1 2 \"S\" \"SIP+D2U\" \"!a!b!\" ."},
      {"DS", "1 8 2 ABCDEF"},
      {"RRSIG", "A 8 2 300 20240101000000 20230101000000 1 example. AAAA"},
      {"NSEC", "a.example. A NS CAA TYPE1234"},
      {"DNSKEY", "257 3 8 AQID"},
      {"NSEC3", "1 1 0 AB 2t7b4g4vsa5smi47k61mv5bv1a22bojr A RRSIG"},
      {"NSEC3PARAM", "1 0 0 AB"},
      {"TLSA", "3 1 1 ABCD"},
      {"SSHFP", "1 1 ABCD"},
      {"CAA", "0 issue \"ca.example\""},
      {"SVCB", "1 . alpn=h2,h3 port=443 ipv4hint=1.2.3.4 key9=\"x\""},
      {"HTTPS", "1 . mandatory=alpn alpn=h2 no-default-alpn ech=AQID ipv6hint=::1"},
      {"ZONEMD", "1 1 1 ABCD"},
      {"LOC", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m"},
      {"APL", "1:192.168.32.0/21 !2:2001:db8::/32"},
      {"CERT", "PGP 0 0 AQID"},
      {"EUI48", "00-00-5e-00-53-2a"},
      {"L64", "10 2001:0db8:1140:1000"},
      {"URI", "1 2 \"https://x\""},
      {"CSYNC", "1 3 A NS"},
      {"ALIAS", "target.example."},
      {"IPSECKEY", "10 3 2 gw.example. AQID"},
      {"IPSECKEY", "10 1 0 192.0.2.1"},
      {"TYPE65534", "\\# 3 010203"},
  };
  std::mt19937 rng(20260101);
  int valid = 0, invalid = 0;
  for (const auto& [type_text, text] : seeds) {
    const uint16_t type = type_of(type_text);
    const Parsed seed = parse_rdata(type_text, text);
    INFO(type_text << " " << text << ": " << seed.error);
    REQUIRE(seed.ok);
    for (int round = 0; round < 3000; ++round) {
      // Mostly mutations of the seed, sometimes short octet soup.
      std::vector<uint8_t> soup(rng() % 24);
      for (auto& b : soup) b = static_cast<uint8_t>(rng() % 3 == 0 ? rng() % 8 : rng());
      const auto rdata = round % 3 == 2 ? soup : random_rdata(rng, seed.wire);
      const std::string printed = rdata_to_text(type, rdata);
      if (!rdata_is_valid(type, rdata)) {
        ++invalid;
        // Invalid RDATA prints in generic form, which still parses back
        // for types without a descriptor only.
        CHECK(printed.rfind("\\# ", 0) == 0);
        continue;
      }
      ++valid;
      INFO("rdata " << hex_encode(rdata) << " printed " << printed);
      const Parsed back = parse_rdata(type_text, printed);
      INFO("error " << back.error);
      REQUIRE(back.ok);
      REQUIRE(back.wire == rdata);
      // Through a message with compression and back.
      std::vector<uint8_t> buffer(70000);
      WireWriter w(buffer);
      REQUIRE(w.name(Name::parse("example.com.").wire()));
      const std::size_t start = w.size();
      REQUIRE(rdata_write(type, rdata, w));
      std::vector<uint8_t> read;
      REQUIRE(rdata_from_wire(type, w.data(), start, static_cast<uint16_t>(w.size() - start), read));
      // Compression matches names case-insensitively, so a compressed name
      // takes the case of its target (all such types lowercase canonically).
      auto expected = rdata;
      rdata_canonicalize(type, expected);
      rdata_canonicalize(type, read);
      REQUIRE(read == expected);
    }
  }
  CHECK(valid > 10000);
  CHECK(invalid > 5000);
}
