// The zone builder's ordering work: nodes in RFC 4034 §6.1 canonical order,
// one node per name whatever the case or the place in the file, exact
// duplicates dropped (small and large RRsets), RRSIGs attached to what they
// cover, and errors that keep naming the file and line at fault.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "tests/support/temp_file.h"
#include "zones/zone.h"

using namespace flatns;

namespace {

const char* kHead =
    "$ORIGIN example.\n"
    "$TTL 300\n"
    "@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n"
    "@ NS ns1.example.\n";

zones::ZoneLoadResult load(const std::string& body, const std::string& origin = "example.") {
  testing::TempFile t(std::string(kHead) + body);
  return zones::load_zone({dns::Name::parse(origin), t.path(), zones::FlattenMode::Off});
}

std::vector<std::string> node_names(const zones::Zone& zone) {
  std::vector<std::string> out;
  for (const zones::Node& n : zone.nodes()) out.push_back(dns::name_to_text(zone.name(&n)));
  return out;
}

std::vector<std::string> rdata_of(const zones::Zone& zone, const zones::RRset& set) {
  std::vector<std::string> out;
  zone.records(set).for_each([&](std::span<const uint8_t> rd) { out.push_back(dns::rdata_to_text(set.type, rd)); });
  return out;
}

}  // namespace

TEST_CASE("nodes come out in the canonical order of RFC 4034 section 6.1") {
  // The RFC's own example names, given in reverse and mixed order.
  auto r = load(
      "\\200.z A 192.0.2.9\n"
      "*.z A 192.0.2.8\n"
      "\\001.z A 192.0.2.7\n"
      "z A 192.0.2.6\n"
      "zABC.a.EXAMPLE. A 192.0.2.5\n"
      "Z.a A 192.0.2.4\n"
      "yljkjljk.a A 192.0.2.3\n"
      "a A 192.0.2.2\n"
      "ns1 A 192.0.2.1\n");
  REQUIRE(r.errors.empty());
  REQUIRE(r.zone);
  CHECK(node_names(*r.zone) == std::vector<std::string>{
                                   "example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
                                   "zABC.a.EXAMPLE.", "ns1.example.", "z.example.", "\\001.z.example.",
                                   "*.z.example.", "\\200.z.example."});
}

TEST_CASE("a name written in other cases and in other places is one node") {
  auto r = load(
      "www A 192.0.2.1\n"
      "ns1 A 192.0.2.53\n"
      "WWW A 192.0.2.2\n"
      "Www TXT \"t\"\n"
      "www A 192.0.2.1\n");  // an exact duplicate: dropped
  REQUIRE(r.errors.empty());
  const zones::Node* www = r.zone->find(dns::Name::parse("www.example.").wire());
  REQUIRE(www);
  const zones::RRset* a = r.zone->rrset(www, dns::rrtype::A);
  REQUIRE(a);
  CHECK(rdata_of(*r.zone, *a) == std::vector<std::string>{"192.0.2.1", "192.0.2.2"});
  CHECK(r.zone->rrset(www, dns::rrtype::TXT));
  CHECK(r.records == 6);  // SOA, NS, ns1 A, two www A, www TXT
}

TEST_CASE("a large RRset keeps file order and loses only its exact duplicates") {
  std::string body = "ns1 A 192.0.2.53\n";
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 100; ++i) body += "big TXT \"v" + std::to_string(i) + "\"\n";
  }
  auto r = load(body);
  REQUIRE(r.errors.empty());
  const zones::Node* big = r.zone->find(dns::Name::parse("big.example.").wire());
  REQUIRE(big);
  const zones::RRset* txt = r.zone->rrset(big, dns::rrtype::TXT);
  REQUIRE(txt);
  REQUIRE(txt->count == 100);
  const auto texts = rdata_of(*r.zone, *txt);
  CHECK(texts.front() == "\"v0\"");
  CHECK(texts[57] == "\"v57\"");
  CHECK(texts.back() == "\"v99\"");
}

TEST_CASE("RRSIGs are served with the RRset they cover, and as an RRSIG RRset") {
  const std::string sig_tail = " 8 2 300 20300101000000 20200101000000 12345 example. AAAA\n";
  auto r = load(
      "ns1 A 192.0.2.53\n"
      "www RRSIG TXT" + sig_tail +
      "www A 192.0.2.1\n"
      "www RRSIG A" + sig_tail +
      "www TXT \"t\"\n"
      "www RRSIG A 8 2 300 20300101000000 20200101000000 54321 example. AAAA\n");
  REQUIRE(r.errors.empty());
  const zones::Node* www = r.zone->find(dns::Name::parse("www.example.").wire());
  REQUIRE(www);
  const zones::RRset* a = r.zone->rrset(www, dns::rrtype::A);
  const zones::RRset* txt = r.zone->rrset(www, dns::rrtype::TXT);
  const zones::RRset* sigs = r.zone->rrset(www, dns::rrtype::RRSIG);
  REQUIRE(a);
  REQUIRE(txt);
  REQUIRE(sigs);
  CHECK(sigs->count == 3);
  const zones::SigSet* a_sigs = r.zone->sigs(*a);
  const zones::SigSet* txt_sigs = r.zone->sigs(*txt);
  REQUIRE(a_sigs);
  REQUIRE(txt_sigs);
  CHECK(a_sigs->count == 2);
  CHECK(txt_sigs->count == 1);
  std::vector<uint16_t> covered;
  r.zone->records(*a_sigs).for_each([&](std::span<const uint8_t> rd) { covered.push_back(rd[0] << 8 | rd[1]); });
  r.zone->records(*txt_sigs).for_each([&](std::span<const uint8_t> rd) { covered.push_back(rd[0] << 8 | rd[1]); });
  CHECK(covered == std::vector<uint16_t>{dns::rrtype::A, dns::rrtype::A, dns::rrtype::TXT});
  CHECK_FALSE(r.zone->sigs(*sigs));
}

TEST_CASE("every out-of-zone record is reported at its own line") {
  auto r = load(
      "ns1 A 192.0.2.53\n"
      "www.example.net. A 192.0.2.1\n"
      "www.example.net. A 192.0.2.2\n"
      "ok A 192.0.2.3\n"
      "www.example.net. TXT \"x\"\n");
  CHECK_FALSE(r.zone);
  REQUIRE(r.errors.size() == 3);
  CHECK(r.errors[0].line == 6);
  CHECK(r.errors[1].line == 7);
  CHECK(r.errors[2].line == 9);
  CHECK(r.errors[2].message == "out-of-zone data: www.example.net. TXT is not in zone example.");
}

TEST_CASE("a zone check names the included file and its line") {
  testing::TempFile included("www CNAME elsewhere.example.net.\nwww TXT \"x\"\n");
  auto r = load("ns1 A 192.0.2.53\n$INCLUDE " + included.path() + "\nafter A 192.0.2.1\n");
  CHECK_FALSE(r.zone);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].file == included.path());
  CHECK(r.errors[0].line == 1);
  CHECK(r.errors[0].message.find("CNAME and other data at www.example.") == 0);
}

TEST_CASE("only names ending in the origin's labels are in the zone") {
  auto r = load(
      "ns1 A 192.0.2.53\n"
      "notexample. A 192.0.2.1\n"    // ends in the origin's octets, not its labels
      "EXAMPLE. TXT \"apex\"\n"        // the apex in other case
      "example.example. A 192.0.2.2\n"
      "com. A 192.0.2.3\n");
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].message == "out-of-zone data: notexample. A is not in zone example.");
  CHECK(r.errors[1].message == "out-of-zone data: com. A is not in zone example.");

  testing::TempFile root(
      ". 86400 IN SOA a.root-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400\n"
      ". 518400 IN NS a.root-servers.net.\n"
      "com. 172800 IN NS a.gtld-servers.net.\n");
  auto at_root = zones::load_zone({dns::Name::root(), root.path(), zones::FlattenMode::Off});
  REQUIRE(at_root.errors.empty());
  CHECK(at_root.zone->find(dns::Name::parse("com.").wire()));
}

TEST_CASE("a zone large enough for the radix sort is in canonical order too") {
  // Over 4096 names, with long shared prefixes (ties beyond 16 octets), mixed
  // case, escaped low octets and several depths.
  std::string body = "ns1 A 192.0.2.53\n";
  int names = 1;
  for (int i = 0; i < 1500; ++i) {
    const std::string n = std::to_string((i * 7919) % 1500);
    body += "customer-with-a-long-name-" + n + ".Shop A 192.0.2.1\n";
    body += "h" + n + " A 192.0.2.2\n";
    body += (i % 2 ? "X" : "x") + n + "\\000.deep.er.tree TXT \"t\"\n";
    names += 3;
  }
  for (int i = 0; i < 200; ++i) {
    body += "\\00" + std::to_string(i % 10) + "a" + std::to_string(i) + " A 192.0.2.3\n";
    ++names;
  }
  auto r = load(body);
  REQUIRE(r.errors.empty());
  REQUIRE(r.zone);
  const auto nodes = r.zone->nodes();
  int owners = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!(nodes[i].flags & zones::node_flag::kEmptyNonTerminal)) ++owners;
    if (i == 0) continue;
    INFO(dns::name_to_text(r.zone->name(&nodes[i - 1])) << " then " << dns::name_to_text(r.zone->name(&nodes[i])));
    REQUIRE(dns::canonical_compare(r.zone->name(&nodes[i - 1]), r.zone->name(&nodes[i])) < 0);
  }
  CHECK(owners == names + 1);  // and the apex
}
