// NSEC3 white lies (signing/nsec3_white_lies.h): the covering range h-1 ..
// h+1 at the ends of the hash space (0x00…00 and 0xff…ff wrap around, as
// the last NSEC3 of a chain does, RFC 5155 §3.1.3), owner names against
// dns::nsec3_hashed_owner's base32hex, and the RDATA against the bitmap
// encoder of dns/type_bitmap.h.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "dns/dnssec.h"
#include "dns/rrtype.h"
#include "dns/type_bitmap.h"
#include "signing/nsec3_white_lies.h"

using namespace flatns;

namespace {

dns::Nsec3Hash filled(uint8_t v) {
  dns::Nsec3Hash h;
  h.fill(v);
  return h;
}

// RFC 5155 §1.3 "covers", as validators test it: owner < h < next, or, for
// the record that wraps (next <= owner), h > owner or h < next.
bool covers(const dns::Nsec3Hash& owner, const dns::Nsec3Hash& next, const dns::Nsec3Hash& h) {
  if (owner < next) return owner < h && h < next;
  return h > owner || h < next;
}

}  // namespace

TEST_CASE("NSEC3 white lies: h-1 and h+1 wrap at 0x00…00 and 0xff…ff", "[signing][nsec3]") {
  const dns::Nsec3Hash zero = filled(0), ones = filled(0xff);
  dns::Nsec3Hash one = zero;
  one.back() = 1;
  dns::Nsec3Hash almost = ones;
  almost.back() = 0xfe;
  CHECK(signing::hash_before(zero) == ones);
  CHECK(signing::hash_after(zero) == one);
  CHECK(signing::hash_before(ones) == almost);
  CHECK(signing::hash_after(ones) == zero);
  // A borrow and a carry across octets.
  dns::Nsec3Hash mid = zero;
  mid[10] = 1;
  dns::Nsec3Hash below = zero;
  std::fill(below.begin() + 11, below.end(), 0xff);
  CHECK(signing::hash_before(mid) == below);
  CHECK(signing::hash_after(below) == mid);
}

TEST_CASE("NSEC3 white lies: the cover of h covers h and nothing else", "[signing][nsec3]") {
  dns::Nsec3Hash mid = filled(0x5a);
  mid[3] = 0;
  for (const dns::Nsec3Hash& h : {filled(0), filled(0xff), mid}) {
    const dns::Nsec3Hash owner = signing::hash_before(h), next = signing::hash_after(h);
    CHECK(covers(owner, next, h));
    CHECK_FALSE(covers(owner, next, owner));
    CHECK_FALSE(covers(owner, next, next));
    CHECK_FALSE(covers(owner, next, signing::hash_after(next)));
    CHECK_FALSE(covers(owner, next, signing::hash_before(owner)));
  }
  // The matching record of an existing name (owner H, next H+1) covers nothing.
  for (const dns::Nsec3Hash& h : {filled(0), filled(0xff), mid}) {
    const dns::Nsec3Hash next = signing::hash_after(h);
    CHECK_FALSE(covers(h, next, h));
    CHECK_FALSE(covers(h, next, next));
    CHECK_FALSE(covers(h, next, signing::hash_before(h)));
  }
}

TEST_CASE("NSEC3 white lies: owner names are the base32hex hash under the apex", "[signing][nsec3]") {
  const dns::Name apex = dns::Name::parse("Example.");
  for (const char* name : {"example.", "a.example.", "*.w.example.", "xx.y.example."}) {
    dns::Nsec3Hash h;
    REQUIRE(dns::nsec3_hash(dns::Name::parse(name).wire(), 1, {}, 0, h));
    dns::NameBuffer ours, theirs;
    REQUIRE(signing::nsec3_owner(h, apex.wire(), ours));
    REQUIRE(dns::nsec3_hashed_owner(dns::Name::parse(name).wire(), dns::Name::parse("example.").wire(), 1, {}, 0,
                                    theirs));
    CHECK(dns::name_to_text(ours.view()) == dns::name_to_text(theirs.view()));
  }
  dns::NameBuffer out;
  REQUIRE(signing::nsec3_owner(filled(0), apex.wire(), out));
  CHECK(dns::name_to_text(out.view()) == std::string(32, '0') + ".example.");
  REQUIRE(signing::nsec3_owner(filled(0xff), apex.wire(), out));
  CHECK(dns::name_to_text(out.view()) == std::string(32, 'v') + ".example.");
}

TEST_CASE("NSEC3 white lies: RDATA with RFC 9276's parameters and the types given", "[signing][nsec3]") {
  const dns::Nsec3Hash next = filled(0x42);
  uint16_t types[] = {dns::rrtype::RRSIG, dns::rrtype::A, dns::rrtype::CAA, dns::rrtype::NS, dns::rrtype::A};
  uint8_t out[signing::kMaxNsec3Rdata];
  const std::size_t n = signing::nsec3_rdata(next, types, out);
  REQUIRE(n > 26);
  const std::vector<uint8_t> fixed(out, out + 6);
  CHECK(fixed == std::vector<uint8_t>{1, 0, 0, 0, 0, 20});
  CHECK(std::equal(next.begin(), next.end(), out + 6));
  std::vector<uint8_t> bitmap;
  const uint16_t expected[] = {dns::rrtype::A, dns::rrtype::NS, dns::rrtype::RRSIG, dns::rrtype::CAA};
  dns::type_bitmap_encode(expected, bitmap);
  CHECK(std::vector<uint8_t>(out + 26, out + n) == bitmap);
  // No types (a cover, an empty non-terminal): no bitmap at all.
  CHECK(signing::nsec3_rdata(next, {}, out) == 26);
  // Too small a buffer: nothing written.
  uint8_t small[10];
  CHECK(signing::nsec3_rdata(next, types, small) == 0);
}
