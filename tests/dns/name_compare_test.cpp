// name_equal and name_hash work on eight octets at a time: they must agree
// with an octet-by-octet ASCII case fold (RFC 4343) for every octet value,
// at every position of a word and in the tail after the last whole word.
#include <catch2/catch.hpp>

#include <vector>

#include "dns/name.h"

using namespace flatns::dns;

namespace {

bool reference_equal(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// One label of `length` octets 'x', then the root.
std::vector<uint8_t> label_name(std::size_t length) {
  std::vector<uint8_t> wire(length + 2, 'x');
  wire[0] = static_cast<uint8_t>(length);
  wire[length + 1] = 0;
  return wire;
}

}  // namespace

TEST_CASE("name_equal and name_hash fold ASCII case only, at every octet position", "[name]") {
  int compared = 0;
  for (std::size_t length : {1, 6, 7, 8, 14, 15, 16, 23, 63}) {
    const std::vector<uint8_t> base = label_name(length);
    for (std::size_t pos = 1; pos <= length; ++pos) {
      for (int value = 0; value < 256; ++value) {
        std::vector<uint8_t> a = base, b = base;
        a[pos] = static_cast<uint8_t>(value);
        b[pos] = static_cast<uint8_t>(value ^ 0x20);  // the other case, for letters
        const bool want = reference_equal(a, b);
        REQUIRE(name_equal(a, b) == want);
        REQUIRE(name_equal(a, a));
        if (want) REQUIRE(name_hash(a) == name_hash(b));
        ++compared;
      }
    }
  }
  CHECK(compared == (1 + 6 + 7 + 8 + 14 + 15 + 16 + 23 + 63) * 256);
  // Letters fold; '@' and '[' (either side of 'A'..'Z') and octets above 127 do not.
  CHECK(name_equal(Name::parse("AbC.Example.").wire(), Name::parse("aBc.eXAMPLE.").wire()));
  CHECK_FALSE(name_equal(Name::parse("\\@.").wire(), Name::parse("`.").wire()));
  CHECK_FALSE(name_equal(Name::parse("[.").wire(), Name::parse("{.").wire()));
  CHECK_FALSE(name_equal(Name::parse("\\200.").wire(), Name::parse("\\232.").wire()));
}

TEST_CASE("name_hash spreads names that differ in one octet over the table slots", "[name]") {
  // The zone index uses the low bits: 4096 host names must not pile up.
  std::vector<int> slots(1024, 0);
  for (int i = 0; i < 4096; ++i) {
    const Name n = Name::parse("host" + std::to_string(i) + ".bench.test.");
    ++slots[name_hash(n.wire()) & 1023];
  }
  int worst = 0;
  for (int count : slots) worst = count > worst ? count : worst;
  CHECK(worst <= 16);  // an even spread puts 4 in each; a weak hash puts dozens
}
