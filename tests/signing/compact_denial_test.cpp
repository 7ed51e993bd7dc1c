// The compact-denial successor (signing/compact_denial.h) at the edges of
// RFC 4471 §3.1.2: short names, 254 and 255 octets, 63-octet labels, \255
// octets and labels, uppercase input, the apex wrap. The property test
// against dnspython's canonical order is tests/signing-order/.
#include <catch2/catch.hpp>
#include <string>

#include "dns/rrtype.h"
#include "dns/type_bitmap.h"
#include "signing/compact_denial.h"

using namespace flatns;

namespace {

const dns::Name kApex = dns::Name::parse("example.");

// A name of exactly `size` wire octets below example.: 63-octet labels of
// `fill`, then one label making up the rest (first).
dns::Name sized(std::size_t size, uint8_t fill = 'a', std::string first = "") {
  dns::Name n = kApex;
  std::size_t room = size - n.size();
  std::vector<std::string> labels;
  if (!first.empty()) room -= first.size() + 1;
  while (room > 0) {
    const std::size_t len = std::min<std::size_t>(63, room - 1);
    REQUIRE(len > 0);
    labels.emplace_back(len, static_cast<char>(fill));
    room -= len + 1;
  }
  for (auto it = labels.rbegin(); it != labels.rend(); ++it) n = n.prepend(*it);
  if (!first.empty()) n = n.prepend(first);
  REQUIRE(n.size() == size);
  return n;
}

std::string next_text(const dns::Name& n) {
  dns::NameBuffer out;
  REQUIRE(signing::next_name(n.wire(), kApex.wire(), out));
  CHECK(dns::canonical_compare(n.wire(), out.view()) < 0);
  return dns::name_to_text(out.view());
}

}  // namespace

TEST_CASE("successor: \\000 label while it fits", "[signing][denial]") {
  CHECK(next_text(dns::Name::parse("Www.Example.")) == "\\000.www.example.");
  CHECK(next_text(kApex) == "\\000.example.");
  const dns::Name n253 = sized(253);
  dns::NameBuffer out;
  REQUIRE(signing::next_name(n253.wire(), kApex.wire(), out));
  CHECK(out.length == 255);
  CHECK(out.bytes[0] == 1);
  CHECK(out.bytes[1] == 0);
}

TEST_CASE("successor at 254 octets: \\000 appended to the first label", "[signing][denial]") {
  const dns::Name n = sized(254, 'a', "b");
  dns::NameBuffer out;
  REQUIRE(signing::next_name(n.wire(), kApex.wire(), out));
  CHECK(out.length == 255);
  CHECK(out.bytes[0] == 2);
  CHECK(out.bytes[1] == 'b');
  CHECK(out.bytes[2] == 0);
}

TEST_CASE("successor at 255 octets: the first label's last octet incremented", "[signing][denial]") {
  CHECK(next_text(sized(255, 'a', "bc")).rfind("bd.", 0) == 0);
  // '@' + 1 is 'A', which sorts as 'a': the successor skips to '['.
  CHECK(next_text(sized(255, 'a', "b@")).rfind("b[.", 0) == 0);
  // Uppercase input is lowercased first: "bZ" is "bz", whose successor is "b{".
  CHECK(next_text(sized(255, 'a', "bZ")).rfind("b{.", 0) == 0);
}

TEST_CASE("successor with \\255 octets: dropped, then the octet before incremented", "[signing][denial]") {
  CHECK(next_text(sized(255, 'a', "b\xff\xff")).rfind("c.", 0) == 0);
}

TEST_CASE("successor of a \\255-only label: the parent's next sibling (CVE-2026-39155 class)",
          "[signing][denial]") {
  // "\255.<63 a>...": nothing follows below the parent, so the successor is
  // the parent's label with \000 appended when it has room, never a name
  // that would skip "a...a\000" names (as "b..." would).
  const dns::Name n = sized(255, 'a', "\xff");
  dns::NameBuffer out;
  REQUIRE(signing::next_name(n.wire(), kApex.wire(), out));
  CHECK(dns::canonical_compare(n.wire(), out.view()) < 0);
  CHECK(dns::label_count(out.view()) == n.labels() - 1);
  // The parent label is 63 octets of 'a': no room for \000, so it becomes
  // 62 'a' and a 'b'.
  CHECK(out.bytes[0] == 63);
  CHECK(out.bytes[63] == 'b');
}

TEST_CASE("successor of the last possible name wraps to the apex", "[signing][denial]") {
  dns::Name n = kApex;
  // \255 labels of 63 octets up to 255 octets: nothing can follow it.
  while (n.size() + 64 <= 255) n = n.prepend(std::string(63, '\xff'));
  const std::size_t rest = 255 - n.size();
  n = n.prepend(std::string(rest - 1, '\xff'));
  REQUIRE(n.size() == 255);
  dns::NameBuffer out;
  REQUIRE(signing::next_name(n.wire(), kApex.wire(), out));
  CHECK(dns::name_to_text(out.view()) == "example.");
}

TEST_CASE("NXNAME NSEC RDATA", "[signing][denial]") {
  std::vector<uint8_t> rd;
  REQUIRE(signing::nxname_nsec_rdata(dns::Name::parse("nope.example.").wire(), kApex.wire(), rd));
  const dns::Name next = dns::Name::parse("\\000.nope.example.");
  REQUIRE(rd.size() > next.size());
  CHECK(std::equal(next.wire().begin(), next.wire().end(), rd.begin()));
  const auto types = dns::type_bitmap_types(std::span<const uint8_t>(rd).subspan(next.size()));
  CHECK(types == std::vector<uint16_t>{dns::rrtype::RRSIG, dns::rrtype::NSEC, dns::rrtype::NXNAME});
}
