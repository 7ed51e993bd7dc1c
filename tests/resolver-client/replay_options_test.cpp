// Resolver options that Unbound's scenarios (tests/replay, flatns_replay)
// set and that were skip reasons of the replay suite: private-address and
// private-domain (DNS-rebinding protection), domain-insecure (negative trust
// anchors, RFC 7646) and do-nat64 / nat64-prefix (RFC 6052). Each is
// shown by the scenarios that need it, and where they alone would not show
// what must not happen, by the function underneath or a rewritten scenario.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "dns/address_prefix.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "resolver-client/private_addresses.h"
#include "tests/resolver-client/replay_support.h"

using namespace flatns;
using flatns::replay::Outcome;
using flatns::replay::testing::check_all_pass;
using flatns::replay::testing::replay_text;
using flatns::replay::testing::scenario_path;

namespace {

dns::ResourceRecord address_record(const std::string& owner, const std::string& text) {
  dns::ResourceRecord rr;
  rr.owner = dns::Name::parse(owner);
  rr.rclass = 1;
  rr.ttl = 300;
  if (text.find(':') != std::string::npos) {
    rr.type = dns::rrtype::AAAA;
    rr.rdata.resize(16);
    REQUIRE(inet_pton(AF_INET6, text.c_str(), rr.rdata.data()) == 1);
  } else {
    rr.type = dns::rrtype::A;
    rr.rdata.resize(4);
    REQUIRE(inet_pton(AF_INET, text.c_str(), rr.rdata.data()) == 1);
  }
  return rr;
}

// SVCB 1 <target> ipv4hint=<v4> (RFC 9460 §2.2 wire form).
dns::ResourceRecord svcb_record(const std::string& owner, const std::string& target, const std::string& v4) {
  dns::ResourceRecord rr;
  rr.owner = dns::Name::parse(owner);
  rr.type = dns::rrtype::SVCB;
  rr.rclass = 1;
  rr.ttl = 300;
  rr.rdata = {0, 1};
  const dns::Name target_name = dns::Name::parse(target);
  const auto wire = target_name.wire();
  rr.rdata.insert(rr.rdata.end(), wire.begin(), wire.end());
  rr.rdata.insert(rr.rdata.end(), {0, 4, 0, 4});
  uint8_t a[4];
  REQUIRE(inet_pton(AF_INET, v4.c_str(), a) == 1);
  rr.rdata.insert(rr.rdata.end(), a, a + 4);
  return rr;
}

dns::AddressPrefix prefix(const std::string& text) {
  dns::AddressPrefix p;
  std::string error;
  REQUIRE(dns::AddressPrefix::parse(text, p, error));
  return p;
}

std::string text_of(const dns::ServerAddress& a) { return a.host(); }

// The scenario `name` without its lines starting with `drop`.
std::string scenario_without(const std::string& name, const std::string& drop) {
  std::ifstream in(scenario_path(name));
  REQUIRE(in);
  std::ostringstream out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(drop) == std::string::npos) out << line << '\n';
  }
  return out.str();
}

}  // namespace

TEST_CASE("private addresses are removed from upstream answers outside the private domains",
          "[replay][iterator][private-address]") {
  resolver::ResolverSettings s;
  s.private_addresses = {prefix("10.0.0.0/8"), prefix("fe80::/10")};
  s.private_domains = {dns::Name::parse("corp.example.")};
  dns::Message m;
  m.answer = {address_record("www.example.", "10.1.2.3"), address_record("www.example.", "192.0.2.1"),
              address_record("www.example.", "fe80::1"), address_record("in.corp.example.", "10.9.9.9"),
              svcb_record("svc.example.", "foo.example.", "10.0.0.1"),
              svcb_record("svc.example.", "foo.example.", "192.0.2.7"),
              svcb_record("svc.corp.example.", "foo.example.", "10.0.0.1")};
  m.additional = {address_record("ns.example.", "10.0.0.53"), address_record("ns.example.", "2001:db8::53")};
  CHECK(resolver::remove_private_addresses(m, s) == 4);
  REQUIRE(m.answer.size() == 4);
  CHECK(m.answer[0].to_text() == "www.example. 300 IN A 192.0.2.1");
  CHECK(m.answer[1].owner.to_text() == "in.corp.example.");
  CHECK(m.answer[2].owner.to_text() == "svc.example.");
  CHECK(m.answer[3].owner.to_text() == "svc.corp.example.");
  REQUIRE(m.additional.size() == 1);
  CHECK(m.additional[0].type == dns::rrtype::AAAA);
  // Without private addresses nothing is touched.
  resolver::ResolverSettings none;
  dns::Message keep;
  keep.answer = {address_record("www.example.", "10.1.2.3")};
  CHECK(resolver::remove_private_addresses(keep, none) == 0);
  CHECK(keep.answer.size() == 1);
  // The scenarios: an RRset loses only its private records, one left empty
  // is NODATA, names in private-domain keep them; SVCB hints the same.
  check_all_pass({"iter_privaddr.rpl", "iter_priv_svcb.rpl"});
}

TEST_CASE("names at and below a negative trust anchor are insecure; the rest is validated",
          "[replay][validator][nta]") {
  // ant.testzone.nlnetlabs.nl is a stub zone serving unsigned data under
  // the signed testzone.nlnetlabs.nl: insecure with domain-insecure (no AD,
  // NOERROR), while testzone's own NXDOMAIN keeps AD.
  check_all_pass({"val_negcache_nta.rpl"});
  // Without the negative trust anchor the same unsigned data is bogus.
  const Outcome o = replay_text(scenario_without("val_negcache_nta.rpl", "domain-insecure:"));
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Fail);
  CHECK(o.text.find("STEP 30") != std::string::npos);
}

TEST_CASE("NAT64 addresses are synthesised as RFC 6052 section 2.4 shows", "[nat64]") {
  dns::ServerAddress v4;
  std::string error;
  REQUIRE(dns::ServerAddress::parse("192.0.2.33", 53, v4, error));
  // RFC 6052 §2.4, Table 1.
  CHECK(text_of(dns::nat64_address(prefix("2001:db8::/32"), v4)) == "2001:db8:c000:221::");
  CHECK(text_of(dns::nat64_address(prefix("2001:db8:100::/40"), v4)) == "2001:db8:1c0:2:21::");
  CHECK(text_of(dns::nat64_address(prefix("2001:db8:122::/48"), v4)) == "2001:db8:122:c000:2:2100::");
  CHECK(text_of(dns::nat64_address(prefix("2001:db8:122:300::/56"), v4)) == "2001:db8:122:3c0:0:221::");
  CHECK(text_of(dns::nat64_address(prefix("2001:db8:122:344::/64"), v4)) == "2001:db8:122:344:c0:2:2100:0");
  CHECK(text_of(dns::nat64_address(prefix("2001:db8:122:344::/96"), v4)) == "2001:db8:122:344::c000:221");
  CHECK(text_of(dns::nat64_address(dns::nat64_well_known_prefix(), v4)) == "64:ff9b::c000:221");
  CHECK(dns::nat64_address(dns::nat64_well_known_prefix(), v4).port() == 53);
  // An IPv6 server, or a prefix of another length, stays as it is.
  dns::ServerAddress v6;
  REQUIRE(dns::ServerAddress::parse("2001:db8::1", 53, v6, error));
  CHECK(dns::nat64_address(dns::nat64_well_known_prefix(), v6) == v6);
  CHECK(dns::nat64_address(prefix("2001:db8::/80"), v4) == v4);
}

TEST_CASE("with NAT64 an IPv4-only nameserver is reached through the prefix", "[replay][iterator][nat64]") {
  // The well-known prefix, a /96 and a /48 (iter_nat64_prefix also has no
  // IPv4 at all: do-ip4: no).
  check_all_pass({"iter_nat64.rpl", "iter_nat64_prefix.rpl", "iter_nat64_prefix48.rpl"});
  // Without do-nat64 the IPv4 server is asked directly, where nothing answers.
  const Outcome o = replay_text(scenario_without("iter_nat64_prefix.rpl", "do-nat64:"));
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Fail);
}

TEST_CASE("a configured zone with tcp asks its servers over TCP only; the fall-back asks over UDP",
          "[replay][iterator][tcp]") {
  // The forwarder of the root (forward-first, forward-tcp-upstream) answers
  // only over TCP and fails; the root's stub servers answer only over UDP.
  check_all_pass({"iter_fwdfirstequaltcp.rpl"});
  // The forwarder answering over TCP is the answer: it was asked over TCP.
  std::ifstream in(scenario_path("iter_fwdfirstequaltcp.rpl"));
  REQUIRE(in);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string failing =
      "REPLY QR RA SERVFAIL\nSECTION QUESTION\nwww.example.com. IN A\nSECTION ANSWER\n;www.example.com. IN A\t10.20.30.50";
  REQUIRE(text.find(failing) != std::string::npos);
  text.replace(text.find(failing), failing.size(),
               "REPLY QR RA NOERROR\nSECTION QUESTION\nwww.example.com. IN A\nSECTION ANSWER\nwww.example.com. IN A\t10.20.30.50");
  const std::string expected = "www.example.com. IN A\t10.20.30.40\nSECTION AUTHORITY";
  REQUIRE(text.rfind(expected) != std::string::npos);
  text.replace(text.rfind(expected), expected.size(), "www.example.com. IN A\t10.20.30.50\nSECTION AUTHORITY");
  const Outcome o = replay_text(text);
  INFO(o.text);
  CHECK(o.status == Outcome::Status::Pass);
}
