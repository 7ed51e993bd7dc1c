// ResponseBuilder::add_chained with an OwnerChain (zone transfers): owners
// compressed against the previous owner only. Read back by the parser, every
// record must be what was written, case kept, with no pointer at or past
// 16 KiB; and consecutive owners must cost a pointer, not a spelled name.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/message_parser.h"
#include "dns/rrtype.h"
#include "dns/wire.h"

using namespace flatns::dns;

namespace {

Query axfr_question(const char* name) {
  std::vector<uint8_t> packet(512);
  QueryOptions options;
  options.id = 7;
  options.edns = false;
  const std::size_t n = write_query(packet, Name::parse(name).wire(), rrtype::AXFR, options);
  REQUIRE(n > 0);
  packet.resize(n);
  Query q;
  REQUIRE(parse_query(packet, q) == QueryStatus::Ok);
  return q;
}

std::vector<uint8_t> wire_of(const char* name) {
  const Name parsed = Name::parse(name);
  const auto w = parsed.wire();
  return {w.begin(), w.end()};
}

struct Written {
  Name owner;
  uint16_t type;
  std::vector<uint8_t> rdata;
};

// Writes `records` in one message with add_chained, parses it back, checks
// each record; returns the message's size.
std::size_t round_trip(const Query& q, const std::vector<Written>& records, bool seed) {
  std::vector<uint8_t> buffer(65535);
  ResponseBuilder rb(buffer);
  rb.start(q, buffer.size());
  OwnerChain chain;
  if (seed) {
    chain.seed(q.qname.view(), kHeaderSize);
  } else {
    chain.reset();
  }
  for (const auto& r : records) REQUIRE(rb.add_chained(Section::Answer, chain, r.owner.wire(), r.type, 60, r.rdata));
  const std::size_t n = rb.finish();
  Message m;
  std::string error;
  const bool parsed = parse_message({buffer.data(), n}, m, error);
  INFO(error);
  REQUIRE(parsed);
  REQUIRE(m.answer.size() == records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    INFO("record " << i << ": " << records[i].owner.to_text());
    const auto got = m.answer[i].owner.wire();
    const auto want = records[i].owner.wire();
    CHECK(std::vector<uint8_t>(got.begin(), got.end()) == std::vector<uint8_t>(want.begin(), want.end()));
    CHECK(m.answer[i].type == records[i].type);
    CHECK(m.answer[i].rdata == records[i].rdata);
  }
  // Every pointer (two top bits set where a name's length octet would be)
  // in the owners points below 0x4000 and backwards: parse_message checked
  // the latter; the former holds since a pointer's 14 bits cannot say more.
  return n;
}

}  // namespace

TEST_CASE("OwnerChain: siblings, children, the apex again, case kept", "[dns]") {
  const Query q = axfr_question("Chain.Example.");
  const std::vector<uint8_t> a = {192, 0, 2, 1};
  std::vector<Written> records = {
      {Name::parse("Chain.Example."), rrtype::A, a},
      {Name::parse("Chain.Example."), rrtype::A, {192, 0, 2, 2}},
      {Name::parse("a.Chain.Example."), rrtype::A, a},
      {Name::parse("b.a.Chain.Example."), rrtype::A, a},
      {Name::parse("c.b.a.Chain.Example."), rrtype::A, a},
      {Name::parse("d.Chain.Example."), rrtype::A, a},
      {Name::parse("D.Chain.Example."), rrtype::A, a},  // case differs: not the previous owner
      {Name::parse("x.chain.example."), rrtype::A, a},  // the apex's case differs too
      {Name::parse("y.chain.example."), rrtype::A, a},
      {Name::parse("."), rrtype::A, a},
      {Name::parse("z.Chain.Example."), rrtype::A, a},
      {Name::parse("z.Chain.Example."), rrtype::NS, wire_of("ns.a.Chain.Example.")},
  };
  const std::size_t seeded = round_trip(q, records, true);
  const std::size_t unseeded = round_trip(q, records, false);
  CHECK(seeded < unseeded);  // the first owner points at the question
}

TEST_CASE("OwnerChain: an owner repeated costs a two-octet pointer", "[dns]") {
  const Query q = axfr_question("example.");
  std::vector<Written> one = {{Name::parse("host.example."), rrtype::A, {192, 0, 2, 1}}};
  std::vector<Written> two = one;
  two.push_back(one[0]);
  std::vector<Written> sibling = one;
  sibling.push_back({Name::parse("host2.example."), rrtype::A, {192, 0, 2, 1}});
  const std::size_t base = round_trip(q, one, true);
  CHECK(round_trip(q, two, true) == base + 2 + 10 + 4);
  CHECK(round_trip(q, sibling, true) == base + 6 + 2 + 10 + 4);  // "host2" and a pointer
}

TEST_CASE("OwnerChain: a suffix spelled out past 16 KiB is spelled out again", "[dns]") {
  const Query q = axfr_question("big.example.");
  std::vector<uint8_t> txt(256, 'x');
  txt[0] = 255;
  std::vector<Written> records;
  for (int i = 0; i < 70; ++i) records.push_back({Name::parse("pad.big.example."), rrtype::TXT, txt});  // ~18 KiB
  // A suffix first written past 0x4000, which no pointer can reach.
  for (const char* name : {"other.test.", "a.other.test.", "b.a.other.test.", "c.other.test."}) {
    records.push_back({Name::parse(name), rrtype::A, {192, 0, 2, 1}});
  }
  round_trip(q, records, true);
  round_trip(q, records, false);
}
