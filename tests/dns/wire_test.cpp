// WireReader / WireWriter: integers, name compression on output (RFC 1035
// §4.1.4) and the decompression rules on input (backward pointers only,
// 255-octet limit, truncation).
#include <catch2/catch.hpp>

#include "dns/encoding.h"
#include "dns/name.h"
#include "dns/wire.h"

using namespace flatns::dns;

namespace {

std::vector<uint8_t> hex(std::string_view h) {
  std::string clean;
  for (char c : h) {
    if (c != ' ') clean.push_back(c);
  }
  std::vector<uint8_t> out;
  REQUIRE(hex_decode(clean, out));
  return out;
}

bool read_name(const std::vector<uint8_t>& msg, std::size_t pos, std::string& text,
               std::size_t& after) {
  WireReader r(msg, pos);
  NameBuffer n;
  if (!r.name(n)) return false;
  text = name_to_text(n.view());
  after = r.pos();
  return true;
}

}  // namespace

TEST_CASE("integers round trip in network order", "[wire]") {
  std::vector<uint8_t> buffer(16);
  WireWriter w(buffer);
  REQUIRE(w.u8(0xAB));
  REQUIRE(w.u16(0x1234));
  REQUIRE(w.u32(0xDEADBEEF));
  CHECK(hex_encode(w.data()) == "AB1234DEADBEEF");
  WireReader r(w.data());
  uint8_t a = 0;
  uint16_t b = 0;
  uint32_t c = 0;
  REQUIRE(r.u8(a));
  REQUIRE(r.u16(b));
  REQUIRE(r.u32(c));
  CHECK(a == 0xAB);
  CHECK(b == 0x1234);
  CHECK(c == 0xDEADBEEF);
  CHECK(r.remaining() == 0);
  CHECK_FALSE(r.u8(a));
  WireReader short_reader(w.data().first(3), 1);
  CHECK_FALSE(short_reader.u32(c));
}

TEST_CASE("the writer compresses repeated suffixes and the reader expands them", "[wire]") {
  std::vector<uint8_t> buffer(512);
  WireWriter w(buffer);
  const char* names[] = {"www.example.com.", "mail.EXAMPLE.com.", "example.com.", "com.",
                         "other.net.", "www.example.com.", "."};
  std::vector<std::size_t> offsets;
  for (const char* n : names) {
    offsets.push_back(w.size());
    REQUIRE(w.name(Name::parse(n).wire()));
  }
  // www.example.com (17) + mail + pointer (7) + pointer (2) + pointer (2)
  // + other.net (11) + pointer (2) + root (1)
  CHECK(w.size() == 17 + 7 + 2 + 2 + 11 + 2 + 1);
  CHECK(hex_encode(w.data().subspan(17, 7)) == "046D61696CC004");
  for (std::size_t i = 0; i < std::size(names); ++i) {
    std::string text;
    std::size_t after = 0;
    REQUIRE(read_name(std::vector<uint8_t>(w.data().begin(), w.data().end()), offsets[i], text,
                      after));
    // Compression matches case-insensitively, so the first spelling wins.
    const std::string expected = i == 1 ? "mail.example.com." : Name::parse(names[i]).to_text();
    CHECK(text == expected);
    CHECK(after == (i + 1 < std::size(names) ? offsets[i + 1] : w.size()));
  }
}

TEST_CASE("names written without compression are copied whole", "[wire]") {
  std::vector<uint8_t> buffer(512);
  WireWriter w(buffer);
  const Name n = Name::parse("www.example.com.");
  REQUIRE(w.name(n.wire()));
  REQUIRE(w.name(n.wire(), false));
  CHECK(w.size() == 2 * n.size());
}

TEST_CASE("the writer stops at its limit and can roll back", "[wire]") {
  std::vector<uint8_t> buffer(64);
  WireWriter w(buffer);
  w.set_limit(20);
  const Name n = Name::parse("www.example.com.");  // 17 octets
  REQUIRE(w.name(n.wire()));
  const std::size_t mark = w.size();
  CHECK_FALSE(w.u32(1));
  CHECK(w.overflowed());
  w.rollback(mark);
  CHECK_FALSE(w.overflowed());
  CHECK(w.u16(7));
  CHECK(w.size() == 19);
  // A name that does not fit leaves nothing behind.
  w.rollback(0);
  w.set_limit(10);
  CHECK_FALSE(w.name(n.wire()));
  CHECK(w.size() == 0);
  // Targets past a rollback point are forgotten: no pointer to stale data.
  w.rollback(0);
  w.set_limit(64);
  REQUIRE(w.name(Name::parse("a.example.com.").wire()));
  w.rollback(0);
  REQUIRE(w.u8(0xFF));
  REQUIRE(w.name(Name::parse("example.com.").wire()));
  CHECK(w.size() == 1 + 13);
}

TEST_CASE("the reader rejects pointer loops and forward pointers", "[wire]") {
  std::string text;
  std::size_t after = 0;
  // A pointer to itself.
  CHECK_FALSE(read_name(hex("C000"), 0, text, after));
  // Two pointers pointing at each other.
  CHECK_FALSE(read_name(hex("C002 C000"), 2, text, after));
  CHECK_FALSE(read_name(hex("C002 C000"), 0, text, after));
  // A label, then a pointer back to that label.
  CHECK_FALSE(read_name(hex("0161 C000"), 0, text, after));
  // A forward pointer to a valid name.
  CHECK_FALSE(read_name(hex("C002 0161 00"), 0, text, after));
  // A backward chain of pointers is fine.
  REQUIRE(read_name(hex("0161 00 0162 C000 0163 C003"), 7, text, after));
  CHECK(text == "c.b.a.");
  CHECK(after == 11);
  // Extended label types 0x40 and 0x80 are rejected.
  CHECK_FALSE(read_name(hex("4161 00"), 0, text, after));
  CHECK_FALSE(read_name(hex("8161 00"), 0, text, after));
}

TEST_CASE("the reader rejects truncated names and names over 255 octets", "[wire]") {
  std::string text;
  std::size_t after = 0;
  CHECK_FALSE(read_name(hex(""), 0, text, after));
  CHECK_FALSE(read_name(hex("0361 62"), 0, text, after));     // label runs off the end
  CHECK_FALSE(read_name(hex("03616263"), 0, text, after));    // no root label
  CHECK_FALSE(read_name(hex("0161 C0"), 0, text, after));     // half a pointer
  CHECK_FALSE(read_name(hex("0161"), 5, text, after));        // start past the end
  // 255 octets exactly is fine, 257 is not, also when built with pointers.
  std::vector<uint8_t> msg;
  for (int i = 0; i < 3; ++i) {
    msg.push_back(63);
    msg.insert(msg.end(), 63, 'a');
  }
  msg.push_back(61);
  msg.insert(msg.end(), 61, 'b');
  msg.push_back(0);
  REQUIRE(msg.size() == 255);
  REQUIRE(read_name(msg, 0, text, after));
  CHECK(after == 255);
  // Prefix one more label before a pointer to that 255-octet name.
  msg.push_back(1);
  msg.push_back('x');
  msg.push_back(0xC0);
  msg.push_back(0x00);
  CHECK_FALSE(read_name(msg, 255, text, after));
  // The same prefix pointing at a 253-octet suffix (skip the first label: 191 octets) is fine.
  msg[257] = 0xC0;
  msg[258] = 64;
  REQUIRE(read_name(msg, 255, text, after));
  CHECK(after == 259);
}
