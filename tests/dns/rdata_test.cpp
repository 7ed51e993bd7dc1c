// RDATA codecs: presentation -> wire -> presentation for each type, checked
// against the wire form dnspython 2.3 produces for the same text and the
// presentation dig prints, plus the error messages of bad input.
#include <catch2/catch.hpp>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "rdata_test_util.h"

using namespace flatns::dns;
using namespace flatns::dns::test;

namespace {

struct Case {
  const char* type;
  const char* text;      // as written in a zone file (origin "example.")
  const char* wire_hex;  // expected RDATA
  const char* printed;   // expected presentation; nullptr when equal to `text`
};

void check_round_trip(const Case& c) {
  INFO(c.type << " " << c.text);
  const uint16_t type = type_of(c.type);
  REQUIRE(type != 0);
  const Parsed p = parse_rdata(c.type, c.text);
  INFO("error: " << p.error);
  REQUIRE(p.ok);
  CHECK(hex_encode(p.wire) == std::string(c.wire_hex));
  CHECK(rdata_is_valid(type, p.wire));
  const std::string printed = rdata_to_text(type, p.wire);
  CHECK(printed == std::string(c.printed ? c.printed : c.text));
  // The printed form parses back to the same wire form.
  const Parsed again = parse_rdata(c.type, printed);
  REQUIRE(again.ok);
  CHECK(again.wire == p.wire);
  // Generic form of a known type is accepted and gives the same RDATA.
  const std::string generic = "\\# " + std::to_string(p.wire.size()) + " " + hex_encode(p.wire);
  const Parsed via_generic = parse_rdata(c.type, generic);
  REQUIRE(via_generic.ok);
  CHECK(via_generic.wire == p.wire);
}

std::string error_of(const char* type, const char* text) {
  const Parsed p = parse_rdata(type, text);
  return p.ok ? std::string("<accepted>") : p.error;
}

}  // namespace

TEST_CASE("RFC 1035 and 3596 types round trip through text and wire", "[rdata]") {
  const Case cases[] = {
      {"A", "192.0.2.1", "C0000201", nullptr},
      {"NS", "ns1.example.com.", "036E7331076578616D706C6503636F6D00", nullptr},
      {"CNAME", "www", "03777777076578616D706C6500", "www.example."},
      {"SOA", "a.root-servers.net. nstld.verisign-grs.com. 2026082201 1800 900 604800 86400",
       "01610C726F6F742D73657276657273036E657400056E73746C640C766572697369676E2D67727303636F6D"
       "0078C38F99000007080000038400093A8000015180",
       nullptr},
      {"SOA", "ns1 hostmaster 1 1h 15m 1w 1d",
       "036E7331076578616D706C65000A686F73746D6173746572076578616D706C6500"
       "0000000100000E100000038400093A8000015180",
       "ns1.example. hostmaster.example. 1 3600 900 604800 86400"},
      {"PTR", "host.example.net.", "04686F7374076578616D706C65036E657400", nullptr},
      {"MX", "10 mail.example.com.", "000A046D61696C076578616D706C6503636F6D00", nullptr},
      {"MX", "0 .", "000000", nullptr},
      {"TXT", "\"v=spf1 -all\" \"second string\"",
       "0B763D73706631202D616C6C0D7365636F6E6420737472696E67", nullptr},
      {"TXT", "\"a\\\"b\\\\c\\010\" unquoted", "066122625C630A08756E71756F746564",
       "\"a\\\"b\\\\c\\010\" \"unquoted\""},
      {"TXT", "\"\"", "00", nullptr},
      {"TXT", "\"caf\\195\\169\"", "05636166C3A9", nullptr},
      {"AAAA", "2001:db8::1", "20010DB8000000000000000000000001", nullptr},
      {"AAAA", "::ffff:192.0.2.1", "00000000000000000000FFFFC0000201", nullptr},
      {"AAAA", "2001:DB8:0:0:0:0:0:1", "20010DB8000000000000000000000001", "2001:db8::1"},
  };
  for (const Case& c : cases) check_round_trip(c);
}

TEST_CASE("RFC 3597 generic form works for every type", "[rdata]") {
  const Parsed p = parse_rdata("TYPE65534", "\\# 4 0A000001");
  REQUIRE(p.ok);
  CHECK(p.wire == from_hex("0A000001"));
  CHECK(rdata_to_text(65534, p.wire) == "\\# 4 0A000001");
  // Hex may be split across tokens and be lowercase.
  const Parsed split = parse_rdata("TYPE65534", "\\# 4 0a00 0001");
  REQUIRE(split.ok);
  CHECK(split.wire == p.wire);
  const Parsed empty = parse_rdata("TYPE65534", "\\# 0");
  REQUIRE(empty.ok);
  CHECK(empty.wire.empty());
  CHECK(rdata_to_text(65534, empty.wire) == "\\# 0");
  // Known type in generic form (RFC 3597 §5 example: A 10.0.0.1).
  const Parsed a = parse_rdata("A", "\\# 4 0A000001");
  REQUIRE(a.ok);
  CHECK(rdata_to_text(rrtype::A, a.wire) == "10.0.0.1");
}

TEST_CASE("RFC 3597 generic form errors", "[rdata]") {
  CHECK(error_of("TYPE65534", "\\# 3 0A000001") ==
        "TYPE65534: generic RDATA has 4 octets but its length says 3");
  CHECK(error_of("TYPE65534", "\\# x 00") ==
        "TYPE65534: generic RDATA length 'x' is not a number from 0 to 65535");
  CHECK(error_of("TYPE65534", "\\# 1 0G") == "TYPE65534: generic RDATA '0G' is not hexadecimal");
  CHECK(error_of("TYPE65534", "\\#") == "TYPE65534: generic RDATA '\\#' needs a length");
  CHECK(error_of("A", "\\# 3 0A0000") == "A: generic RDATA is not valid A data");
  CHECK(error_of("TYPE65534", "abcd") ==
        "TYPE65534: a type without a known format needs RFC 3597 generic RDATA "
        "('\\# length hex')");
}

TEST_CASE("Bad input names the field and the reason", "[rdata]") {
  CHECK(error_of("MX", "70000 mail.example.") ==
        "MX preference: '70000' is not a 16-bit number");
  CHECK(error_of("MX", "-1 mail.example.") == "MX preference: '-1' is not a 16-bit number");
  CHECK(error_of("MX", "10") == "MX: missing exchange");
  CHECK(error_of("MX", "10 a. b.") == "MX: unexpected 'b.' after the last field");
  CHECK(error_of("AAAA", "1::2::3") == "AAAA: '1::2::3' is not an IPv6 address");
  CHECK(error_of("A", "192.0.2") == "A: '192.0.2' is not an IPv4 address");
  CHECK(error_of("A", "192.0.2.256") == "A: '192.0.2.256' is not an IPv4 address");
  CHECK(error_of("A", "") == "A: missing address");
  CHECK(error_of("NS", "a..b.") == "NS: empty label in domain name 'a..b.'");
  CHECK(error_of("SOA", "a. b. 1 2 3 4") == "SOA: missing minimum");
  CHECK(error_of("SOA", "a. b. 4294967296 2 3 4 5") ==
        "SOA serial: '4294967296' is not a 32-bit number");
  CHECK(error_of("SOA", "a. b. 1 1x 3 4 5") ==
        "SOA refresh: '1x' is not a 32-bit number or a duration like 1h30m");
  CHECK(error_of("TXT", "") == "TXT: missing text");
  CHECK(error_of("TXT", "\"abc\\") == "TXT: lone backslash at the end in 'abc\\'");
  CHECK(error_of("TXT", "\"\\25\"") == "TXT: \\DDD escape needs three digits in '\\25'");
  CHECK(error_of("TXT", "\"\\256\"") == "TXT: \\DDD escape above 255 in '\\256'");
  CHECK(error_of("ANY", "1.2.3.4") == "ANY is a meta-type and cannot appear in zone data");
  CHECK(error_of("AXFR", "x") == "AXFR is a meta-type and cannot appear in zone data");
}

TEST_CASE("TXT character-strings are limited to 255 octets", "[rdata]") {
  const std::string ok(255, 'x');
  CHECK(parse_rdata("TXT", "\"" + ok + "\"").ok);
  const std::string too_long(256, 'x');
  CHECK(error_of("TXT", ("\"" + too_long + "\"").c_str()) ==
        "TXT: character-string is 256 octets long, the limit is 255 (split it into several "
        "quoted strings)");
  // An escape counts as one octet.
  std::string escaped;
  for (int i = 0; i < 255; ++i) escaped += "\\065";
  const Parsed p = parse_rdata("TXT", "\"" + escaped + "\"");
  REQUIRE(p.ok);
  CHECK(p.wire.size() == 256);
}

TEST_CASE("Names in RDATA are completed with the origin", "[rdata]") {
  const Parsed p = parse_rdata("MX", "10 @", "example.com.");
  REQUIRE(p.ok);
  CHECK(rdata_to_text(rrtype::MX, p.wire) == "10 example.com.");
  const Parsed q = parse_rdata("NS", "ns\\.1", "example.com.");
  REQUIRE(q.ok);
  CHECK(rdata_to_text(rrtype::NS, q.wire) == "ns\\.1.example.com.");
}
