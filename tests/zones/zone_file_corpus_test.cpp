// Real zone files (tests/data/corpus, see SOURCES.md) and a one-million-record
// zone. Record counts are those ldns-read-zone prints for the same files.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <map>

#include "dns/rrtype.h"
#include "tests/zones/zone_scan_helpers.h"

using namespace flatns;
using namespace flatns::zones;
using namespace flatns::zones::test;
namespace rrtype = flatns::dns::rrtype;

namespace {

struct Counted {
  bool ok = false;
  std::size_t records = 0;
  std::map<uint16_t, std::size_t> by_type;
  std::vector<ZoneFileError> errors;
  double seconds = 0;
};

Counted count_file(const std::string& path, std::string_view origin) {
  Counted c;
  ZoneFileOptions options;
  options.origin = dns::Name::parse(origin);
  const auto start = std::chrono::steady_clock::now();
  c.ok = scan_zone_file(
      path, options,
      [&](ParsedRecord&& r) {
        ++c.records;
        ++c.by_type[r.type];
      },
      c.errors);
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return c;
}

std::string errors_of(const Counted& c) {
  std::string out;
  for (std::size_t i = 0; i < c.errors.size() && i < 20; ++i) out += c.errors[i].to_string() + "\n";
  return out;
}

}  // namespace

TEST_CASE("corpus: the signed IANA root zone, 24,816 RRs") {
  auto c = count_file(FLATNS_CORPUS_DIR "/root.zone", ".");
  INFO(errors_of(c));
  REQUIRE(c.ok);
  CHECK(c.records == 24816);
  CHECK(c.by_type[rrtype::RRSIG] == 2849);
  CHECK(c.by_type[rrtype::NSEC] == 1480);
  CHECK(c.by_type[rrtype::DS] == 1612);
  CHECK(c.by_type[rrtype::SOA] == 1);
}

TEST_CASE("corpus: the root zone without signatures (ZONEMD), 22,094 RRs") {
  auto c = count_file(FLATNS_CORPUS_DIR "/root.zone.2026082201-nosigs", ".");
  INFO(errors_of(c));
  REQUIRE(c.ok);
  CHECK(c.records == 22094);
}

TEST_CASE("corpus: the .gov export, 47,807 RRs") {
  auto c = count_file(FLATNS_CORPUS_DIR "/gov.zone", "gov.");
  INFO(errors_of(c));
  REQUIRE(c.ok);
  CHECK(c.records == 47807);
  CHECK(c.by_type[rrtype::NS] == 43953);
  CHECK(c.by_type[rrtype::DS] == 2718);
  CHECK(c.by_type[rrtype::A] == 887);
  CHECK(c.by_type[rrtype::AAAA] == 247);
  WARN("gov.zone (47,807 RRs) scanned in " << c.seconds * 1000 << " ms");
}

TEST_CASE("corpus: RFC 5155 appendix A zone (multi-line RRSIG/NSEC3), 70 RRs") {
  auto c = count_file(FLATNS_CORPUS_DIR "/rfc/rfc5155-appendixA.zone", "example.");
  INFO(errors_of(c));
  REQUIRE(c.ok);
  CHECK(c.records == 70);
  CHECK(c.by_type[rrtype::NSEC3] == 12);
}

TEST_CASE("corpus: RFC 4592 wildcard zone, 12 RRs") {
  auto c = count_file(FLATNS_CORPUS_DIR "/rfc/rfc4592-wildcard.zone", "example.");
  INFO(errors_of(c));
  REQUIRE(c.ok);
  CHECK(c.records == 12);
  CHECK(c.by_type[rrtype::SRV] == 3);
}

TEST_CASE("one million records: mixed A/AAAA/MX/TXT with relative names") {
  constexpr int kOwners = 250000;  // four records each
  std::string text;
  text.reserve(kOwners * 130);
  text +=
      "$ORIGIN big.example.\n$TTL 3600\n"
      "@ SOA ns1 hostmaster ( 1 7200 3600 1209600 300 )\n";
  char line[256];
  for (int i = 0; i < kOwners; ++i) {
    const int n = std::snprintf(line, sizeof line,
                                "host%d A 10.%d.%d.%d\n"
                                "\tAAAA 2001:db8::%x:%x\n"
                                "\t300 IN MX 10 mail%d\n"
                                "\tTXT \"v=spf1 -all\" ; record %d\n",
                                i, (i >> 16) & 255, (i >> 8) & 255, i & 255, i >> 16, i & 0xffff,
                                i % 100, i);
    text.append(line, static_cast<std::size_t>(n));
  }
  std::size_t records = 0, mx = 0;
  std::vector<ZoneFileError> errors;
  ZoneFileOptions options;
  options.origin = dns::Name::parse("big.example.");
  const auto start = std::chrono::steady_clock::now();
  const bool ok = scan_zone_text(
      text, "big.zone", options,
      [&](ParsedRecord&& r) {
        ++records;
        if (r.type == rrtype::MX) ++mx;
      },
      errors);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO((errors.empty() ? std::string() : errors[0].to_string()));
  REQUIRE(ok);
  CHECK(records == 1 + 4 * kOwners);
  CHECK(mx == kOwners);
  WARN("1,000,001 records (" << text.size() / (1024 * 1024) << " MiB) scanned in "
                             << seconds * 1000 << " ms");
}
