// Differential check against ldns-read-zone (ldnsutils): for every record of
// the corpus zones, owner, TTL, class, type and RDATA must come out as ldns
// reads them. RDATA is compared in presentation form (dns::rdata_to_text),
// so this also pins the RDATA parsers and printers on real data.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "tests/zones/zone_scan_helpers.h"

using namespace flatns;
using namespace flatns::zones;
using namespace flatns::zones::test;

namespace {

// Lowercased, with each run of blanks made one space: ldns pads some fields.
std::string normalize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool blank = false;
  for (const char c : s) {
    if (c == ' ' || c == '\t') {
      blank = true;
      continue;
    }
    if (blank && !out.empty()) out.push_back(' ');
    blank = false;
    out.push_back(static_cast<char>(dns::ascii_lower(static_cast<uint8_t>(c))));
  }
  return out;
}

// ldns-read-zone's records, one "owner ttl class type rdata" line each normalized.
std::vector<std::string> ldns_lines(const std::string& path) {
  std::vector<std::string> out;
  const std::string cmd = "ldns-read-zone '" + path + "' 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), ::pclose);
  REQUIRE(pipe != nullptr);
  std::string line;
  char buf[65536];
  while (std::fgets(buf, sizeof buf, pipe.get())) {
    line += buf;
    if (line.empty() || line.back() != '\n') continue;
    line.pop_back();
    // ldns appends a comment to DNSKEY records: " ;{id = 20326 (ksk), size = 2048b}".
    const std::size_t key_comment = line.find(" ;{id = ");
    if (key_comment != std::string::npos) line.resize(key_comment);
    if (!line.empty() && line[0] != ';') out.push_back(normalize(line));
    line.clear();
  }
  return out;
}

std::vector<std::string> our_lines(const std::string& path, std::string_view origin) {
  auto r = scan_path(path, origin);
  INFO(r.error_text());
  REQUIRE(r.ok);
  std::vector<std::string> out;
  out.reserve(r.records.size());
  for (const auto& rec : r.records) {
    out.push_back(normalize(rec.owner.to_text() + "\t" + std::to_string(rec.ttl) + "\t" +
                        dns::class_to_text(rec.rclass) + "\t" + dns::type_to_text(rec.type) +
                        "\t" + dns::rdata_to_text(rec.type, rec.rdata)));
  }
  return out;
}

void compare_with_ldns(const std::string& path, std::string_view origin) {
  auto theirs = ldns_lines(path);
  auto ours = our_lines(path, origin);
  REQUIRE(!theirs.empty());
  std::sort(theirs.begin(), theirs.end());
  std::sort(ours.begin(), ours.end());
  std::vector<std::string> only_ours, only_theirs;
  std::set_difference(ours.begin(), ours.end(), theirs.begin(), theirs.end(),
                      std::back_inserter(only_ours));
  std::set_difference(theirs.begin(), theirs.end(), ours.begin(), ours.end(),
                      std::back_inserter(only_theirs));
  std::string shown;
  for (std::size_t i = 0; i < only_ours.size() && i < 5; ++i) shown += "flatns: " + only_ours[i] + "\n";
  for (std::size_t i = 0; i < only_theirs.size() && i < 5; ++i) shown += "ldns:   " + only_theirs[i] + "\n";
  INFO(shown);
  CHECK(ours.size() == theirs.size());
  CHECK(only_ours.empty());
  CHECK(only_theirs.empty());
}

}  // namespace

TEST_CASE("ldns-read-zone agrees record by record: root.zone") {
  compare_with_ldns(FLATNS_CORPUS_DIR "/root.zone", ".");
}

TEST_CASE("ldns-read-zone agrees record by record: gov.zone") {
  compare_with_ldns(FLATNS_CORPUS_DIR "/gov.zone", "gov.");
}

TEST_CASE("ldns-read-zone agrees record by record: RFC 5155 and RFC 4592 zones") {
  compare_with_ldns(FLATNS_CORPUS_DIR "/rfc/rfc5155-appendixA.zone", "example.");
  compare_with_ldns(FLATNS_CORPUS_DIR "/rfc/rfc4592-wildcard.zone", "example.");
}
