// ResponseBuilder::add_rrset writes a zone's stored RRset (RDLENGTH + RDATA
// per record) with one copy per record when the owner is the question's
// name: its output must be byte for byte what add() gives record by
// record, compression and truncation (RFC 2181 §9: whole RRsets) included.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "tests/dns/rdata_test_util.h"

using namespace flatns::dns;

namespace {

Query question(const char* name, uint16_t type) {
  std::vector<uint8_t> packet(512);
  WireWriter w(packet);
  w.u16(0x1234);
  w.u16(flag::RD);
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.u16(0);
  w.name(Name::parse(name).wire(), false);
  w.u16(type);
  w.u16(rrclass::IN);
  packet.resize(w.size());
  Query q;
  REQUIRE(parse_query(packet, q) == QueryStatus::Ok);
  return q;
}

// RDATA from presentation form, stored as the zone stores it.
struct StoredSet {
  std::vector<uint8_t> wire;
  std::vector<std::vector<uint8_t>> rdatas;
  uint16_t count = 0;
};

StoredSet stored(uint16_t type, std::initializer_list<const char*> texts) {
  StoredSet s;
  const Name origin = Name::parse("example.com.");
  for (const char* text : texts) {
    std::vector<uint8_t> rdata;
    std::string error;
    const auto tokens = test::tokenize(text);
    REQUIRE(rdata_from_text(type, tokens, origin, rdata, error));
    s.wire.push_back(static_cast<uint8_t>(rdata.size() >> 8));
    s.wire.push_back(static_cast<uint8_t>(rdata.size()));
    s.wire.insert(s.wire.end(), rdata.begin(), rdata.end());
    s.rdatas.push_back(rdata);
    ++s.count;
  }
  return s;
}

struct Written {
  bool ok = false;
  uint16_t count = 0;
  std::vector<uint8_t> bytes;
};

// `prefix` records first (so that compression has targets), then the set,
// by add_rrset or by add() one record at a time with a rollback on failure.
Written write(const Query& q, std::size_t limit, NameView owner, uint16_t type, const StoredSet& set,
              bool whole_set) {
  std::vector<uint8_t> out(65535);
  ResponseBuilder rb(out);
  rb.start(q, limit);
  const StoredSet mx = stored(rrtype::MX, {"10 mail.example.com."});
  REQUIRE(rb.add(Section::Answer, q.qname.view(), rrtype::MX, rrclass::IN, 300, mx.rdatas[0]));
  Written w;
  if (whole_set) {
    w.ok = rb.add_rrset(Section::Answer, owner, type, 3600, set.wire, set.count);
  } else {
    const std::size_t mark = rb.mark();
    const uint16_t before = rb.count(Section::Answer);
    w.ok = true;
    for (const auto& rdata : set.rdatas) {
      if (!rb.add(Section::Answer, owner, type, rrclass::IN, 3600, rdata)) {
        rb.rollback(mark, Section::Answer, before);
        w.ok = false;
        break;
      }
    }
  }
  w.count = rb.count(Section::Answer);
  out.resize(rb.finish());
  w.bytes = out;
  return w;
}

void check_same(const Query& q, std::size_t limit, NameView owner, uint16_t type, const StoredSet& set,
                bool expect_ok) {
  const Written whole = write(q, limit, owner, type, set, true);
  const Written one_by_one = write(q, limit, owner, type, set, false);
  CHECK(whole.ok == expect_ok);
  CHECK(one_by_one.ok == expect_ok);
  CHECK(whole.count == one_by_one.count);
  CHECK(whole.bytes == one_by_one.bytes);
}

}  // namespace

TEST_CASE("add_rrset writes what add() writes record by record", "[message]") {
  const Query q = question("WWW.example.com.", rrtype::A);
  const StoredSet a = stored(rrtype::A, {"192.0.2.1", "192.0.2.2", "198.51.100.7"});
  const StoredSet aaaa = stored(rrtype::AAAA, {"2001:db8::1"});
  const StoredSet txt = stored(rrtype::TXT, {"\"v=spf1 -all\"", "\"two\" \"strings\""});
  const StoredSet ns = stored(rrtype::NS, {"ns1.example.com.", "ns2.example.net."});
  const Name other = Name::parse("ftp.example.com.");
  for (std::size_t limit : {std::size_t{512}, std::size_t{1232}, std::size_t{65535}}) {
    // The fast path: owner is the question's name (in any case), no names in the RDATA.
    check_same(q, limit, q.qname.view(), rrtype::A, a, true);
    check_same(q, limit, Name::parse("www.EXAMPLE.com.").wire(), rrtype::A, a, true);
    check_same(q, limit, q.qname.view(), rrtype::AAAA, aaaa, true);
    check_same(q, limit, q.qname.view(), rrtype::TXT, txt, true);
    // Record by record: another owner, or names to compress in the RDATA.
    check_same(q, limit, other.wire(), rrtype::A, a, true);
    check_same(q, limit, q.qname.view(), rrtype::NS, ns, true);
  }
}

TEST_CASE("add_rrset leaves out a set that does not fit, whole", "[message]") {
  const Query q = question("www.example.com.", rrtype::A);
  const StoredSet a = stored(rrtype::A, {"192.0.2.1", "192.0.2.2", "198.51.100.7"});
  // Three A records under a pointer need 3 x 16 octets after the MX.
  const std::size_t used = write(q, 65535, q.qname.view(), rrtype::A, StoredSet{}, true).bytes.size();
  REQUIRE(used == 12 + 21 + 21);  // header, question, MX with "mail" and a pointer
  check_same(q, used + 48, q.qname.view(), rrtype::A, a, true);
  check_same(q, used + 47, q.qname.view(), rrtype::A, a, false);
  check_same(q, used + 16, q.qname.view(), rrtype::A, a, false);
  check_same(q, used + 47, Name::parse("ftp.example.com.").wire(), rrtype::A, a, false);
  const Written w = write(q, used + 47, q.qname.view(), rrtype::A, a, true);
  CHECK(w.count == 1);  // the MX only
  CHECK(w.bytes.size() == used);
}
