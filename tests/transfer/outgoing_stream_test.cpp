// The AXFR stream's encoder (owners compressed against the previous owner,
// dns::OwnerChain): the stream, cut into messages of several sizes, read
// back by the secondary's own receiver (transfer/incoming.h), must give
// exactly the zone's records, owner case included, every message standing
// alone (no compression pointer into another message).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "dns/message_parser.h"
#include "dns/rrtype.h"
#include "tests/support/temp_file.h"
#include "transfer/incoming.h"
#include "transfer/journal.h"
#include "transfer/outgoing.h"
#include "zones/zone.h"

using namespace flatns;

namespace {

std::string zone_text() {
  std::ostringstream z;
  z << "$ORIGIN Stream.Example.\n$TTL 3600\n"
       "@ SOA ns1 hostmaster 9 7200 3600 1209600 300\n@ NS ns1\n@ NS ns2.other.test.\n@ MX 10 mail\n"
       "ns1 A 192.0.2.53\nmail A 192.0.2.25\nMail2 AAAA 2001:db8::25\nwww CNAME ns1\n"
       "*.wild TXT \"wildcard\"\n_sip._tcp SRV 0 5 5060 sip\nsip A 192.0.2.60\n"
       "sub NS ns.sub\nsub NS ns.other.test.\nns.sub A 192.0.2.54\ndeep.er.and.deeper A 192.0.2.9\n"
       "long TXT \"" << std::string(200, 'a') << "\" \"" << std::string(200, 'b') << "\"\n";
  for (int i = 0; i < 3000; ++i) {
    z << (i % 7 == 0 ? "Host" : "host") << i << " A 10.0." << i / 250 << "." << i % 250 << "\n";
    if (i % 3 == 0) z << (i % 7 == 0 ? "Host" : "host") << i << " AAAA 2001:db8::" << std::hex << i << std::dec << "\n";
    if (i % 100 == 0) z << "x.y.host" << i << " TXT \"below " << i << "\"\n";
  }
  return z.str();
}

// "owner-wire-octets record-text": the owner's octets with their case; the
// rest without (names in RDATA may be compressed against the question's
// spelling, which is as good: RFC 4343).
std::vector<std::string> keyed(const std::vector<dns::ResourceRecord>& records) {
  std::vector<std::string> out;
  for (const auto& rr : records) {
    const auto w = rr.owner.wire();
    std::string text = rr.to_text();
    std::transform(text.begin(), text.end(), text.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
    out.push_back(std::string(w.begin(), w.end()) + " " + text);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("AXFR stream encoder: read back by the receiver, the zone's records exactly", "[transfer]") {
  testing::TempFile file{zone_text()};
  auto loaded = zones::load_zone({dns::Name::parse("Stream.Example."), file.path(), zones::FlattenMode::Off});
  REQUIRE(loaded.zone);
  zones::ZoneSet set({loaded.zone});
  transfer::TransferPolicy policy;
  transfer::AclEntry local;
  std::string error;
  REQUIRE(transfer::AddressPrefix::parse("127.0.0.0/8", local.prefix, error));
  policy.zones.push_back({dns::Name::parse("stream.example."), {local}, {}, nullptr});
  sockaddr_in client{};
  client.sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, "127.0.0.1", &client.sin_addr) == 1);
  const auto want = keyed(transfer::zone_records(*loaded.zone));
  REQUIRE(want.size() > 4000);

  for (const std::size_t message_size : {std::size_t{512}, std::size_t{4096}, transfer::kMaxMessage,
                                         std::size_t{65535}}) {
    INFO("message_size " << message_size);
    policy.message_size = message_size;
    std::vector<uint8_t> query(512);
    dns::QueryOptions options;
    options.id = 0x5151;
    options.edns = false;
    query.resize(dns::write_query(query, dns::Name::parse("stream.example.").wire(), dns::rrtype::AXFR, options));
    transfer::TransferRequest request;
    request.query = query;
    request.client = reinterpret_cast<const sockaddr*>(&client);
    request.client_text = "test-client";
    request.tcp = true;
    request.now = 1700000000;
    std::vector<uint8_t> out(65535);
    auto answer = transfer::answer_transfer(set, policy, request, out);
    REQUIRE(answer.stream);
    std::vector<uint8_t> all;
    while (answer.stream->next(all, 20000)) {
    }
    transfer::AxfrReceiver receiver(dns::Name::parse("stream.example."), 0x5151, nullptr, {});
    std::size_t pos = 0, messages = 0;
    while (pos + 2 <= all.size()) {
      const std::size_t n = static_cast<std::size_t>(all[pos]) << 8 | all[pos + 1];
      REQUIRE(pos + 2 + n <= all.size());
      CHECK(n <= message_size);
      // Each message parses on its own: no pointer reaches another one.
      dns::Message m;
      REQUIRE(dns::parse_message({all.data() + pos + 2, n}, m, error));
      CHECK(m.has_question == (messages == 0));
      const auto state = receiver.add({all.data() + pos + 2, n}, request.now);
      INFO("message " << messages << ": " << receiver.error());
      REQUIRE(state != transfer::AxfrReceiver::State::Failed);
      pos += 2 + n;
      ++messages;
    }
    CHECK(pos == all.size());
    INFO(receiver.error());
    REQUIRE(receiver.state() == transfer::AxfrReceiver::State::Done);
    CHECK(messages > (message_size == 65535 ? 1u : 3u));
    CHECK(keyed(receiver.records()) == want);
  }
}
