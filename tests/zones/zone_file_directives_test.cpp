// $INCLUDE (RFC 1035 §5.1) and BIND's $GENERATE.
#include <catch2/catch.hpp>

#include "dns/rrtype.h"
#include "tests/zones/zone_scan_helpers.h"
#include "zones/zone_generate.h"

using namespace flatns;
using namespace flatns::zones;
using namespace flatns::zones::test;
namespace rrtype = flatns::dns::rrtype;

namespace {
const std::string kDir = FLATNS_TEST_DATA_DIR "/zones/";
}

TEST_CASE("$INCLUDE: path relative to the including file, optional origin, origin restored") {
  auto r = scan_path(kDir + "main.zone", "example.com.");
  INFO(r.error_text());
  REQUIRE(r.ok);
  std::vector<std::string> got;
  for (const auto& rec : r.records) {
    got.push_back(rec.owner.to_text() + " " + dns::type_to_text(rec.type) + " " +
                  rec.file.substr(rec.file.rfind("zones/") + 6) + ":" + std::to_string(rec.line));
  }
  const std::vector<std::string> want = {
      "example.com. SOA main.zone:3",
      "example.com. NS main.zone:4",
      "ns1.example.com. A main.zone:5",
      "host1.example.com. A sub/hosts.zone:1",
      "host1.example.com. AAAA sub/hosts.zone:2",
      "nested.example.com. TXT sub/nested.zone:1",
      "host1.lab.example.com. A sub/hosts.zone:1",
      "host1.lab.example.com. AAAA sub/hosts.zone:2",
      "nested.lab.example.com. TXT sub/nested.zone:1",
      "after.example.com. A main.zone:10",
  };
  CHECK(got == want);
  for (const auto& rec : r.records) CHECK(rec.ttl == 300);  // $TTL carries into included files
}

TEST_CASE("$INCLUDE from text held in memory resolves against the folder of its name") {
  ZoneFileOptions options;
  options.origin = dns::Name::parse("example.com.");
  std::vector<ParsedRecord> records;
  std::vector<ZoneFileError> errors;
  const bool ok = scan_zone_text("$INCLUDE nested.zone\n", kDir + "sub/virtual.zone", options,
                                 [&](ParsedRecord&& r) { records.push_back(std::move(r)); },
                                 errors);
  CHECK(ok);
  REQUIRE(records.size() == 1);
  CHECK(records[0].owner.to_text() == "nested.example.com.");
}

TEST_CASE("a CRLF file on disk without a final newline, with an $INCLUDE") {
  auto r = scan_path(kDir + "crlf.zone", "example.com.");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 4);
  CHECK(r.records[1].type == rrtype::NS);
  CHECK(r.records[1].line == 5);
  CHECK(r.records[2].owner.to_text() == "nested.example.com.");
  CHECK(r.records[3].owner.to_text() == "ns1.example.com.");
  CHECK(r.records[3].line == 7);
  CHECK(r.records[3].rdata == bytes({192, 0, 2, 1}));
}

TEST_CASE("$INCLUDE loop is an error naming the file and the chain") {
  auto r = scan_path(kDir + "loop-a.zone", "example.com.");
  CHECK_FALSE(r.ok);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].file == kDir + "loop-b.zone");
  CHECK(r.errors[0].line == 2);
  CHECK_THAT(r.errors[0].message,
             Catch::StartsWith("$INCLUDE loop: '" + kDir + "loop-a.zone' is already being read ("));
  CHECK_THAT(r.errors[0].message, Catch::Contains("loop-a.zone -> "));
  CHECK_THAT(r.errors[0].message, Catch::Contains("loop-b.zone -> "));
  CHECK(r.records.size() == 2);  // what was read before the loop still scans

  auto self = scan_path(kDir + "self-include.zone", "example.com.");
  REQUIRE(self.errors.size() == 1);
  CHECK_THAT(self.errors[0].to_string(),
             Catch::StartsWith(kDir + "self-include.zone:2: $INCLUDE loop: '" + kDir +
                               "self-include.zone' is already being read"));
}

TEST_CASE("$INCLUDE depth limit") {
  ZoneFileOptions options;
  options.max_include_depth = 1;
  auto r = scan_path(kDir + "main.zone", "example.com.", options);
  CHECK_FALSE(r.ok);
  REQUIRE(r.errors.size() == 2);  // hosts.zone is read twice, nested.zone refused twice
  CHECK(r.errors[0].file == kDir + "sub/hosts.zone");
  CHECK(r.errors[0].line == 3);
  CHECK(r.errors[0].message == "$INCLUDE of '" + kDir + "sub/nested.zone' nested deeper than 1 levels");
  CHECK(r.records.size() == 8);
}

TEST_CASE("$INCLUDE of a missing file: error at the $INCLUDE line, scanning goes on") {
  auto r = scan_path(kDir + "missing-include.zone", "example.com.");
  CHECK_FALSE(r.ok);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].to_string() == kDir + "missing-include.zone:2: cannot read zone file '" +
                                        kDir + "no-such-file.zone': No such file or directory");
  CHECK(r.records.size() == 2);
}

TEST_CASE("a zone file that does not exist") {
  auto r = scan_path(kDir + "absent.zone", "example.com.");
  CHECK_FALSE(r.ok);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message ==
        "cannot read zone file '" + kDir + "absent.zone': No such file or directory");
}

TEST_CASE("$GENERATE: RFC 2317 example from the BIND ARM") {
  auto r = scan_text(
      "$ORIGIN 0.0.192.IN-ADDR.ARPA.\n"
      "$GENERATE 1-2 0 NS SERVER$.EXAMPLE.\n"
      "$GENERATE 1-127 $ CNAME $.0\n",
      "0.0.192.in-addr.arpa.");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 129);
  CHECK(r.records[0].owner.to_text() == "0.0.0.192.IN-ADDR.ARPA.");
  CHECK(r.records[0].rdata == wire_name("SERVER1.EXAMPLE."));
  CHECK(r.records[1].rdata == wire_name("SERVER2.EXAMPLE."));
  CHECK(r.records[2].owner.to_text() == "1.0.0.192.IN-ADDR.ARPA.");
  CHECK(r.records[2].rdata == wire_name("1.0.0.0.192.IN-ADDR.ARPA."));
  CHECK(r.records[128].owner.to_text() == "127.0.0.192.IN-ADDR.ARPA.");
  CHECK(r.records[128].line == 3);
}

TEST_CASE("$GENERATE: step, TTL and class in either order") {
  auto r = scan_text("$GENERATE 10-20/5 host$ IN 77 A 192.0.2.$\n");
  INFO(r.error_text());
  REQUIRE(r.records.size() == 3);
  CHECK(r.records[0].owner.to_text() == "host10.example.com.");
  CHECK(r.records[2].owner.to_text() == "host20.example.com.");
  CHECK(r.records[2].rdata == bytes({192, 0, 2, 20}));
  CHECK(r.records[1].ttl == 77);
}

TEST_CASE("$GENERATE modifiers ${offset,width,base}") {
  std::string out, error;
  const auto sub = [&](std::string_view pattern, uint32_t v) {
    out.clear();
    REQUIRE(generate_substitute(pattern, v, out, error));
    return out;
  };
  CHECK(sub("h$", 7) == "h7");
  CHECK(sub("h${0}", 7) == "h7");
  CHECK(sub("h${10}", 7) == "h17");
  CHECK(sub("h${-2}", 7) == "h5");
  CHECK(sub("h${0,3}", 7) == "h007");
  CHECK(sub("h${0,4,x}", 255) == "h00ff");
  CHECK(sub("h${0,1,X}", 255) == "hFF");
  CHECK(sub("h${0,3,o}", 8) == "h010");
  CHECK(sub("${0,0,n}", 0x1a2) == "2.a.1");
  CHECK(sub("${0,7,N}", 0xab) == "B.A.0.0");
  CHECK(sub("a\\$b$", 3) == "a\\$b3");  // \$ stays an escape: a literal '$'
  CHECK(sub("$$", 4) == "44");

  CHECK_FALSE(generate_substitute("${1,2,q}", 1, out, error));
  CHECK(error == "bad $GENERATE modifier '${1,2,q}': expected ${offset[,width[,base]]} with base d, o, x, X, n or N");
  CHECK_FALSE(generate_substitute("${1", 1, out, error));
  CHECK(error == "unterminated $GENERATE modifier in '${1'");
  CHECK_FALSE(generate_substitute("${-5}", 1, out, error));
  CHECK(error == "$GENERATE modifier '${-5}' gives a negative value for 1");
}

TEST_CASE("$GENERATE: escaped \\$ is a literal dollar in the owner") {
  auto r = scan_text("$GENERATE 1-1 a\\$$ 60 A 192.0.2.$\n");
  INFO(r.error_text());
  REQUIRE(r.records.size() == 1);
  CHECK(r.records[0].owner.to_text() == "a\\$1.example.com.");
}

TEST_CASE("$GENERATE: one quoted right-hand side holds several fields, as in BIND") {
  auto r = scan_text("$GENERATE 1-2 @ 60 MX \"${0,2} mx$\"\n$GENERATE 3-3 t$ 60 TXT \"\\\"v $\\\"\"\n");
  INFO(r.error_text());
  REQUIRE(r.ok);
  REQUIRE(r.records.size() == 3);
  auto want = bytes({0, 2});
  const auto name = wire_name("mx2.example.com.");
  want.insert(want.end(), name.begin(), name.end());
  CHECK(r.records[1].rdata == want);
  CHECK(r.records[2].rdata == bytes({3, 'v', ' ', '3'}));
}

TEST_CASE("$GENERATE: several right-hand side tokens are each substituted") {
  auto r = scan_text("$GENERATE 5-5 @ 60 MX $ mx$\n");
  INFO(r.error_text());
  REQUIRE(r.records.size() == 1);
  auto want = bytes({0, 5});
  const auto name = wire_name("mx5.example.com.");
  want.insert(want.end(), name.begin(), name.end());
  CHECK(r.records[0].rdata == want);
}

TEST_CASE("$GENERATE range errors") {
  auto r = scan_text(
      "$GENERATE 5-1 h$ A 192.0.2.$\n"
      "$GENERATE 1-x h$ A 192.0.2.$\n"
      "$GENERATE 1-5/0 h$ A 192.0.2.$\n"
      "$GENERATE 0-4294967295 h$ A 192.0.2.1\n"
      "$GENERATE 1-2 h$ A\n");
  CHECK_FALSE(r.ok);
  REQUIRE(r.errors.size() == 5);
  CHECK(r.errors[0].to_string() == "test.zone:1: bad $GENERATE range '5-1': start is above stop");
  CHECK(r.errors[1].to_string() ==
        "test.zone:2: bad $GENERATE range '1-x': expected start-stop or start-stop/step");
  CHECK(r.errors[2].to_string() == "test.zone:3: bad $GENERATE range '1-5/0': step must be at least 1");
  CHECK(r.errors[3].to_string() ==
        "test.zone:4: $GENERATE range '0-4294967295' makes 4294967296 records, more than 16777216");
  CHECK(r.errors[4].to_string() == "test.zone:5: $GENERATE needs: range lhs [ttl] [class] type rhs");
  CHECK(r.records.empty());
}
