// Scanner errors: each carries file:line and what was expected/found, and the
// scan goes on so that every problem in a file is reported in one run.
#include <catch2/catch.hpp>

#include "dns/rrtype.h"
#include "tests/zones/zone_scan_helpers.h"

using namespace flatns;
using namespace flatns::zones;
using namespace flatns::zones::test;

namespace {
// The single error of a scan, as "file:line: message".
std::string only_error(const ScanResult& r) {
  INFO(r.error_text());
  CHECK_FALSE(r.ok);
  REQUIRE(r.errors.size() == 1);
  return r.errors[0].to_string();
}
}  // namespace

TEST_CASE("error: not a TTL, class or type") {
  auto r = scan_text("a 60 A 192.0.2.1\nwww INX A 192.0.2.1\n");
  CHECK(only_error(r) == "test.zone:2: expected a TTL, class or type, found 'INX'");
  CHECK(only_error(scan_text("www 60 INX A 192.0.2.1\n")) ==
        "test.zone:1: expected a class or type, found 'INX'");
  CHECK(only_error(scan_text("www IN INX A 192.0.2.1\n")) ==
        "test.zone:1: expected a TTL or type, found 'INX'");
  // The type was left out: the address is where the type should be.
  CHECK(only_error(scan_text("www 60 192.0.2.1\n")) ==
        "test.zone:1: expected a class or type, found '192.0.2.1'");
  CHECK(only_error(scan_text("www 60 IN 192.0.2.1\n")) ==
        "test.zone:1: expected a type, found '192.0.2.1'");
  CHECK(only_error(scan_text("www \"A\" 192.0.2.1\n")) ==
        "test.zone:1: expected a TTL, class or type, found '\"A\"'");
}

TEST_CASE("error: unknown RR type") {
  CHECK(only_error(scan_text("www 60 IN FOO 192.0.2.1\n")) == "test.zone:1: unknown RR type 'FOO'");
  CHECK(only_error(scan_text("www FOO bar\n")) == "test.zone:1: unknown RR type 'FOO'");
}

TEST_CASE("error: unbalanced parenthesis names the line where it opened") {
  auto r = scan_text(
      "a 60 A 192.0.2.1\n"
      "\n"
      "@ 60 SOA ns1 hm (\n"
      "   1 2 3 4 5\n"
      "   ; the ')' is missing\n");
  CHECK(only_error(r) == "test.zone:3: unbalanced parenthesis opened at line 3");
  CHECK(r.records.size() == 1);
}

TEST_CASE("error: after an unclosed parenthesis, scanning resumes at the next line in column 0") {
  auto r = scan_text(
      "@ 60 SOA ns1 hm (\n"
      "   1 2 3 4 5\n"
      "b 60 A 192.0.2.2\n"
      "c 60 FOO x\n"
      "d 60 A 192.0.2.4\n");
  std::vector<std::string> got;
  for (const auto& e : r.errors) got.push_back(e.to_string());
  CHECK(got == std::vector<std::string>{"test.zone:1: unbalanced parenthesis opened at line 1",
                                        "test.zone:4: unknown RR type 'FOO'"});
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0].owner.to_text() == "b.example.com.");
  CHECK(r.records[0].line == 3);
  CHECK(r.records[1].owner.to_text() == "d.example.com.");
}

TEST_CASE("error: closing parenthesis without an opening one") {
  auto r = scan_text("a 60 A 192.0.2.1 )\nb 60 A 192.0.2.2\n");
  CHECK(only_error(r) == "test.zone:1: ')' without an opening parenthesis");
  REQUIRE(r.records.size() == 1);
  CHECK(r.records[0].owner.to_text() == "b.example.com.");
}

TEST_CASE("error: unterminated quoted string, and the next line still scans") {
  auto r = scan_text("t 60 TXT \"no end\nu 60 A 192.0.2.1\n");
  CHECK(only_error(r) == "test.zone:1: unterminated quoted string");
  REQUIRE(r.records.size() == 1);
  CHECK(r.records[0].owner.to_text() == "u.example.com.");
  CHECK(only_error(scan_text("t 60 TXT \"at end of file")) ==
        "test.zone:1: unterminated quoted string");
}

TEST_CASE("error: classes other than IN") {
  CHECK(only_error(scan_text("version.bind. 0 CH TXT \"x\"\n")) ==
        "test.zone:1: class CH not supported");
  CHECK(only_error(scan_text("x HS 60 A 192.0.2.1\n")) == "test.zone:1: class HS not supported");
  // ANY is a class here because a type follows (and a meta type otherwise).
  CHECK(only_error(scan_text("x ANY A 192.0.2.1\n")) == "test.zone:1: class ANY not supported");
}

TEST_CASE("error: bad TTL on a record and in $TTL") {
  CHECK(only_error(scan_text("a 99999999999 A 192.0.2.1\n")) ==
        "test.zone:1: bad TTL '99999999999': larger than 4294967295 seconds");
  CHECK(only_error(scan_text("a 1x A 192.0.2.1\n")) ==
        "test.zone:1: bad TTL '1x': unexpected 'x' (units are s, m, h, d, w)");
  CHECK(only_error(scan_text("$TTL 1y\n")) ==
        "test.zone:1: $TTL: bad TTL '1y': unexpected 'y' (units are s, m, h, d, w)");
  CHECK(only_error(scan_text("$TTL\n")) == "test.zone:1: $TTL needs a TTL");
}

TEST_CASE("error: directives with wrong arguments, unknown directives") {
  CHECK(only_error(scan_text("$ORIGIN\n")) == "test.zone:1: $ORIGIN needs a domain name");
  CHECK(only_error(scan_text("$ORIGIN a. b.\n")) ==
        "test.zone:1: $ORIGIN takes one domain name, found extra 'b.'");
  CHECK(only_error(scan_text("$INCLUDE\n")) == "test.zone:1: $INCLUDE needs a file name");
  CHECK(only_error(scan_text("$FOO bar\n")) ==
        "test.zone:1: unknown directive '$FOO' (expected $ORIGIN, $TTL, $INCLUDE or $GENERATE)");
}

TEST_CASE("error: a directive indented like a record") {
  CHECK(only_error(scan_text("a 60 A 192.0.2.1\n  $ttl 60\n")) ==
        "test.zone:2: $TTL must start at the beginning of the line");
}

TEST_CASE("error: a blank-started line with no owner before it") {
  CHECK(only_error(scan_text("  60 A 192.0.2.1\n")) ==
        "test.zone:1: no owner name: the first record of a file must not start with a blank");
}

TEST_CASE("error: missing type, missing everything after the owner") {
  CHECK(only_error(scan_text("www 60 IN\n")) == "test.zone:1: missing RR type after 'IN'");
  CHECK(only_error(scan_text("www\n")) ==
        "test.zone:1: expected a TTL, class or type after the owner name, found end of line");
}

TEST_CASE("error: meta types cannot be records") {
  CHECK(only_error(scan_text("www 60 ANY 192.0.2.1\n")) ==
        "test.zone:1: RR type ANY cannot appear in a zone file");
}

TEST_CASE("error: bad owner name, lines inheriting it are checked but not emitted") {
  const std::string long_label(64, 'x');
  auto r = scan_text(long_label + " 60 A 192.0.2.1\n   60 A 192.0.2.300\n   60 A 192.0.2.2\nok 60 A 192.0.2.3\n");
  INFO(r.error_text());
  REQUIRE(r.errors.size() == 2);
  CHECK_THAT(r.errors[0].to_string(), Catch::StartsWith("test.zone:1: owner name '" + long_label + "': "));
  CHECK_THAT(r.errors[1].to_string(), Catch::StartsWith("test.zone:2: A"));
  REQUIRE(r.records.size() == 1);
  CHECK(r.records[0].owner.to_text() == "ok.example.com.");
}

TEST_CASE("error: RDATA errors come from the type's parser with file:line") {
  auto r = scan_text("a 60 A 192.0.2.1\n\nb 60 A not-an-address\n");
  INFO(r.error_text());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].file == "test.zone");
  CHECK(r.errors[0].line == 3);
  CHECK_THAT(r.errors[0].message, Catch::StartsWith("A"));
}

TEST_CASE("every error in a file is reported, valid records around them still scan") {
  auto r = scan_text(
      "$TTL 60\n"
      "a A 192.0.2.1\n"
      "b INX A 192.0.2.2\n"
      "c A 192.0.2.3\n"
      "d CH TXT \"x\"\n"
      "e FOO x\n"
      "f TXT \"open\n"
      "g A 192.0.2.7\n"
      "h SOA ns1 hm ( 1 2 3 4 5\n"
      "   ; never closed\n");
  CHECK_FALSE(r.ok);
  std::vector<std::string> got;
  for (const auto& e : r.errors) got.push_back(e.to_string());
  const std::vector<std::string> want = {
      "test.zone:3: expected a TTL, class or type, found 'INX'",
      "test.zone:5: class CH not supported",
      "test.zone:6: unknown RR type 'FOO'",
      "test.zone:7: unterminated quoted string",
      "test.zone:9: unbalanced parenthesis opened at line 9",
  };
  CHECK(got == want);
  REQUIRE(r.records.size() == 3);
  CHECK(r.records[0].owner.to_text() == "a.example.com.");
  CHECK(r.records[1].owner.to_text() == "c.example.com.");
  CHECK(r.records[2].owner.to_text() == "g.example.com.");
}

TEST_CASE("scanning stops after max_errors errors, saying so") {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "x FOO y\n";
  ZoneFileOptions options;
  options.max_errors = 10;
  auto r = scan_text(text, "example.com.", options);
  REQUIRE(r.errors.size() == 11);
  CHECK(r.errors[10].to_string() == "test.zone:11: too many errors, scanning stopped");
}
