// Outgoing AXFR/IXFR (transfer/outgoing.h): the message stream read back
// with the allocating parser, TSIG on every message checked with the
// verifier, and the ACL's answers to each kind of client.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <sstream>

#include "dns/message_parser.h"
#include "dns/rrtype.h"
#include "tests/support/temp_file.h"
#include "transfer/outgoing.h"
#include "zones/zone.h"

using namespace flatns;

namespace {

constexpr uint64_t kNow = 1700000000;

std::string zone_text(int hosts) {
  std::ostringstream z;
  z << "$ORIGIN xfr.example.\n$TTL 3600\n"
       "@ SOA ns1 hostmaster 5 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.53\n"
       "www CNAME ns1\nsub NS ns.sub\nns.sub A 192.0.2.54\n";
  for (int i = 0; i < hosts; ++i) z << "host" << i << " A 10.0." << i / 250 << "." << i % 250 << "\n";
  return z.str();
}

struct Fixture {
  testing::TempFile file{zone_text(1500)};
  zones::ZoneSet set;
  transfer::TransferPolicy policy;
  sockaddr_in client{};

  Fixture() {
    auto r = zones::load_zone({dns::Name::parse("xfr.example."), file.path(), zones::FlattenMode::Off});
    REQUIRE(r.zone);
    set = zones::ZoneSet({r.zone});
    dns::TsigKey key;
    key.name = dns::Name::parse("xfr-key.");
    key.secret = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    policy.keys.push_back(key);
    transfer::AclEntry signed_local;
    std::string error;
    REQUIRE(transfer::AddressPrefix::parse("127.0.0.0/8", signed_local.prefix, error));
    signed_local.key = key.name;
    transfer::AclEntry open_doc;
    REQUIRE(transfer::AddressPrefix::parse("192.0.2.0/24", open_doc.prefix, error));
    policy.zones.push_back({dns::Name::parse("xfr.example."), {signed_local, open_doc}, {}, nullptr});
    from("127.0.0.1");
  }
  void from(const char* address) {
    client.sin_family = AF_INET;
    REQUIRE(inet_pton(AF_INET, address, &client.sin_addr) == 1);
  }

  std::vector<uint8_t> query(const char* zone, uint16_t type, bool sign, uint32_t client_serial = 0) {
    std::vector<uint8_t> q(512);
    dns::QueryOptions options;
    options.id = 0x4242;
    options.edns = false;
    std::size_t n = dns::write_query(q, dns::Name::parse(zone).wire(), type, options);
    REQUIRE(n > 0);
    if (type == dns::rrtype::IXFR) {  // the client's SOA in the authority section
      // owner: the question's name; mname ".", rname ".", serial, four zero timers
      std::vector<uint8_t> soa = {0xC0, 12, 0, 6, 0, 1, 0, 0, 0, 0, 0, 22, 0, 0};
      for (int shift = 24; shift >= 0; shift -= 8) soa.push_back(static_cast<uint8_t>(client_serial >> shift));
      for (int i = 0; i < 16; ++i) soa.push_back(0);
      std::copy(soa.begin(), soa.end(), q.begin() + static_cast<std::ptrdiff_t>(n));
      n += soa.size();
      q[9] = 1;  // NSCOUNT
    }
    if (sign) {
      signer = std::make_unique<dns::TsigSigner>(policy.keys[0], std::span<const uint8_t>{});
      n = signer->sign(q, n, kNow);
    }
    q.resize(n);
    return q;
  }

  transfer::TransferAnswer ask(const std::vector<uint8_t>& q, bool tcp = true) {
    transfer::TransferRequest request;
    request.query = q;
    request.client = reinterpret_cast<const sockaddr*>(&client);
    request.client_text = "test-client";
    request.tcp = tcp;
    request.now = kNow;
    out.assign(65535, 0);
    return transfer::answer_transfer(set, policy, request, out);
  }

  dns::Message single(const transfer::TransferAnswer& a) {
    REQUIRE(a.length > 0);
    dns::Message m;
    std::string error;
    REQUIRE(dns::parse_message({out.data(), a.length}, m, error));
    return m;
  }

  // Every message of a stream, each parsed on its own.
  std::vector<std::vector<uint8_t>> messages(transfer::TransferStream& stream) {
    std::vector<uint8_t> all;
    while (stream.next(all, 20000)) {
    }
    std::vector<std::vector<uint8_t>> out_messages;
    std::size_t pos = 0;
    while (pos + 2 <= all.size()) {
      const std::size_t n = static_cast<std::size_t>(all[pos]) << 8 | all[pos + 1];
      out_messages.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(pos + 2),
                                all.begin() + static_cast<std::ptrdiff_t>(pos + 2 + n));
      pos += 2 + n;
    }
    REQUIRE(pos == all.size());
    return out_messages;
  }

  std::unique_ptr<dns::TsigSigner> signer;
  std::vector<uint8_t> out;
};

}  // namespace

TEST_CASE("AXFR: SOA first and last, every record once, messages standing alone", "[transfer]") {
  Fixture f;
  auto a = f.ask(f.query("xfr.example.", dns::rrtype::AXFR, true));
  REQUIRE(a.stream);
  CHECK(a.log.find("AXFR xfr.example. from test-client (TSIG key xfr-key.)") != std::string::npos);
  const auto messages = f.messages(*a.stream);
  CHECK(messages.size() >= 3);
  dns::TsigVerifier verifier(f.policy.keys[0], f.signer->mac());
  std::vector<dns::ResourceRecord> records;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    INFO("message " << i);
    CHECK(messages[i].size() <= transfer::kMaxMessage);
    CHECK(verifier.verify(messages[i], kNow) == dns::TsigStatus::Ok);
    dns::Message m;
    std::string error;
    REQUIRE(dns::parse_message(messages[i], m, error));
    CHECK(m.has_question == (i == 0));
    CHECK(m.has_flag(dns::flag::AA));
    CHECK(m.id == 0x4242);
    records.insert(records.end(), m.answer.begin(), m.answer.end());
  }
  REQUIRE(records.size() == 1500 + 6 + 1);
  CHECK(records.front().type == dns::rrtype::SOA);
  CHECK(records.back().type == dns::rrtype::SOA);
  std::size_t soas = 0;
  for (const auto& rr : records) soas += rr.type == dns::rrtype::SOA;
  CHECK(soas == 2);
}

TEST_CASE("AXFR refusals: unsigned, outside the ACL, not our zone, over UDP, bad TSIG", "[transfer]") {
  Fixture f;
  SECTION("unsigned from an address whose entry wants a key") {
    auto a = f.ask(f.query("xfr.example.", dns::rrtype::AXFR, false));
    CHECK_FALSE(a.stream);
    CHECK(f.single(a).rcode() == dns::rcode::REFUSED);
    CHECK(a.log_level == transfer::TransferAnswer::LogLevel::Warn);
    CHECK(a.log.find("no allow_transfer entry matches (unsigned)") != std::string::npos);
  }
  SECTION("unsigned from an open prefix is allowed") {
    f.from("192.0.2.7");
    CHECK(f.ask(f.query("xfr.example.", dns::rrtype::AXFR, false)).stream);
  }
  SECTION("signed, from outside every prefix") {
    f.from("198.51.100.1");
    auto a = f.ask(f.query("xfr.example.", dns::rrtype::AXFR, true));
    CHECK(f.single(a).rcode() == dns::rcode::REFUSED);
  }
  SECTION("a zone not served") {
    auto a = f.ask(f.query("other.example.", dns::rrtype::AXFR, true));
    CHECK(f.single(a).rcode() == dns::rcode::REFUSED);
    CHECK(a.log.find("not a zone served here") != std::string::npos);
  }
  SECTION("a name inside the zone is not a zone") {
    auto a = f.ask(f.query("www.xfr.example.", dns::rrtype::AXFR, true));
    CHECK(f.single(a).rcode() == dns::rcode::REFUSED);
  }
  SECTION("AXFR over UDP") {
    auto a = f.ask(f.query("xfr.example.", dns::rrtype::AXFR, true), false);
    CHECK(f.single(a).rcode() == dns::rcode::REFUSED);
  }
  SECTION("BADSIG: NOTAUTH with the error, unsigned") {
    auto q = f.query("xfr.example.", dns::rrtype::AXFR, true);
    q[q.size() - 10] ^= 1;  // inside the MAC
    auto a = f.ask(q);
    const dns::Message m = f.single(a);
    CHECK(m.rcode() == dns::rcode::NOTAUTH);
    dns::TsigRecord rec;
    REQUIRE(dns::find_tsig({f.out.data(), a.length}, rec) == dns::TsigFind::Found);
    CHECK(rec.error == dns::rcode::BADSIG);
    CHECK(rec.mac.empty());
  }
  SECTION("BADTIME: NOTAUTH, signed, our time as other data") {
    auto q = f.query("xfr.example.", dns::rrtype::AXFR, true);
    transfer::TransferRequest request;
    request.query = q;
    request.client = reinterpret_cast<const sockaddr*>(&f.client);
    request.tcp = true;
    request.now = kNow + 1000;
    f.out.assign(65535, 0);
    auto a = transfer::answer_transfer(f.set, f.policy, request, f.out);
    REQUIRE(a.length > 0);
    dns::TsigVerifier verifier(f.policy.keys[0], f.signer->mac());
    CHECK(verifier.verify({f.out.data(), a.length}, kNow) == dns::TsigStatus::BadTime);
    dns::TsigRecord rec;
    REQUIRE(dns::find_tsig({f.out.data(), a.length}, rec) == dns::TsigFind::Found);
    CHECK(rec.other.size() == 6);
    CHECK(!rec.mac.empty());
  }
}

TEST_CASE("IXFR: SOA alone when up to date or over UDP, the whole zone otherwise", "[transfer]") {
  Fixture f;
  auto udp = f.ask(f.query("xfr.example.", dns::rrtype::IXFR, true, 4), false);
  dns::Message m = f.single(udp);
  REQUIRE(m.answer.size() == 1);
  CHECK(m.answer[0].type == dns::rrtype::SOA);

  auto current = f.ask(f.query("xfr.example.", dns::rrtype::IXFR, true, 5));
  m = f.single(current);
  CHECK(m.answer.size() == 1);
  // RFC 1982: 4294967295 is before 5 (5 - 4294967295 = 6 > 0): the zone is sent.
  auto wrapped = f.ask(f.query("xfr.example.", dns::rrtype::IXFR, true, 4294967295u));
  CHECK(wrapped.stream);
  auto newer = f.ask(f.query("xfr.example.", dns::rrtype::IXFR, true, 6));
  CHECK_FALSE(newer.stream);
  auto older = f.ask(f.query("xfr.example.", dns::rrtype::IXFR, true, 3));
  REQUIRE(older.stream);
  const auto messages = f.messages(*older.stream);
  CHECK(messages.size() >= 3);
}

TEST_CASE("ACL prefixes", "[transfer]") {
  transfer::AddressPrefix p;
  std::string error;
  REQUIRE(transfer::AddressPrefix::parse("10.1.0.0/15", p, error));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, "10.0.255.1", &a.sin_addr);
  CHECK(p.contains(reinterpret_cast<sockaddr*>(&a)));
  inet_pton(AF_INET, "10.2.0.1", &a.sin_addr);
  CHECK_FALSE(p.contains(reinterpret_cast<sockaddr*>(&a)));
  REQUIRE(transfer::AddressPrefix::parse("2001:db8::/32", p, error));
  sockaddr_in6 b{};
  b.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "2001:db8:ffff::1", &b.sin6_addr);
  CHECK(p.contains(reinterpret_cast<sockaddr*>(&b)));
  CHECK_FALSE(p.contains(reinterpret_cast<sockaddr*>(&a)));
  CHECK_FALSE(transfer::AddressPrefix::parse("10.0.0.0/33", p, error));
  CHECK(error.find("prefix length above 32") != std::string::npos);
  CHECK_FALSE(transfer::AddressPrefix::parse("example.com", p, error));
}

namespace {

std::shared_ptr<const zones::Zone> load_file(const testing::TempFile& file) {
  auto r = zones::load_zone({dns::Name::parse("xfr.example."), file.path(), zones::FlattenMode::Off});
  REQUIRE(r.zone);
  return r.zone;
}

std::string with_serial(std::string text, int serial) {
  const auto at = text.find("hostmaster ") + 11;
  return text.replace(at, text.find(' ', at) - at, std::to_string(serial));
}

std::vector<std::string> answer_texts(const std::vector<dns::ResourceRecord>& records) {
  std::vector<std::string> out;
  for (const auto& rr : records) {
    std::string t = rr.owner.to_text() + " " + dns::type_to_text(rr.type);
    if (rr.type == dns::rrtype::SOA) {
      uint32_t serial = 0;
      const std::size_t s = rr.rdata.size() - 20;
      for (int i = 0; i < 4; ++i) serial = serial << 8 | rr.rdata[s + static_cast<std::size_t>(i)];
      t += " " + std::to_string(serial);
    } else if (rr.type == dns::rrtype::A) {
      t += " " + std::to_string(rr.rdata[2]) + "." + std::to_string(rr.rdata[3]) + " ttl " + std::to_string(rr.ttl);
    }
    out.push_back(t);
  }
  return out;
}

}  // namespace

TEST_CASE("IXFR from the journal: the differences since the client's serial (RFC 1995 4)", "[transfer]") {
  Fixture f;
  const auto v5 = f.set.find_exact(dns::Name::parse("xfr.example."));
  // 6: host1 removed, host2 changed address, host3 a new TTL, one name added.
  std::string text6 = with_serial(zone_text(5), 6);
  text6.replace(text6.find("host1 A 10.0.0.1\n"), 17, "");
  text6.replace(text6.find("host2 A 10.0.0.2"), 16, "host2 A 10.0.0.99");
  text6.replace(text6.find("host3 A"), 7, "host3 60 A");
  text6 += "new A 10.9.9.9\n";
  // The fixture's zone has 1500 hosts; version 6 and 7 keep only 5, so the
  // first difference is large and the second small.
  testing::TempFile f6{text6}, f7{with_serial(text6, 7) + "newer A 10.9.9.10\n"};
  const auto v6 = load_file(f6);
  const auto v7 = load_file(f7);
  std::string why;
  auto d56 = transfer::diff_zones(*v5, *v6, why);
  REQUIRE(d56);
  CHECK(d56->removed_count == 1500 - 5 + 1 + 1 + 1);  // hosts 5.., host1, host2's and host3's old records
  CHECK(d56->added_count == 3);                        // host2, host3, new
  auto d67 = transfer::diff_zones(*v6, *v7, why);
  REQUIRE(d67);
  CHECK(d67->removed_count == 0);
  CHECK(d67->added_count == 1);
  CHECK_FALSE(transfer::diff_zones(*v7, *v6, why));
  CHECK(why.find("serial 6 is not after 7") != std::string::npos);

  auto journal = transfer::Journal::append(nullptr, d56, {});
  journal = transfer::Journal::append(journal.get(), d67, {});
  REQUIRE(journal->diffs().size() == 2);
  f.set = zones::ZoneSet({v7});
  f.policy.zones[0].journal = journal;

  SECTION("from 6: one difference, in one message over TCP") {
    auto a = f.ask(f.query("xfr.example.", dns::rrtype::IXFR, true, 6));
    REQUIRE(a.stream);
    CHECK(a.log.find("incremental, 1 differences, 0 records removed, 1 added") != std::string::npos);
    const auto messages = f.messages(*a.stream);
    REQUIRE(messages.size() == 1);
    dns::TsigVerifier verifier(f.policy.keys[0], f.signer->mac());
    CHECK(verifier.verify(messages[0], kNow) == dns::TsigStatus::Ok);
    dns::Message m;
    REQUIRE(dns::parse_message(messages[0], m, why));
    CHECK(answer_texts(m.answer) == std::vector<std::string>{"xfr.example. SOA 7", "xfr.example. SOA 6",
                                                             "xfr.example. SOA 7", "newer.xfr.example. A 9.10 ttl 3600",
                                                             "xfr.example. SOA 7"});
  }
  SECTION("from 6 over UDP: it fits, so the differences come in the datagram") {
    auto a = f.ask(f.query("xfr.example.", dns::rrtype::IXFR, true, 6), false);
    CHECK(f.single(a).answer.size() == 5);
    CHECK(a.log.find("incremental over UDP") != std::string::npos);
  }
  SECTION("from 5 over UDP: too big, the SOA alone") {
    auto a = f.ask(f.query("xfr.example.", dns::rrtype::IXFR, true, 5), false);
    CHECK(answer_texts(f.single(a).answer) == std::vector<std::string>{"xfr.example. SOA 7"});
  }
  SECTION("from 5: two differences over several messages, every one signed") {
    auto a = f.ask(f.query("xfr.example.", dns::rrtype::IXFR, true, 5));
    REQUIRE(a.stream);
    const auto messages = f.messages(*a.stream);
    CHECK(messages.size() >= 2);
    dns::TsigVerifier verifier(f.policy.keys[0], f.signer->mac());
    std::vector<dns::ResourceRecord> records;
    for (const auto& message : messages) {
      CHECK(verifier.verify(message, kNow) == dns::TsigStatus::Ok);
      dns::Message m;
      REQUIRE(dns::parse_message(message, m, why));
      records.insert(records.end(), m.answer.begin(), m.answer.end());
    }
    const auto texts = answer_texts(records);
    REQUIRE(texts.size() == 1 + (1 + d56->removed_count + 1 + 3) + (1 + 0 + 1 + 1) + 1);
    CHECK(texts[0] == "xfr.example. SOA 7");
    CHECK(texts[1] == "xfr.example. SOA 5");
    const std::size_t second = 2 + d56->removed_count;
    CHECK(texts[second] == "xfr.example. SOA 6");
    CHECK(texts[second + 1] == "host2.xfr.example. A 0.99 ttl 3600");
    CHECK(texts[second + 2] == "host3.xfr.example. A 0.3 ttl 60");
    CHECK(texts[second + 3] == "new.xfr.example. A 9.9 ttl 3600");
    CHECK(texts[second + 4] == "xfr.example. SOA 6");
    CHECK(texts.back() == "xfr.example. SOA 7");
  }
  SECTION("from 4, older than the journal: the whole zone, AXFR-style") {
    auto a = f.ask(f.query("xfr.example.", dns::rrtype::IXFR, true, 4));
    REQUIRE(a.stream);
    CHECK(a.log.find("whole zone (history does not reach") != std::string::npos);
  }
}

TEST_CASE("IXFR journal bounds: depth and size drop the oldest differences", "[transfer]") {
  auto diff = [](uint32_t from, std::size_t bytes) {
    auto d = std::make_shared<transfer::ZoneDiff>();
    d->from = from;
    d->to = from + 1;
    d->added.assign(bytes, 0);
    return d;
  };
  transfer::JournalLimits limits;
  limits.max_depth = 3;
  limits.max_bytes = 1000;
  std::shared_ptr<const transfer::Journal> j;
  for (uint32_t s = 1; s <= 5; ++s) j = transfer::Journal::append(j.get(), diff(s, 100), limits);
  REQUIRE(j->diffs().size() == 3);
  CHECK(j->diffs().front()->from == 3);
  CHECK(j->since(2).empty());
  CHECK(j->since(4).size() == 2);
  j = transfer::Journal::append(j.get(), diff(6, 800), limits);  // 200 + 800 fit
  CHECK(j->diffs().size() == 3);
  CHECK(j->bytes() == 1000);
  j = transfer::Journal::append(j.get(), diff(7, 901), limits);  // 901: the older ones go
  CHECK(j->diffs().size() == 1);
  CHECK(j->bytes() == 901);
  CHECK_FALSE(transfer::Journal::append(j.get(), diff(8, 1001), limits));  // one too big: no journal
  // A gap (from is not the newest's to) starts afresh.
  j = transfer::Journal::append(j.get(), diff(42, 10), limits);
  CHECK(j->diffs().size() == 1);
  CHECK(j->diffs().front()->from == 42);
  limits.max_depth = 0;
  CHECK_FALSE(transfer::Journal::append(nullptr, diff(1, 1), limits));
}

TEST_CASE("transfer limits: message_size bounds each message, max_outgoing streams at once", "[transfer]") {
  Fixture f;
  f.policy.message_size = 4096;
  f.policy.max_outgoing = 2;
  f.policy.outgoing = std::make_shared<std::atomic<uint32_t>>(0);
  auto first = f.ask(f.query("xfr.example.", dns::rrtype::AXFR, true));
  REQUIRE(first.stream);
  const auto messages = f.messages(*first.stream);
  CHECK(messages.size() >= 6);
  for (const auto& m : messages) CHECK(m.size() <= 4096);
  auto second = f.ask(f.query("xfr.example.", dns::rrtype::AXFR, true));
  REQUIRE(second.stream);
  CHECK(f.policy.outgoing->load() == 2);
  auto third = f.ask(f.query("xfr.example.", dns::rrtype::AXFR, true));
  CHECK_FALSE(third.stream);
  CHECK(f.single(third).rcode() == dns::rcode::SERVFAIL);
  CHECK(third.log.find("transfer.max_outgoing (2) transfers in progress") != std::string::npos);
  first.stream.reset();  // a finished stream gives its slot back
  CHECK(f.policy.outgoing->load() == 1);
  CHECK(f.ask(f.query("xfr.example.", dns::rrtype::AXFR, true)).stream);
}
