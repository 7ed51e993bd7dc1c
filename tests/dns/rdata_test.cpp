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

TEST_CASE("SRV, NAPTR, DNAME, HINFO, URI and the RFC 1183 types", "[rdata]") {
  const Case cases[] = {
      {"SRV", "0 5 5060 sipserver.example.com.",
       "0000000513C409736970736572766572076578616D706C6503636F6D00", nullptr},
      {"NAPTR", "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
       "0064000A0153075349502B44325500045F736970045F756470076578616D706C6503636F6D00", nullptr},
      // RFC 3403 §6.2 example (regexp with backslashes).
      {"NAPTR", "100 50 \"a\" \"z3950+N2L+N2C\" \"!^urn:cid:.+@([^\\\\.]+\\\\.)(.*)$!\\\\2!i\" .",
       "0064003201610D7A333935302B4E324C2B4E324321215E75726E3A6369643A2E2B40285B5E5C2E5D2B5C2E29"
       "282E2A2924215C32216900",
       nullptr},
      {"DNAME", "example.net.", "076578616D706C65036E657400", nullptr},
      {"HINFO", "\"Generic PC clone\" \"NetBSD-1.4\"",
       "1047656E6572696320504320636C6F6E650A4E65744253442D312E34", nullptr},
      {"HINFO", "INTEL-386 Unix", "09494E54454C2D33383604556E6978", "\"INTEL-386\" \"Unix\""},
      {"URI", "10 1 \"ftp://ftp1.example.com/public\"",
       "000A00016674703A2F2F667470312E6578616D706C652E636F6D2F7075626C6963", nullptr},
      {"SPF", "\"v=spf1 -all\"", "0B763D73706631202D616C6C", nullptr},
      {"RP", "mbox.example. txt.example.", "046D626F78076578616D706C650003747874076578616D706C6500",
       nullptr},
      {"AFSDB", "1 afsdb.example.", "0001056166736462076578616D706C6500", nullptr},
      {"KX", "10 kx.example.", "000A026B78076578616D706C6500", nullptr},
      {"OPENPGPKEY", "AQID", "010203", nullptr},
  };
  for (const Case& c : cases) check_round_trip(c);
  CHECK(error_of("SRV", "0 5 65536 a.") == "SRV port: '65536' is not a 16-bit number");
  CHECK(error_of("HINFO", "\"x\"") == "HINFO: missing os");
}

TEST_CASE("TLSA, SSHFP and CAA", "[rdata]") {
  const Case cases[] = {
      {"TLSA", "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6",
       "0301010C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6", nullptr},
      {"SSHFP", "4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789",
       "0402123456789ABCDEF67890123456789ABCDEF67890123456789ABCDEF123456789",
       "4 2 123456789ABCDEF67890123456789ABCDEF67890123456789ABCDEF123456789"},
      {"CAA", "0 issue \"letsencrypt.org\"", "000569737375656C657473656E63727970742E6F7267",
       nullptr},
      {"CAA", "128 tbs \"Unknown\"", "8003746273556E6B6E6F776E", nullptr},
      {"CAA", "0 iodef \"mailto:security@example.com\"",
       "0005696F6465666D61696C746F3A7365637572697479406578616D706C652E636F6D", nullptr},
      {"CAA", "0 issue \";\"", "000569737375653B", nullptr},
      {"CAA", "0 issue \"\"", "00056973737565", nullptr},
  };
  for (const Case& c : cases) check_round_trip(c);
  CHECK(error_of("CAA", "0 is-sue \"x\"") == "CAA tag: 'is-sue' is not a tag of letters and digits");
  CHECK(error_of("CAA", "0 issue") == "CAA: missing value");
  CHECK(error_of("TLSA", "3 1 1 XYZ") == "TLSA certificate data: 'XYZ' is not an even number of hex digits");
  // CAA values are not limited to 255 octets (RFC 8659 §4.1).
  const std::string long_value(300, 'v');
  CHECK(parse_rdata("CAA", "0 issue \"" + long_value + "\"").ok);
}

TEST_CASE("SVCB and HTTPS SvcParams (RFC 9460)", "[rdata][svcb]") {
  const Case cases[] = {
      {"SVCB", "0 svc.example.net.", "000003737663076578616D706C65036E657400", nullptr},
      // Keys in any order in text, sorted on the wire and in output.
      {"SVCB",
       "1 . alpn=\"h2,h3\" ipv4hint=1.2.3.4 ech=AEX+ ipv6hint=2001:db8::1 key65000=\"ab c\" "
       "port=443 mandatory=alpn,port",
       "0001000000000400010003000100060268320268330003000201BB0004000401020304000500030045FE000600"
       "1020010DB8000000000000000000000001FDE8000461622063",
       "1 . mandatory=alpn,port alpn=\"h2,h3\" port=443 ipv4hint=1.2.3.4 ech=AEX+ "
       "ipv6hint=2001:db8::1 key65000=\"ab c\""},
      // As dig prints a real HTTPS record.
      {"HTTPS",
       "1 . alpn=\"h3,h2\" ipv4hint=104.16.132.229,104.16.133.229 "
       "ipv6hint=2606:4700::6810:84e5,2606:4700::6810:85e5",
       "0001000001000602683302683200040008681084E5681085E500060020260647000000000000000000681084E5"
       "260647000000000000000000681085E5",
       nullptr},
      // RFC 9460 Appendix D test vectors (D.2 figures 6, 7 and 9).
      {"HTTPS", "1 . alpn=\"f\\\\\\\\oo\\\\,bar,h2\"", "0001000001000C08665C6F6F2C626172026832",
       nullptr},
      {"SVCB", "16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1",
       "001003666F6F076578616D706C65036F7267000000000400010004000100090268320568332D31390004000"
       "4C0000201",
       "16 foo.example.org. mandatory=alpn,ipv4hint alpn=\"h2,h3-19\" ipv4hint=192.0.2.1"},
      {"SVCB", "1 foo.example.com. key667=\"hello\\210qoo\"",
       "000103666F6F076578616D706C6503636F6D00029B000968656C6C6FD2716F6F", nullptr},
      {"HTTPS", "1 . alpn=h2 no-default-alpn", "0001000001000302683200020000",
       "1 . alpn=\"h2\" no-default-alpn"},
  };
  for (const Case& c : cases) check_round_trip(c);
  CHECK(error_of("SVCB", "1 . alpn=h2 alpn=h3") == "SVCB parameters: alpn appears twice");
  CHECK(error_of("SVCB", "1 . mandatory=port alpn=h2") ==
        "SVCB parameters mandatory: lists port but the record has no port");
  CHECK(error_of("SVCB", "1 . mandatory=mandatory") ==
        "SVCB parameters mandatory: cannot list 'mandatory' itself");
  CHECK(error_of("SVCB", "1 . port=99999") == "SVCB parameters port: '99999' is not a 16-bit number");
  CHECK(error_of("SVCB", "1 . ipv4hint=1.2.3") ==
        "SVCB parameters ipv4hint: '1.2.3' is not an IPv4 address");
  CHECK(error_of("SVCB", "1 . ipv6hint=1.2.3.4x") ==
        "SVCB parameters ipv6hint: '1.2.3.4x' is not an IPv6 address");
  CHECK(error_of("SVCB", "1 . no-default-alpn") ==
        "SVCB parameters: no-default-alpn needs alpn as well");
  CHECK(error_of("SVCB", "1 . no-default-alpn=x alpn=h2") ==
        "SVCB parameters no-default-alpn: takes no value");
  CHECK(error_of("SVCB", "1 . foo=bar") == "SVCB parameters: 'foo' is not a SvcParamKey");
  CHECK(error_of("SVCB", "1 . key65535=x") == "SVCB parameters: 'key65535' is not a SvcParamKey");
  CHECK(error_of("SVCB", "1 . alpn=h2,,h3") ==
        "SVCB parameters alpn: protocol id '' must be 1 to 255 octets");
  // Wire form: keys must ascend strictly, values must fit their key.
  CHECK_FALSE(rdata_is_valid(rrtype::SVCB, from_hex("0001 00 0003000201BB 000100030268 32")));
  CHECK_FALSE(rdata_is_valid(rrtype::SVCB, from_hex("0001 00 0003000201BB 0003000201BB")));
  CHECK_FALSE(rdata_is_valid(rrtype::SVCB, from_hex("0001 00 00030003 01BB00")));
  CHECK(rdata_is_valid(rrtype::SVCB, from_hex("0001 00 0003000201BB")));
  // An empty ech has no text form (found by fuzz_message: it printed `ech=`,
  // which does not parse back), so the wire form refuses it too.
  CHECK(error_of("SVCB", "1 . ech=") == "SVCB parameters ech: '' is not base64");
  CHECK_FALSE(rdata_is_valid(rrtype::SVCB, from_hex("0001 00 00050000")));
  CHECK(rdata_is_valid(rrtype::SVCB, from_hex("0001 00 0005000100")));
}

TEST_CASE("ALIAS and ANAME hold one name like CNAME", "[rdata]") {
  for (const char* type : {"ALIAS", "ANAME"}) {
    const Parsed p = parse_rdata(type, "target.example.net.");
    REQUIRE(p.ok);
    CHECK(rdata_to_text(type_of(type), p.wire) == "target.example.net.");
    const auto target = rdata_target_name(type_of(type), p.wire);
    REQUIRE(target);
    CHECK(name_to_text(*target) == "target.example.net.");
  }
  CHECK(type_to_text(rrtype::ALIAS) == "ALIAS");
  CHECK(type_to_text(rrtype::ANAME) == "ANAME");
}

TEST_CASE("rdata_target_name finds the name to chase", "[rdata]") {
  auto target = [](const char* type, const char* text) {
    const Parsed p = parse_rdata(type, text);
    const auto t = rdata_target_name(type_of(type), p.wire);
    return t ? name_to_text(*t) : std::string("<none>");
  };
  CHECK(target("MX", "10 mail.example.com.") == "mail.example.com.");
  CHECK(target("SRV", "0 5 5060 sip.example.com.") == "sip.example.com.");
  CHECK(target("NS", "ns1.example.com.") == "ns1.example.com.");
  CHECK(target("DNAME", "example.net.") == "example.net.");
  CHECK(target("CNAME", "www.example.org.") == "www.example.org.");
  CHECK(target("PTR", "host.example.net.") == "host.example.net.");
  CHECK(target("SOA", "a. b. 1 2 3 4 5") == "<none>");
  CHECK(target("A", "192.0.2.1") == "<none>");
}

TEST_CASE("RFC 1035 types compress names on output, others never do", "[rdata][wire]") {
  std::vector<uint8_t> buffer(512);
  WireWriter w(buffer);
  const Name owner = Name::parse("example.com.");
  REQUIRE(w.name(owner.wire()));  // offset 0
  const Parsed mx = parse_rdata("MX", "10 mail.example.com.");
  REQUIRE(rdata_write(rrtype::MX, mx.wire, w));
  // preference, "mail", then a pointer to offset 0.
  CHECK(hex_encode(w.data().subspan(13)) == "000A046D61696CC000");
  const std::size_t before_srv = w.size();
  const Parsed srv = parse_rdata("SRV", "0 5 5060 sip.example.com.");
  REQUIRE(rdata_write(rrtype::SRV, srv.wire, w));
  CHECK(std::vector<uint8_t>(w.data().begin() + before_srv, w.data().end()) == srv.wire);
  const std::size_t before_rrsig = w.size();
  const Parsed rrsig = parse_rdata("RRSIG", "A 13 2 300 0 0 1 example.com. AAAA");
  REQUIRE(rdata_write(rrtype::RRSIG, rrsig.wire, w));
  CHECK(std::vector<uint8_t>(w.data().begin() + before_rrsig, w.data().end()) == rrsig.wire);
  // SOA: both names compress.
  const std::size_t before_soa = w.size();
  const Parsed soa = parse_rdata("SOA", "ns.example.com. hostmaster.example.com. 1 2 3 4 5");
  REQUIRE(rdata_write(rrtype::SOA, soa.wire, w));
  CHECK(w.size() - before_soa < soa.wire.size());
  // Reading back expands both names.
  std::vector<uint8_t> back;
  REQUIRE(rdata_from_wire(rrtype::SOA, w.data(), before_soa,
                          static_cast<uint16_t>(w.size() - before_soa), back));
  CHECK(back == soa.wire);
}

TEST_CASE("rdata_from_wire rejects malformed RDATA", "[rdata][wire]") {
  // message: "com." at 0, then RDATA
  const auto message = [](const char* rdata_hex) {
    auto m = from_hex("03636F6D00");
    const auto r = from_hex(rdata_hex);
    m.insert(m.end(), r.begin(), r.end());
    return m;
  };
  std::vector<uint8_t> out;
  // MX with a compressed exchange: accepted and expanded.
  auto m = message("000A 046D61696C C000");
  REQUIRE(rdata_from_wire(rrtype::MX, m, 5, 9, out));
  CHECK(rdata_to_text(rrtype::MX, out) == "10 mail.com.");
  // NSEC must not carry compressed names (RFC 4034 §4.1.1).
  out.clear();
  m = message("C000 000140");
  CHECK_FALSE(rdata_from_wire(rrtype::NSEC, m, 5, 5, out));
  // A with 3 octets; RDLENGTH past the end of the message.
  out.clear();
  m = message("0A0000");
  CHECK_FALSE(rdata_from_wire(rrtype::A, m, 5, 3, out));
  CHECK_FALSE(rdata_from_wire(rrtype::A, m, 5, 4, out));
  // MX whose name runs past RDLENGTH; `out` keeps what it had.
  out = {0xAA};
  m = message("000A 046D61696C 00");
  CHECK_FALSE(rdata_from_wire(rrtype::MX, m, 5, 6, out));
  CHECK(out == std::vector<uint8_t>{0xAA});
  // Trailing octets after the last field.
  m = message("000A 00 FF");
  CHECK_FALSE(rdata_from_wire(rrtype::MX, m, 5, 4, out));
  // TXT whose character-string length runs past the end.
  m = message("05616263");
  CHECK_FALSE(rdata_from_wire(rrtype::TXT, m, 5, 4, out));
  // Unknown types are copied as they are.
  out.clear();
  m = message("C000");
  REQUIRE(rdata_from_wire(65534, m, 5, 2, out));
  CHECK(out == from_hex("C000"));
}

TEST_CASE("canonical form lowercases the RFC 4034 6.2 types only", "[rdata][canonical]") {
  auto canonical = [](const char* type, const char* text) {
    Parsed p = parse_rdata(type, text);
    rdata_canonicalize(type_of(type), p.wire);
    return rdata_to_text(type_of(type), p.wire);
  };
  CHECK(canonical("MX", "10 MAIL.Example.COM.") == "10 mail.example.com.");
  CHECK(canonical("SOA", "NS.Example. Host.Example. 1 2 3 4 5") ==
        "ns.example. host.example. 1 2 3 4 5");
  CHECK(canonical("SRV", "0 1 2 SIP.Example.") == "0 1 2 sip.example.");
  CHECK(canonical("NAPTR", "1 2 \"S\" \"SIP\" \"\" _SIP._UDP.Example.") ==
        "1 2 \"S\" \"SIP\" \"\" _sip._udp.example.");
  CHECK(canonical("RRSIG", "A 13 2 300 0 0 1 Example.COM. AAAA") ==
        "A 13 2 300 19700101000000 19700101000000 1 example.com. AAAA");
  CHECK(canonical("DNAME", "Example.NET.") == "example.net.");
  // RFC 6840 §5.1: NSEC's next name keeps its case; so do SVCB targets and text.
  CHECK(canonical("NSEC", "Host.Example. A") == "Host.Example. A");
  CHECK(canonical("SVCB", "1 Svc.Example.") == "1 Svc.Example.");
  CHECK(canonical("TXT", "\"ABC\"") == "\"ABC\"");
}

TEST_CASE("type and class mnemonics", "[rrtype]") {
  uint16_t t = 0;
  CHECK((type_from_text("nsec3param", t) && t == rrtype::NSEC3PARAM));
  CHECK((type_from_text("TYPE65534", t) && t == 65534));
  CHECK((type_from_text("type1", t) && t == 1));
  CHECK_FALSE(type_from_text("TYPE65536", t));
  CHECK_FALSE(type_from_text("TYPE", t));
  CHECK_FALSE(type_from_text("TYPE1x", t));
  CHECK_FALSE(type_from_text("BOGUS", t));
  CHECK(type_to_text(rrtype::HTTPS) == "HTTPS");
  CHECK(type_to_text(65534) == "TYPE65534");
  CHECK(type_to_text(rrtype::CAA) == "CAA");
  uint16_t c = 0;
  CHECK((class_from_text("in", c) && c == rrclass::IN));
  CHECK((class_from_text("CH", c) && c == rrclass::CH));
  CHECK((class_from_text("CLASS32", c) && c == 32));
  CHECK_FALSE(class_from_text("XX", c));
  CHECK(class_to_text(rrclass::HS) == "HS");
  CHECK(class_to_text(32) == "CLASS32");
}

TEST_CASE("LOC, EUI48/64, ILNP, CERT, APL, IPSECKEY and DSYNC", "[rdata]") {
  const Case cases[] = {
      // RFC 1876 examples; wire checked against dnspython, text as BIND prints it.
      {"LOC", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m",
       "000016138B3CF018810CBCE0009895B8", nullptr},
      {"LOC", "42 21 54 N 71 06 18 W -24m 30m", "0033161389172DD070BE15F000988D20",
       "42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m"},
      {"LOC", "42 21 43.952 N 71 5 6.344 W -24m 1m 200m 10m",
       "001224138917069070BF2DD800988D20", "42 21 43.952 N 71 5 6.344 W -24.00m 1m 200m 10m"},
      {"LOC", "60 9 0.000 S 24 39 0.000 W 10.00m 20m 2000m 20m",
       "002325237317DCA07AB5EF6000989A68", nullptr},
      {"LOC", "0 S 0 W 0m", "00121613800000008000000000989680",
       "0 0 0.000 N 0 0 0.000 E 0.00m 1m 10000m 10m"},
      {"EUI48", "00-00-5e-00-53-2a", "00005E00532A", nullptr},
      {"EUI64", "00-00-5E-EF-10-00-00-2A", "00005EEF1000002A", "00-00-5e-ef-10-00-00-2a"},
      {"L32", "10 10.1.2.0", "000A0A010200", nullptr},
      {"L64", "10 2001:0DB8:1140:1000", "000A20010DB811401000", "10 2001:0db8:1140:1000"},
      {"NID", "10 0014:4fff:ff20:ee64", "000A00144FFFFF20EE64", nullptr},
      {"LP", "10 l64-subnet1.example.com.",
       "000A0B6C36342D7375626E657431076578616D706C6503636F6D00", nullptr},
      {"CERT", "PGP 0 0 AQID", "0003000000010203", nullptr},
      {"CERT", "1 2 RSASHA256 AQID", "0001000208010203", "PKIX 2 RSASHA256 AQID"},
      {"APL", "1:192.168.32.0/21 !1:192.168.38.0/28", "00011503C0A82000011C83C0A826", nullptr},
      {"APL", "1:224.0.0.0/4 2:FF00:0:0:0:0:0:0:0/8", "00010401E000020801FF",
       "1:224.0.0.0/4 2:ff00::/8"},
      {"APL", "1:0.0.0.0/0", "00010000", nullptr},
      // RFC 4025 §3.3 examples, wire checked against dnspython.
      {"IPSECKEY", "10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==",
       "0A0102C0000226010351537986ED35533B6064478EEEB27B5BD74DAE149B6E81BA3A0521AF82AB7801",
       nullptr},
      {"IPSECKEY", "10 0 2 . AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==",
       "0A0002010351537986ED35533B6064478EEEB27B5BD74DAE149B6E81BA3A0521AF82AB7801", nullptr},
      {"IPSECKEY", "10 3 2 mygateway.example.com. AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==",
       "0A0302096D7967617465776179076578616D706C6503636F6D00010351537986ED35533B6064478EEEB27B5BD7"
       "4DAE149B6E81BA3A0521AF82AB7801",
       nullptr},
      {"IPSECKEY", "10 2 2 2001:0DB8:0:8002::2000:1 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==",
       "0A020220010DB8000080020000000020000001010351537986ED35533B6064478EEEB27B5BD74DAE149B6E81BA"
       "3A0521AF82AB7801",
       "10 2 2 2001:db8:0:8002::2000:1 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="},
      {"IPSECKEY", "10 1 0 192.0.2.38", "0A0100C0000226", nullptr},
      {"DSYNC", "CDS 1 5359 ds-scanner.example.net.",
       "003B0114EF0A64732D7363616E6E6572076578616D706C65036E657400", nullptr},
  };
  for (const Case& c : cases) check_round_trip(c);
  CHECK(error_of("IPSECKEY", "10 1 2 ::1 AQID") == "IPSECKEY gateway: '::1' is not an IPv4 address");
  CHECK(error_of("IPSECKEY", "10 4 2 x AQID") ==
        "IPSECKEY gateway: 'x' is not valid: gateway type must be 0 to 3");
  CHECK(error_of("IPSECKEY", "10 0 2 x. AQID") == "IPSECKEY gateway: 'x.' is not '.' (no gateway)");
  const Parsed empty_apl = parse_rdata("APL", "");
  REQUIRE(empty_apl.ok);
  CHECK(empty_apl.wire.empty());
  CHECK(error_of("LOC", "91 N 0 E 0m") == "LOC latitude: more than 90 degrees");
  CHECK(error_of("LOC", "52 22 23.000 X 4 E 0m") == "LOC latitude: 'X' is not N or S");
  CHECK(error_of("LOC", "52 22 x N 4 E 0m") == "LOC latitude: 'x' is not a number of seconds");
  CHECK(error_of("LOC", "52 60 N 4 E 0m") == "LOC latitude: minutes and seconds must be below 60");
  CHECK(error_of("LOC", "52 N 4 E") ==
        "LOC altitude: needs a height in meters from -100000.00 to 42849672.95");
  CHECK(error_of("LOC", "52 N 4 E 0m 1x") ==
        "LOC size: '1x' is not a length in meters from 0 to 90000000.00");
  CHECK(error_of("EUI48", "00-00-5e-00-53") == "EUI48: '00-00-5e-00-53' is not 6 hex pairs separated by '-'");
  CHECK(error_of("APL", "3:1.2.3.4/8") ==
        "APL: '3:1.2.3.4/8' is not [!]family:address/prefix with family 1 (IPv4) or 2 (IPv6)");
  // LOC version 1 is not understood: printed in generic form.
  CHECK(rdata_to_text(29, from_hex("010016138B3CF018810CBCE0009895B8")) ==
        "\\# 16 010016138B3CF018810CBCE0009895B8");
}
