// Signing a zone at load (signing/zone_signer.h): every RRSIG verifies with
// our verifier; the signed zone passes ldns-verify-zone and dnssec-verify
// (the outside oracles); keys flatns makes sign the static zone through
// ldns-signzone and dnssec-signzone too (keys move to other tools); the
// compact-denial NSECs carry each name's true types.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "dns/dnssec.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/type_bitmap.h"
#include "signing/zone_signer.h"
#include "tests/signing/signed_example.h"
#include "zones/zone.h"

using namespace flatns;
namespace rrtype = dns::rrtype;

namespace {

using testing::example_config;
using testing::sign_example;
using Signed = testing::SignedExample;
const std::string& kZoneFile = testing::kExampleZoneFile;

// The zone in master-file text, RRSIGs after the set they cover. With
// `signer`, for the zone verifiers (which check an NSEC chain): the compact
// NSECs are replaced by a classic chain with the same bitmaps, signed by
// `signer`, and the flattened apex CNAME (never served) is left out.
std::string zone_text(const zones::Zone& z, const signing::OnlineSigner* signer = nullptr) {
  std::string out;
  std::vector<const zones::Node*> chain;
  for (const zones::Node& n : z.nodes()) {
    if (z.rrset(&n, rrtype::NSEC)) chain.push_back(&n);
  }
  for (const zones::Node& n : z.nodes()) {
    const std::string owner = dns::name_to_text(z.name(&n));
    for (const zones::RRset& set : z.rrsets(&n)) {
      if (signer && set.type == rrtype::CNAME && n.flags & zones::node_flag::kApex) continue;
      if (signer && set.type == rrtype::NSEC) {
        auto it = std::find(chain.begin(), chain.end(), &n);
        const zones::Node* next = (it + 1 == chain.end()) ? chain.front() : *(it + 1);
        // The types the dump holds at the name (the flattened apex's A and
        // AAAA, in the compact bitmap, are not in a static zone).
        const dns::NameView next_name = z.name(next);
        std::vector<uint8_t> rd(next_name.begin(), next_name.end());
        std::vector<uint16_t> types{rrtype::RRSIG, rrtype::NSEC};
        for (const zones::RRset& other : z.rrsets(&n)) {
          if (other.type != rrtype::CNAME || !(n.flags & zones::node_flag::kApex)) types.push_back(other.type);
        }
        dns::type_bitmap_encode(types, rd);
        const std::span<const uint8_t> rds[] = {rd};
        std::vector<std::vector<uint8_t>> sigs;
        REQUIRE(signer->sign({z.name(&n), rrtype::NSEC, 1, rds}, set.ttl, ::time(nullptr), sigs));
        out += owner + " " + std::to_string(set.ttl) + " IN NSEC " + dns::rdata_to_text(rrtype::NSEC, rd) + "\n";
        for (const auto& sig : sigs) {
          out += owner + " " + std::to_string(set.ttl) + " IN RRSIG " + dns::rdata_to_text(rrtype::RRSIG, sig) + "\n";
        }
        continue;
      }
      z.records(set).for_each([&](std::span<const uint8_t> rd) {
        out += owner + " " + std::to_string(set.ttl) + " IN " + dns::type_to_text(set.type) + " " +
               dns::rdata_to_text(set.type, rd) + "\n";
      });
      if (const zones::SigSet* sigs = z.sigs(set)) {
        z.records(*sigs).for_each([&](std::span<const uint8_t> rd) {
          out += owner + " " + std::to_string(sigs->ttl) + " IN RRSIG " +
                 dns::rdata_to_text(rrtype::RRSIG, rd) + "\n";
        });
      }
    }
  }
  return out;
}

int run(const std::string& command) {
  INFO(command);
  const int rc = std::system((command + " >" + "/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::set<uint16_t> nsec_types(const zones::Zone& z, const char* name) {
  const dns::Name n = dns::Name::parse(name);
  const zones::Node* node = z.find(n.wire());
  REQUIRE(node);
  const zones::RRset* nsec = z.rrset(node, rrtype::NSEC);
  REQUIRE(nsec);
  std::set<uint16_t> types;
  z.records(*nsec).for_each([&](std::span<const uint8_t> rd) {
    const std::size_t next = n.size() + 2;  // "\000." + owner
    REQUIRE(rd.size() > next);
    CHECK(rd[0] == 1);
    CHECK(rd[1] == 0);
    for (uint16_t t : dns::type_bitmap_types(rd.subspan(next))) types.insert(t);
  });
  return types;
}

}  // namespace

TEST_CASE("every RRSIG of a zone signed online verifies", "[signing]") {
  for (uint8_t alg : {13, 14, 15, 16}) {
    INFO(int(alg));
    const int64_t now = ::time(nullptr);
    Signed s = sign_example(alg, now);
    const zones::Zone& z = *s.zone;
    CHECK(z.online_signed());
    CHECK(z.signed_zone());
    const auto dnskeys = s.signer->keys().dnskeys();
    REQUIRE(dnskeys.size() == 1);
    std::size_t verified = 0;
    for (const zones::Node& n : z.nodes()) {
      for (const zones::RRset& set : z.rrsets(&n)) {
        const zones::SigSet* sigs = z.sigs(set);
        if (!sigs) continue;
        std::vector<std::span<const uint8_t>> rds;
        z.records(set).for_each([&](std::span<const uint8_t> rd) { rds.push_back(rd); });
        const dns::RrsetRef ref{z.name(&n), set.type, 1, rds};
        z.records(*sigs).for_each([&](std::span<const uint8_t> sig) {
          CHECK(dns::verify_rrsig(ref, sig, z.origin().wire(), dnskeys[0]) == dns::VerifyResult::ok);
          dns::RrsigRdata parsed;
          REQUIRE(dns::parse_rrsig(sig, parsed));
          CHECK(dns::signature_time(parsed, now) == dns::SignatureTime::valid);
          CHECK(parsed.original_ttl == set.ttl);
          ++verified;
        });
      }
    }
    CHECK(verified == s.stats.signatures);
    CHECK(verified > 20);
    std::filesystem::remove_all(s.dir);
  }
}

TEST_CASE("what is signed and what is not", "[signing]") {
  Signed s = sign_example(13, ::time(nullptr));
  const zones::Zone& z = *s.zone;
  auto sigs_of = [&](const char* name, uint16_t type) -> const zones::SigSet* {
    const zones::Node* node = z.find(dns::Name::parse(name).wire());
    REQUIRE(node);
    const zones::RRset* set = z.rrset(node, type);
    REQUIRE(set);
    return z.sigs(*set);
  };
  CHECK(sigs_of("example.com.", rrtype::SOA));
  CHECK(sigs_of("example.com.", rrtype::DNSKEY));
  CHECK(sigs_of("example.com.", rrtype::CDS));
  CHECK(sigs_of("example.com.", rrtype::CDNSKEY));
  CHECK_FALSE(sigs_of("example.com.", rrtype::CNAME));  // flattened: never shown
  CHECK_FALSE(sigs_of("sub.example.com.", rrtype::NS));  // the child's
  CHECK_FALSE(sigs_of("ns1.sub.example.com.", rrtype::A));  // glue
  CHECK(sigs_of("secure.example.com.", rrtype::DS));
  CHECK(sigs_of("*.apps.example.com.", rrtype::A));
  // Glue has no NSEC.
  CHECK_FALSE(z.rrset(z.find(dns::Name::parse("ns1.sub.example.com.").wire()), rrtype::NSEC));

  using T = std::set<uint16_t>;
  // The apex flattens: A and AAAA are not denied.
  CHECK(nsec_types(z, "example.com.") == T{rrtype::A, rrtype::AAAA, rrtype::NS, rrtype::SOA, rrtype::MX, rrtype::TXT,
                                           rrtype::RRSIG, rrtype::NSEC, rrtype::DNSKEY,
                                           rrtype::CDS, rrtype::CDNSKEY});
  CHECK(nsec_types(z, "ent.example.com.") == T{rrtype::RRSIG, rrtype::NSEC});
  CHECK(nsec_types(z, "a.ent.example.com.") == T{rrtype::RRSIG, rrtype::NSEC});
  CHECK(nsec_types(z, "sub.example.com.") == T{rrtype::NS, rrtype::RRSIG, rrtype::NSEC});
  CHECK(nsec_types(z, "secure.example.com.") == T{rrtype::NS, rrtype::DS, rrtype::RRSIG, rrtype::NSEC});
  CHECK(nsec_types(z, "www.example.com.") == T{rrtype::CNAME, rrtype::RRSIG, rrtype::NSEC});
  std::filesystem::remove_all(s.dir);
}

TEST_CASE("a zone signed online passes ldns-verify-zone and dnssec-verify", "[signing][oracle]") {
  Signed s = sign_example(13, ::time(nullptr));
  const std::string path = s.dir + "/signed.zone";
  std::ofstream(path) << zone_text(*s.zone, s.signer.get());
  CHECK(run("ldns-verify-zone " + path) == 0);
  CHECK(run("dnssec-verify -z -o example.com " + path) == 0);
  // A changed record breaks the check: the oracle can fail.
  std::string text = zone_text(*s.zone, s.signer.get());
  const std::size_t at = text.find("192.0.2.25");
  REQUIRE(at != std::string::npos);
  text.replace(at, 10, "192.0.2.26");
  std::ofstream(path, std::ios::trunc) << text;
  CHECK(run("ldns-verify-zone " + path) != 0);
  std::filesystem::remove_all(s.dir);
}

TEST_CASE("keys flatns makes sign through ldns-signzone and dnssec-signzone", "[signing][oracle]") {
  Signed s = sign_example(13, ::time(nullptr));
  const std::string keys = s.dir + "/keys";
  std::vector<std::string> files;
  std::string error;
  REQUIRE(dns::list_key_files(keys, files, error));
  REQUIRE(files.size() == 1);
  const std::string base = files[0].substr(0, files[0].size() - 8);
  // The static zone without the CNAME beside other data (the other tools refuse it).
  std::ifstream in(kZoneFile);
  std::string line, plain;
  while (std::getline(in, line)) {
    if (line.find("CNAME www.example.net.") == std::string::npos) plain += line + "\n";
  }
  const std::string zone = s.dir + "/plain.zone";
  std::ofstream(zone) << plain;
  CHECK(run("cd " + s.dir + " && ldns-signzone -o example.com. -f ldns.signed " + zone + " " + base) == 0);
  CHECK(run("ldns-verify-zone " + s.dir + "/ldns.signed") == 0);
  CHECK(run("cd " + s.dir + " && dnssec-signzone -K " + keys + " -o example.com. -f bind.signed -S -z " + zone) == 0);
  CHECK(run("dnssec-verify -z -o example.com " + s.dir + "/bind.signed") == 0);
  std::filesystem::remove_all(s.dir);
}

// Zone transfers carry the signed zone (transfer/outgoing.h serves the
// snapshot served), so a signing that changes its records must raise the
// serial for secondaries to follow, and one that changes nothing must not.
TEST_CASE("re-signing raises the SOA serial only when the records change", "[signing][serial]") {
  const int64_t now = ::time(nullptr);
  Signed s = sign_example(13, now);
  const uint32_t file_serial = s.zone->serial();
  CHECK_FALSE(s.stats.serial_raised);
  CHECK(s.stats.serial == file_serial);
  const signing::PreviousSigning first{file_serial, s.stats.content};

  // A minute later every signature is still fresh in the cache: the same zone, the same serial.
  signing::SignStats same;
  const auto unchanged = signing::sign_zone(*s.zone, example_config(), *s.signer, now + 60, 2, &same, &first);
  REQUIRE(unchanged.zone);
  CHECK(unchanged.zone->serial() == file_serial);
  CHECK(same.content == s.stats.content);
  CHECK_FALSE(same.serial_raised);

  // Past the refresh time every signature is made again: a higher serial
  // (the Unix time, or the old serial + 1 when that is not higher), and
  // the SOA's RRSIG covers the new one.
  const int64_t later = now + s.signer->policy().rrsig_lifetime;
  signing::SignStats resigned;
  const auto changed = signing::sign_zone(*s.zone, example_config(), *s.signer, later, 2, &resigned, &first);
  REQUIRE(changed.zone);
  const zones::Zone& z = *changed.zone;
  CHECK(resigned.serial_raised);
  const uint32_t expected =
      signing::serial_after(static_cast<uint32_t>(later), file_serial) ? static_cast<uint32_t>(later) : file_serial + 1;
  CHECK(z.serial() == expected);
  CHECK(signing::serial_after(z.serial(), file_serial));
  const zones::RRset* soa = z.rrset(z.apex(), rrtype::SOA);
  REQUIRE(soa);
  REQUIRE(z.sigs(*soa));
  std::vector<std::span<const uint8_t>> rds;
  z.records(*soa).for_each([&](std::span<const uint8_t> rd) { rds.push_back(rd); });
  const auto dnskeys = s.signer->keys().dnskeys();
  std::size_t verified = 0;
  z.records(*z.sigs(*soa)).for_each([&](std::span<const uint8_t> sig) {
    CHECK(dns::verify_rrsig({z.name(z.apex()), rrtype::SOA, 1, rds}, sig, z.origin().wire(), dnskeys[0]) ==
          dns::VerifyResult::ok);
    ++verified;
  });
  CHECK(verified == 1);

  // The next pass, nothing due: the raised serial stays.
  const signing::PreviousSigning second{z.serial(), resigned.content};
  signing::SignStats third;
  const auto kept = signing::sign_zone(z, example_config(), *s.signer, later + 60, 2, &third, &second);
  REQUIRE(kept.zone);
  CHECK(kept.zone->serial() == z.serial());
  CHECK(third.content == resigned.content);
  // A zone file whose serial is higher than the one served wins.
  CHECK(signing::serial_after(file_serial + 1, file_serial));
  CHECK_FALSE(signing::serial_after(file_serial, file_serial));
  CHECK(signing::serial_after(5, 0xfffffff0u));  // RFC 1982 wrap-around
  std::filesystem::remove_all(s.dir);
}
