// Master-file syntax (RFC 1035 §5.1, RFC 2308 §4), one test per feature.
#include <catch2/catch.hpp>

#include "dns/rrtype.h"
#include "tests/zones/zone_scan_helpers.h"

using namespace flatns;
using namespace flatns::zones;
using namespace flatns::zones::test;
namespace rrtype = flatns::dns::rrtype;

TEST_CASE("a full record: owner, TTL, class, type, rdata, file and line") {
  auto r = scan_text("www 3600 IN A 192.0.2.1\n");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 1);
  const auto& rec = r.records[0];
  CHECK(rec.owner.to_text() == "www.example.com.");
  CHECK(rec.ttl == 3600);
  CHECK(rec.rclass == dns::rrclass::IN);
  CHECK(rec.type == rrtype::A);
  CHECK(rec.rdata == bytes({192, 0, 2, 1}));
  CHECK(rec.file == "test.zone");
  CHECK(rec.line == 1);
}

TEST_CASE("$ORIGIN: absolute, then relative to the current origin") {
  auto r = scan_text(
      "$ORIGIN example.org.\n"
      "a 60 A 192.0.2.1\n"
      "$ORIGIN sub\n"
      "b 60 A 192.0.2.2\n"
      "c.example.net. 60 A 192.0.2.3\n");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 3);
  CHECK(r.records[0].owner.to_text() == "a.example.org.");
  CHECK(r.records[1].owner.to_text() == "b.sub.example.org.");
  CHECK(r.records[2].owner.to_text() == "c.example.net.");
}

TEST_CASE("relative names inside RDATA complete with the current origin") {
  auto r = scan_text("$ORIGIN example.org.\n@ 60 NS ns1\n@ 60 MX 10 mail.example.net.\n");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0].rdata == wire_name("ns1.example.org."));
  auto mx = bytes({0, 10});
  const auto target = wire_name("mail.example.net.");
  mx.insert(mx.end(), target.begin(), target.end());
  CHECK(r.records[1].rdata == mx);
}

TEST_CASE("@ is the origin") {
  auto r = scan_text("@ 60 A 192.0.2.1\n$ORIGIN other.test.\n@ 60 A 192.0.2.2\n");
  INFO(r.error_text());
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0].owner.to_text() == "example.com.");
  CHECK(r.records[1].owner.to_text() == "other.test.");
}

TEST_CASE("a line starting with a blank reuses the previous owner") {
  auto r = scan_text(
      "host 60 A 192.0.2.1\n"
      "     60 AAAA 2001:db8::1\n"
      "\t60 TXT \"x\"\n"
      "other 60 A 192.0.2.2\n");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 4);
  CHECK(r.records[1].owner.to_text() == "host.example.com.");
  CHECK(r.records[1].type == rrtype::AAAA);
  CHECK(r.records[2].owner.to_text() == "host.example.com.");
  CHECK(r.records[3].owner.to_text() == "other.example.com.");
}

TEST_CASE("the owner of an $INCLUDEd file does not leak back into the including file") {
  // RFC 1035 §5.1: $INCLUDE leaves the including file's origin alone; as in
  // BIND, its current owner too.
  auto r = scan_path(FLATNS_TEST_DATA_DIR "/zones/main.zone", "example.com.");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 10);
  CHECK(r.records.back().owner.to_text() == "after.example.com.");
}

TEST_CASE("TTL and class in either order, or omitted") {
  auto r = scan_text(
      "$TTL 99\n"
      "a IN 300 A 192.0.2.1\n"
      "b 300 IN A 192.0.2.2\n"
      "c IN A 192.0.2.3\n"
      "d 301 A 192.0.2.4\n"
      "e A 192.0.2.5\n");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 5);
  CHECK(r.records[0].ttl == 300);
  CHECK(r.records[1].ttl == 300);
  CHECK(r.records[2].ttl == 99);
  CHECK(r.records[3].ttl == 301);
  CHECK(r.records[4].ttl == 99);
  for (const auto& rec : r.records) CHECK(rec.rclass == dns::rrclass::IN);
}

TEST_CASE("names that look like types or classes are owners in the first column") {
  auto r = scan_text("A 60 A 192.0.2.1\nIN 60 IN A 192.0.2.2\n");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0].owner.to_text() == "A.example.com.");
  CHECK(r.records[1].owner.to_text() == "IN.example.com.");
}

TEST_CASE("TTL units: s m h d w, combined, case-insensitive") {
  uint32_t ttl = 0;
  std::string error;
  const std::pair<const char*, uint32_t> cases[] = {
      {"0", 0},         {"3600", 3600},   {"1h30m", 5400},   {"1H30M", 5400},
      {"1w2d", 777600}, {"2D", 172800},   {"90s", 90},       {"1h30", 3630},
      {"4294967295", 4294967295u},        {"1W1D1H1M1S", 604800 + 86400 + 3600 + 60 + 1}};
  for (const auto& [text, want] : cases) {
    INFO(text);
    REQUIRE(ttl_from_text(text, ttl, error));
    CHECK(ttl == want);
  }
  auto r = scan_text("a 1h30m A 192.0.2.1\n$TTL 2d\nb A 192.0.2.2\n");
  INFO(r.error_text());
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0].ttl == 5400);
  CHECK(r.records[1].ttl == 172800);
}

TEST_CASE("a TTL with the top bit set reads as 0 (RFC 2181 section 8), as BIND loads it") {
  auto r = scan_text("a 2147483647 A 192.0.2.1\nb 2147483648 A 192.0.2.2\n$TTL 4294967295\nc A 192.0.2.3\n");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 3);
  CHECK(r.records[0].ttl == 2147483647u);
  CHECK(r.records[1].ttl == 0);
  CHECK(r.records[2].ttl == 0);
}

TEST_CASE("TTL overflow and bad units are rejected with the reason") {
  uint32_t ttl = 0;
  std::string error;
  CHECK_FALSE(ttl_from_text("4294967296", ttl, error));
  CHECK(error == "bad TTL '4294967296': larger than 4294967295 seconds");
  CHECK_FALSE(ttl_from_text("7102w", ttl, error));  // 4,295,289,600 s
  CHECK(error == "bad TTL '7102w': larger than 4294967295 seconds");
  CHECK_FALSE(ttl_from_text("99999999999999999999", ttl, error));
  CHECK(error == "bad TTL '99999999999999999999': larger than 4294967295 seconds");
  CHECK_FALSE(ttl_from_text("1y", ttl, error));
  CHECK(error == "bad TTL '1y': unexpected 'y' (units are s, m, h, d, w)");
  CHECK_FALSE(ttl_from_text("1hh", ttl, error));
  CHECK(error == "bad TTL '1hh': unit 'h' without a number");
  CHECK_FALSE(ttl_from_text("", ttl, error));
}

TEST_CASE("omitted TTL without $TTL: the previous record's TTL, as BIND does") {
  auto r = scan_text("a 120 A 192.0.2.1\nb A 192.0.2.2\nc 7 A 192.0.2.3\nd A 192.0.2.4\n");
  INFO(r.error_text());
  REQUIRE(r.records.size() == 4);
  CHECK(r.records[1].ttl == 120);
  CHECK(r.records[3].ttl == 7);
}

TEST_CASE("omitted TTL on the first record: SOA MINIMUM for an SOA, else the default") {
  auto soa = scan_text("@ IN SOA ns1 hostmaster 1 7200 3600 1209600 321\nwww A 192.0.2.1\n");
  INFO(soa.error_text());
  REQUIRE(soa.records.size() == 2);
  CHECK(soa.records[0].ttl == 321);
  CHECK(soa.records[1].ttl == 321);

  ZoneFileOptions options;
  options.default_ttl = 1234;
  auto plain = scan_text("www A 192.0.2.1\n", "example.com.", options);
  REQUIRE(plain.records.size() == 1);
  CHECK(plain.records[0].ttl == 1234);
}

TEST_CASE("$TTL wins over the previous record's TTL") {
  auto r = scan_text("a 120 A 192.0.2.1\n$TTL 60\nb A 192.0.2.2\nc 5 A 192.0.2.3\nd A 192.0.2.4\n");
  REQUIRE(r.records.size() == 4);
  CHECK(r.records[1].ttl == 60);
  CHECK(r.records[3].ttl == 60);
}

TEST_CASE("parentheses join lines, the record keeps the line where it starts") {
  auto r = scan_text(
      "; header\n"
      "@ 3600 IN SOA ns1.example.com. hostmaster.example.com. (\n"
      "        2024010101 ; serial\n"
      "        7200       ; refresh\n"
      "        3600 1209600\n"
      "        300 )\n"
      "www 60 A 192.0.2.1\n");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0].type == rrtype::SOA);
  CHECK(r.records[0].line == 2);
  const auto& rd = r.records[0].rdata;
  REQUIRE(rd.size() >= 20);
  CHECK(std::vector<uint8_t>(rd.end() - 20, rd.end()) ==
        bytes({0x78, 0xa3, 0xf1, 0x75, 0, 0, 0x1c, 0x20, 0, 0, 0x0e, 0x10, 0, 0x12, 0x75, 0x00, 0,
               0, 1, 0x2c}));
  CHECK(r.records[1].line == 7);
}

TEST_CASE("parentheses may open anywhere, even around the type") {
  auto r = scan_text("www ( 60\n IN A\n 192.0.2.1 )\nnext 60 A 192.0.2.2\n");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0].rdata == bytes({192, 0, 2, 1}));
  CHECK(r.records[1].line == 4);
}

TEST_CASE("comments: whole lines, after records, and a semicolon inside quotes is text") {
  auto r = scan_text(
      "; a comment line\n"
      "   ; an indented comment line\n"
      "a 60 A 192.0.2.1 ; trailing comment\n"
      "b 60 TXT \"semi;colon\" ; real comment\n");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[1].rdata == bytes({10, 's', 'e', 'm', 'i', ';', 'c', 'o', 'l', 'o', 'n'}));
}

TEST_CASE("quoted strings keep escapes for the RDATA parser and may hold blanks") {
  auto r = scan_text("t 60 TXT \"say \\\"hi\\\"\" two\n");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 1);
  CHECK(r.records[0].rdata ==
        bytes({8, 's', 'a', 'y', ' ', '"', 'h', 'i', '"', 3, 't', 'w', 'o'}));
}

TEST_CASE("escapes in owner names: \\. inside a label, \\DDD, escaped blank") {
  auto r = scan_text("a\\.b 60 A 192.0.2.1\nc\\032d 60 A 192.0.2.2\ne\\ f 60 A 192.0.2.3\n");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 3);
  CHECK(r.records[0].owner.labels() == 3);
  CHECK(r.records[0].owner.wire()[0] == 3);  // "a.b" is one label
  CHECK(r.records[1].owner.to_text() == "c\\032d.example.com.");
  CHECK(r.records[2].owner.to_text() == "e\\032f.example.com.");
}

TEST_CASE("blank and whitespace-only lines are skipped") {
  auto r = scan_text("\n   \n\t\t\na 60 A 192.0.2.1\n \t \n\nb 60 A 192.0.2.2\n   ");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0].line == 4);
  CHECK(r.records[1].line == 7);
}

TEST_CASE("CRLF line endings") {
  auto r = scan_text(
      "$TTL 60\r\n@ SOA ns1 hm (\r\n 1 2 3 4 5 )\r\nwww A 192.0.2.1\r\n\tTXT \"x\"\r\n");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 3);
  CHECK(r.records[1].rdata == bytes({192, 0, 2, 1}));
  CHECK(r.records[2].owner.to_text() == "www.example.com.");
  CHECK(r.records[2].line == 5);
}

TEST_CASE("a file without a final newline") {
  auto r = scan_text("a 60 A 192.0.2.1\nb 60 A 192.0.2.2");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[1].rdata == bytes({192, 0, 2, 2}));
  auto comment_last = scan_text("a 60 A 192.0.2.1 ; no newline after this");
  CHECK(comment_last.records.size() == 1);
}

TEST_CASE("directives are case-insensitive") {
  auto r = scan_text("$origin example.org.\n$ttl 42\na A 192.0.2.1\n");
  INFO(r.error_text());
  REQUIRE(r.records.size() == 1);
  CHECK(r.records[0].owner.to_text() == "a.example.org.");
  CHECK(r.records[0].ttl == 42);
}

TEST_CASE("types and classes by RFC 3597 number") {
  auto r = scan_text("a 60 CLASS1 TYPE1 192.0.2.1\n");
  INFO(r.error_text());
  REQUIRE(r.records.size() == 1);
  CHECK(r.records[0].type == rrtype::A);
}
