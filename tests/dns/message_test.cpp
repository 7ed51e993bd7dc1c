// Query parsing outcomes (what the server does with each kind of packet) and
// response building: header echo, OPT, EDE/NSID, truncation to the limit.
#include <catch2/catch.hpp>

#include <vector>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "dns/wire.h"

using namespace flatns::dns;

namespace {

struct QueryBytes {
  std::vector<uint8_t> buf = std::vector<uint8_t>(1024);
  WireWriter w{buf};
  QueryBytes(uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar) {
    w.u16(0xBEEF);
    w.u16(flags);
    w.u16(qd);
    w.u16(an);
    w.u16(ns);
    w.u16(ar);
  }
  QueryBytes& question(const char* name = "www.example.com.", uint16_t type = rrtype::A) {
    w.name(Name::parse(name).wire(), false);
    w.u16(type);
    w.u16(rrclass::IN);
    return *this;
  }
  QueryBytes& opt(uint16_t size = 1232, uint32_t ttl = 0, std::vector<uint8_t> options = {},
                  bool root_owner = true) {
    if (root_owner) {
      w.u8(0);
    } else {
      w.name(Name::parse("example.").wire(), false);
    }
    w.u16(rrtype::OPT);
    w.u16(size);
    w.u32(ttl);
    w.u16(static_cast<uint16_t>(options.size()));
    w.bytes(options);
    return *this;
  }
  std::vector<uint8_t> bytes() const { return {buf.begin(), buf.begin() + w.size()}; }
};

QueryStatus parse(const std::vector<uint8_t>& b, Query& q) { return parse_query(b, q); }

}  // namespace

TEST_CASE("a plain query parses with its question and EDNS fields") {
  Query q;
  auto b = QueryBytes(flag::RD, 1, 0, 0, 1).question("WWW.Example.com.", rrtype::AAAA)
               .opt(4096, 0x8000, {0, 3, 0, 0}).bytes();
  REQUIRE(parse(b, q) == QueryStatus::Ok);
  CHECK(q.id == 0xBEEF);
  CHECK(q.qtype == rrtype::AAAA);
  CHECK(name_to_text(q.qname.view()) == "WWW.Example.com.");
  CHECK(q.edns.present);
  CHECK(q.edns.udp_size == 4096);
  CHECK(q.edns.dnssec_ok);
  CHECK(q.edns.nsid);
}

TEST_CASE("packets no response can be formed for are dropped") {
  Query q;
  CHECK(parse_query(std::vector<uint8_t>{0, 1, 2, 3, 4}, q) == QueryStatus::Drop);
  auto response = QueryBytes(flag::QR, 1, 0, 0, 0).question().bytes();
  CHECK(parse(response, q) == QueryStatus::Drop);
}

TEST_CASE("malformed queries are FORMERR") {
  Query q;
  SECTION("no question") { CHECK(parse(QueryBytes(0, 0, 0, 0, 0).bytes(), q) == QueryStatus::FormErr); }
  SECTION("two questions") {
    auto b = QueryBytes(0, 2, 0, 0, 0).question().question("b.example.").bytes();
    CHECK(parse(b, q) == QueryStatus::FormErr);
  }
  SECTION("records in the answer section of a query") {
    CHECK(parse(QueryBytes(0, 1, 1, 0, 0).question().bytes(), q) == QueryStatus::FormErr);
  }
  SECTION("additional count larger than the packet") {
    CHECK(parse(QueryBytes(0, 1, 0, 0, 3).question().opt().bytes(), q) == QueryStatus::FormErr);
  }
  SECTION("two OPT records") {
    auto b = QueryBytes(0, 1, 0, 0, 2).question().opt().opt().bytes();
    CHECK(parse(b, q) == QueryStatus::FormErr);
  }
  SECTION("OPT not owned by the root") {
    auto b = QueryBytes(0, 1, 0, 0, 1).question().opt(1232, 0, {}, false).bytes();
    CHECK(parse(b, q) == QueryStatus::FormErr);
  }
  SECTION("an EDNS option running past the OPT record") {
    auto b = QueryBytes(0, 1, 0, 0, 1).question().opt(1232, 0, {0, 3, 0, 9}).bytes();
    CHECK(parse(b, q) == QueryStatus::FormErr);
  }
  SECTION("trailing garbage") {
    auto b = QueryBytes(0, 1, 0, 0, 0).question().bytes();
    b.push_back(0x42);
    CHECK(parse(b, q) == QueryStatus::FormErr);
  }
  SECTION("a question name with a forward compression pointer") {
    auto b = QueryBytes(0, 1, 0, 0, 0).bytes();
    b.insert(b.end(), {0xC0, 0x20, 0, 1, 0, 1});
    CHECK(parse(b, q) == QueryStatus::FormErr);
  }
  SECTION("a question name pointing at itself") {
    auto b = QueryBytes(0, 1, 0, 0, 0).bytes();
    b.insert(b.end(), {0xC0, 12, 0, 1, 0, 1});
    CHECK(parse(b, q) == QueryStatus::FormErr);
  }
}

TEST_CASE("unknown opcodes are NOTIMP and EDNS versions above 0 are BADVERS") {
  Query q;
  auto notify = QueryBytes(opcode::NOTIFY << 11, 1, 0, 0, 0).question().bytes();
  CHECK(parse(notify, q) == QueryStatus::NotImp);
  CHECK(q.has_question);
  auto v1 = QueryBytes(0, 1, 0, 0, 1).question().opt(1232, 0x00010000).bytes();
  CHECK(parse(v1, q) == QueryStatus::BadVers);
}

TEST_CASE("responses echo ID, opcode, RD and CD and carry the question") {
  Query q;
  auto b = QueryBytes(flag::RD | flag::CD, 1, 0, 0, 0).question().bytes();
  REQUIRE(parse(b, q) == QueryStatus::Ok);
  std::vector<uint8_t> out(512);
  ResponseBuilder rb(out);
  rb.start(q, 512);
  rb.set_aa(true);
  rb.set_rcode(rcode::NXDOMAIN);
  const std::size_t n = rb.finish();
  REQUIRE(n == b.size());
  CHECK(out[0] == 0xBE);
  CHECK(out[1] == 0xEF);
  const uint16_t flags = static_cast<uint16_t>(out[2] << 8 | out[3]);
  CHECK((flags & flag::QR));
  CHECK((flags & flag::AA));
  CHECK((flags & flag::RD));
  CHECK((flags & flag::CD));
  CHECK_FALSE((flags & flag::RA));
  CHECK((flags & 0xF) == rcode::NXDOMAIN);
  CHECK(std::equal(b.begin() + 12, b.end(), out.begin() + 12));
}

TEST_CASE("BADVERS is carried in the OPT record's extended rcode") {
  Query q;
  auto b = QueryBytes(0, 1, 0, 0, 1).question().opt(1232, 0x00010000).bytes();
  REQUIRE(parse(b, q) == QueryStatus::BadVers);
  std::vector<uint8_t> out(512);
  ResponseBuilder rb(out);
  rb.start(q, 512);
  rb.set_rcode(rcode::BADVERS);
  const std::size_t n = rb.finish();
  // header rcode holds the low 4 bits (0), OPT TTL's top octet the high 8 (1).
  CHECK((out[3] & 0xF) == 0);
  const std::size_t opt = n - 11;
  CHECK(out[opt] == 0);
  CHECK((out[opt + 1] << 8 | out[opt + 2]) == rrtype::OPT);
  CHECK(out[opt + 5] == 1);
}

TEST_CASE("records that do not fit are removed whole and the OPT record still fits") {
  Query q;
  auto b = QueryBytes(0, 1, 0, 0, 1).question().opt(512).bytes();
  REQUIRE(parse(b, q) == QueryStatus::Ok);
  std::vector<uint8_t> out(65535);
  ResponseBuilder rb(out);
  rb.start(q, 512);
  rb.set_extended_error({20, "not authoritative here"});
  std::vector<uint8_t> rdata(100, 'x');
  rdata[0] = 99;
  int added = 0;
  const NameView owner = q.qname.view();
  while (rb.add(Section::Answer, owner, rrtype::TXT, rrclass::IN, 60, rdata)) ++added;
  CHECK(added > 0);
  CHECK(rb.count(Section::Answer) == added);
  const std::size_t n = rb.finish();
  CHECK(n <= 512);
  CHECK((out[11] == 1));  // ARCOUNT: the OPT record
  // the EDE option is present at the end: code 15, info code 20
  const std::string text = "not authoritative here";
  const std::size_t ede = n - text.size() - 6;
  CHECK((out[ede] << 8 | out[ede + 1]) == edns_option::EDE);
  CHECK((out[ede + 4] << 8 | out[ede + 5]) == 20);
}

#include "dns/message_parser.h"
#include "dns/rdata.h"

TEST_CASE("write_query and parse_message round trip a query with EDNS and DO") {
  std::vector<uint8_t> buf(512);
  QueryOptions o;
  o.id = 77;
  o.flags = flag::RD | flag::CD;
  o.dnssec_ok = true;
  const std::size_t n = write_query(buf, Name::parse("Example.ORG.").wire(), rrtype::DNSKEY, o);
  REQUIRE(n > 0);
  Message m;
  std::string error;
  REQUIRE(parse_message(std::span<const uint8_t>(buf.data(), n), m, error));
  CHECK(m.id == 77);
  CHECK(m.has_flag(flag::CD));
  CHECK(m.qname.to_text() == "Example.ORG.");
  CHECK(m.qtype == rrtype::DNSKEY);
  CHECK(m.has_edns);
  CHECK(m.dnssec_ok);
  CHECK(m.edns_udp_size == 1232);
  buf[n] = 0;
  CHECK_FALSE(parse_message(std::span<const uint8_t>(buf.data(), n + 1), m, error));
  CHECK(error == "1 octets of trailing data after the message");
}

TEST_CASE("an A record of 3 octets rejects the message, or is kept raw for the resolver to scrub") {
  // One answer record "www.example.com. A" with RDLENGTH 3, then a good one.
  QueryBytes b(flag::QR, 1, 2, 0, 0);
  b.question();
  for (const std::vector<uint8_t>& rdata : {std::vector<uint8_t>{3, 4, 5}, std::vector<uint8_t>{1, 2, 3, 4}}) {
    b.w.name(Name::parse("www.example.com.").wire(), false);
    b.w.u16(rrtype::A);
    b.w.u16(rrclass::IN);
    b.w.u32(300);
    b.w.u16(static_cast<uint16_t>(rdata.size()));
    b.w.bytes(rdata);
  }
  Message m;
  std::string error;
  CHECK_FALSE(parse_message(b.bytes(), m, error));
  CHECK(error == "malformed A RDATA for www.example.com.");
  REQUIRE(parse_message(b.bytes(), m, error, MalformedRdata::KeepRaw));
  REQUIRE(m.answer.size() == 2);
  CHECK(m.answer[0].rdata == std::vector<uint8_t>{3, 4, 5});
  CHECK_FALSE(rdata_is_valid(rrtype::A, m.answer[0].rdata));
  CHECK(m.answer[1].rdata == std::vector<uint8_t>{1, 2, 3, 4});
}

TEST_CASE("question_name looks ahead at a well-formed question only") {
  auto b = QueryBytes(0, 1, 0, 0, 1).question("WWW.Example.com.").opt().bytes();
  Query q;
  REQUIRE(parse(b, q) == QueryStatus::Ok);
  const NameView ahead = question_name(b);
  CHECK(name_to_text(ahead) == "WWW.Example.com.");
  CHECK(name_equal(ahead, q.qname.view()));
  CHECK(name_hash(ahead) == name_hash(Name::parse("www.example.com.").wire()));

  CHECK(question_name(QueryBytes(0, 0, 0, 0, 0).bytes()).empty());  // no question
  CHECK(question_name(QueryBytes(0, 2, 0, 0, 0).question().question().bytes()).empty());  // two
  auto truncated = QueryBytes(0, 1, 0, 0, 0).question().bytes();
  truncated.resize(12 + 5);  // inside the first label
  CHECK(question_name(truncated).empty());
  auto pointer = QueryBytes(0, 1, 0, 0, 0).bytes();
  pointer.insert(pointer.end(), {3, 'w', 'w', 'w', 0xC0, 12, 0, 1, 0, 1});
  CHECK(question_name(pointer).empty());
  // 4 labels of 63 octets: 256 octets with the root, one over the limit.
  auto long_name = QueryBytes(0, 1, 0, 0, 0).bytes();
  for (int i = 0; i < 4; ++i) {
    long_name.push_back(63);
    long_name.insert(long_name.end(), 63, 'a');
  }
  long_name.push_back(0);
  CHECK(question_name(long_name).empty());
  long_name.erase(long_name.begin() + 12, long_name.begin() + 12 + 64);  // 192 octets: fine
  CHECK(question_name(long_name).size() == 3 * 64 + 1);
}
