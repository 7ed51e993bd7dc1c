// DNSSEC record types (RFC 4034, 5155, 7344, 8976): real records from the
// root zone and the RFC 5155 example zone, wire forms checked against
// dnspython 2.3, presentation as dig prints it (hex uppercase, base64 and
// hex without spaces, NSEC3 hashes in uppercase base32hex).
#include <catch2/catch.hpp>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/type_bitmap.h"
#include "rdata_test_util.h"

using namespace flatns::dns;
using namespace flatns::dns::test;

namespace {

void check(const char* type, const std::string& text, const char* wire_hex, const char* printed) {
  INFO(type << " " << text);
  const Parsed p = parse_rdata(type, text);
  INFO("error: " << p.error);
  REQUIRE(p.ok);
  CHECK(hex_encode(p.wire) == wire_hex);
  CHECK(rdata_to_text(type_of(type), p.wire) == printed);
  const Parsed again = parse_rdata(type, printed);
  REQUIRE(again.ok);
  CHECK(again.wire == p.wire);
}

std::string error_of(const char* type, const std::string& text) {
  const Parsed p = parse_rdata(type, text);
  return p.ok ? std::string("<accepted>") : p.error;
}

}  // namespace

TEST_CASE("DS and CDS", "[rdata][dnssec]") {
  const char* wire = "5A910802B18D0EC8791D98E167CA4D9745A0C27A6377E099D8F6A16A09567492AB16B7DE";
  const char* printed = "23185 8 2 B18D0EC8791D98E167CA4D9745A0C27A6377E099D8F6A16A09567492AB16B7DE";
  check("DS", printed, wire, printed);
  // Split and lowercase digests (as `dig` prints them) are accepted.
  check("CDS", "23185 8 2 b18d0ec8791d98e167ca4d9745a0c27a 6377e099d8f6a16a09567492ab16b7de", wire,
        printed);
  check("DS", "23185 RSASHA256 2 B18D0EC8791D98E167CA4D9745A0C27A6377E099D8F6A16A09567492AB16B7DE",
        wire, printed);
  CHECK(error_of("DS", "23185 8 2 B18D0EC") ==
        "DS digest: 'B18D0EC' is not an even number of hex digits");
  CHECK(error_of("DS", "23185 8 2") == "DS: missing digest");
  CHECK(error_of("DS", "23185 RSASHA999 2 00") ==
        "DS algorithm: 'RSASHA999' is not an algorithm number or mnemonic");
  CHECK(error_of("DS", "65536 8 2 00") == "DS key tag: '65536' is not a 16-bit number");
  CHECK(error_of("DS", "1 8 256 00") == "DS digest type: '256' is not an 8-bit number");
}

TEST_CASE("DNSKEY and CDNSKEY", "[rdata][dnssec]") {
  check("DNSKEY",
        "256 3 7 AwEAAaetidLzsKWUt4swWR8yu0wPHPiUi8LU sAD0QPWU+wzt89epO6tHzkMBVDkC7qphQO2h "
        "TY4hHn9npWFRw5BYubE=",
        "0100030703010001A7AD89D2F3B0A594B78B30591F32BB4C0F1CF8948BC2D4B000F440F594FB0CEDF3D7A93BA"
        "B47CE4301543902EEAA6140EDA14D8E211E7F67A56151C39058B9B1",
        "256 3 7 AwEAAaetidLzsKWUt4swWR8yu0wPHPiUi8LUsAD0QPWU+wzt89epO6tHzkMBVDkC7qphQO2hTY4hHn9npW"
        "FRw5BYubE=");
  check("CDNSKEY",
        "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L"
        "53eKGQ==",
        "0101030D99DB2CC14CABDC33D6D77DA63A2F15F71112584F234E8D1DC428E39E8A4A97E1AA271A555DC90701E"
        "17E2A4C4B6F120B7C32D44F4AC02BD894CF2D4BE7778A19",
        "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L"
        "53eKGQ==");
  CHECK(error_of("DNSKEY", "257 3 13 abc!") == "DNSKEY public key: 'abc!' is not base64");
  CHECK(error_of("DNSKEY", "257 3 13") == "DNSKEY: missing public key");
}

TEST_CASE("RRSIG with both time forms", "[rdata][dnssec]") {
  check("RRSIG",
        "SOA 7 1 3600 20150420235959 20051021000000 ( 40430 example.\n"
        "  Hu25UIyNPmvPIVBrldN+9Mlp9Zql39qaUd8i q4ZLlYWfUUbbAS41pG+68z81q1xhkYAcEyHd\n"
        "  VI2LmKusbZsT0Q== )",
        "0006070100000E10553592FF43582F809DEE076578616D706C65001EEDB9508C8D3E6BCF21506B95D37EF4C96"
        "9F59AA5DFDA9A51DF22AB864B95859F5146DB012E35A46FBAF33F35AB5C6191801C1321DD548D8B98ABAC6D9B1"
        "3D1",
        "SOA 7 1 3600 20150420235959 20051021000000 40430 example. Hu25UIyNPmvPIVBrldN+9Mlp9Zql39q"
        "aUd8iq4ZLlYWfUUbbAS41pG+68z81q1xhkYAcEyHdVI2LmKusbZsT0Q==");
  // Plain integers are seconds since 1970; 2^32-1 is 2106-02-07 06:28:15.
  check("RRSIG", "A 13 2 300 4294967295 0 1 example. AAAA",
        "00010D020000012CFFFFFFFF000000000001076578616D706C6500000000",
        "A 13 2 300 21060207062815 19700101000000 1 example. AAAA");
  check("RRSIG", "TYPE65534 ECDSAP256SHA256 2 300 20240229120000 20240101000000 1 sub AAAA",
        "FFFE0D020000012C65E071C065920080000103737562076578616D706C6500000000",
        "TYPE65534 13 2 300 20240229120000 20240101000000 1 sub.example. AAAA");
  CHECK(error_of("RRSIG", "A 13 2 300 20230229000000 0 1 example. AAAA") ==
        "RRSIG expiration: '20230229000000' is not a time (YYYYMMDDHHmmSS in UTC, or seconds "
        "since 1970)");
  CHECK(error_of("RRSIG", "A 13 2 300 2023022900000 0 1 example. AAAA").find("RRSIG expiration") ==
        0);
  CHECK(error_of("RRSIG", "BOGUS 13 2 300 0 0 1 example. AAAA") ==
        "RRSIG type covered: 'BOGUS' is not an RR type");
}

TEST_CASE("NSEC type bitmaps", "[rdata][dnssec]") {
  check("NSEC", "aaa. NS SOA RRSIG NSEC DNSKEY ZONEMD", "036161610000082200000000038001",
        "aaa. NS SOA RRSIG NSEC DNSKEY ZONEMD");
  // Types in any order, several windows, TYPEnnn for unnamed types.
  check("NSEC", "host A TYPE1234 CAA",
        "04686F7374076578616D706C6500000140010140041B000000000000000000000000000000000000000000000"
        "000000020",
        "host.example. A CAA TYPE1234");
  CHECK(error_of("NSEC", "host.example. A BOGUS") == "NSEC type bitmap: 'BOGUS' is not an RR type");
  // A bitmap window with trailing zero octets is malformed on the wire.
  CHECK_FALSE(rdata_is_valid(rrtype::NSEC, from_hex("0000 00020000")));
  CHECK_FALSE(rdata_is_valid(rrtype::NSEC, from_hex("0000 010140 000140")));  // windows out of order
  CHECK(rdata_is_valid(rrtype::NSEC, from_hex("00 000140")));
}

TEST_CASE("NSEC3 and NSEC3PARAM", "[rdata][dnssec]") {
  check("NSEC3",
        "1 1 12 aabbccdd ( 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS\n SOA NSEC3PARAM RRSIG )",
        "0101000C04AABBCCDD14174EB2409FE28BCB4887A1836F957F0A8425E27B000722010000000290",
        "1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR NS SOA MX RRSIG DNSKEY NSEC3PARAM");
  // Empty salt and an empty type bitmap (an empty non-terminal).
  check("NSEC3", "1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr",
        "010000000014174EB2409FE28BCB4887A1836F957F0A8425E27B",
        "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR");
  check("NSEC3PARAM", "1 0 12 aabbccdd", "0100000C04AABBCCDD", "1 0 12 AABBCCDD");
  check("NSEC3PARAM", "1 0 0 -", "0100000000", "1 0 0 -");
  CHECK(error_of("NSEC3PARAM", "1 0 0 xyz") ==
        "NSEC3PARAM salt: 'xyz' is not '-' or up to 255 octets of hex");
  CHECK(error_of("NSEC3", "1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojw A") ==
        "NSEC3 next hashed owner: '2t7b4g4vsa5smi47k61mv5bv1a22bojw' is not a base32hex hash");
  CHECK(error_of("NSEC3", "1 0 70000 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr") ==
        "NSEC3 iterations: '70000' is not a 16-bit number");
}

TEST_CASE("ZONEMD", "[rdata][dnssec]") {
  check("ZONEMD",
        "2026082201 1 1 5E21E890ACDE0249A3C73F5500159960F01C1783534876FAEC24F3CB "
        "B7E0442D498E54B3E6DDCDECDD8D96E3FE1BF733",
        "78C38F9901015E21E890ACDE0249A3C73F5500159960F01C1783534876FAEC24F3CBB7E0442D498E54B3E6DDC"
        "DECDD8D96E3FE1BF733",
        "2026082201 1 1 5E21E890ACDE0249A3C73F5500159960F01C1783534876FAEC24F3CBB7E0442D498E54B3E6"
        "DDCDECDD8D96E3FE1BF733");
}

TEST_CASE("type bitmap helpers", "[rdata][dnssec]") {
  std::vector<uint8_t> bitmap;
  const uint16_t types[] = {rrtype::CAA, rrtype::A, 1234, rrtype::A, rrtype::RRSIG};
  type_bitmap_encode(types, bitmap);
  CHECK(type_bitmap_valid(bitmap));
  CHECK(type_bitmap_types(bitmap) == std::vector<uint16_t>{1, 46, 257, 1234});
  CHECK(type_bitmap_has(bitmap, rrtype::A));
  CHECK(type_bitmap_has(bitmap, rrtype::CAA));
  CHECK(type_bitmap_has(bitmap, 1234));
  CHECK_FALSE(type_bitmap_has(bitmap, rrtype::NS));
  CHECK_FALSE(type_bitmap_has(bitmap, 1235));
  CHECK_FALSE(type_bitmap_has(bitmap, 65535));
  std::vector<uint8_t> empty;
  type_bitmap_encode({}, empty);
  CHECK(empty.empty());
  CHECK(type_bitmap_valid(empty));
}
