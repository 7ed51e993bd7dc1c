// The flattened-answer cache file (flatten/cache_file.h): what is saved and
// restored (validated answers only, their age kept across clocks), and a
// reader that rejects every truncation, every flipped octet, random bytes,
// an empty file and another format version without crashing; the atomic
// writer's mode; and which targets the zones flatten to (FlattenedTargets).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "dns/rrtype.h"
#include "flatten/cache_file.h"
#include "flatten/flattened_targets.h"
#include "flatten_test_util.h"
#include "tests/support/temp_file.h"
#include "zones/zone.h"

using namespace flatns;
using flatten::AnswerKind;
using flatten::CachedAnswer;
using flatten::CacheClocks;

namespace {

constexpr uint64_t kWall = 1'800'000'000'000;  // 2027, in Unix ms

CachedAnswer aaaa_insecure(const std::string& target, uint64_t now) {
  CachedAnswer e;
  e.set_key(dns::Name::parse(target).wire(), dns::rrtype::AAAA);
  e.kind = AnswerKind::Addresses;
  e.secure = false;
  e.address_size = 16;
  e.address_count = 1;
  for (int i = 0; i < 16; ++i) e.addresses[0][i] = static_cast<uint8_t>(0x20 + i);
  e.ttl_s = 120;
  e.validated_ms = now;
  return e;
}

std::vector<CachedAnswer> sample_entries(uint64_t now) {
  std::vector<CachedAnswer> v;
  v.push_back(testing::entry_for("edge.cdn.test.", testing::answer_result("edge.cdn.test.", {"198.51.100.1", "198.51.100.2"}, 300), now - 100'000));
  v.push_back(aaaa_insecure("v6.cdn.test.", now - 10'000));
  CachedAnswer nodata = v[0];
  nodata.set_key(dns::Name::parse("empty.cdn.test.").wire(), dns::rrtype::A);
  nodata.kind = AnswerKind::NoData;
  nodata.address_count = 0;
  v.push_back(nodata);
  CachedAnswer nx = nodata;
  nx.set_key(dns::Name::parse("gone.cdn.test.").wire(), dns::rrtype::A);
  nx.kind = AnswerKind::NxDomain;
  v.push_back(nx);
  return v;
}

}  // namespace

TEST_CASE("cache file: validated answers round-trip with their age, failures are not written", "[cache_file]") {
  const uint64_t saved_at = 50'000'000;
  auto entries = sample_entries(saved_at);
  // Never validated, only failed (bogus): not written.
  entries.push_back(testing::entry_for("bogus.cdn.test.",
                                       testing::bogus_result("bogus.cdn.test.", resolver::BogusReason::SignatureExpired,
                                                             "cdn.test.", "192.0.2.53"),
                                       saved_at));
  // Validated once, failing now: the validated answer is written, not the failure.
  const CachedAnswer before = entries[0];
  entries.push_back(testing::entry_for("edge.cdn.test.", testing::timeout_result("edge.cdn.test.", "192.0.2.9"),
                                       saved_at, &before));
  entries.erase(entries.begin());
  const auto bytes = flatten::encode_cache_file(entries, {saved_at, kWall});

  // Read back 20 s later on the wall clock, after a reboot (the flatten clock smaller).
  const CacheClocks later{7'000'000, kWall + 20'000};
  flatten::CacheFileContents read;
  std::string error;
  REQUIRE(flatten::decode_cache_file(bytes, later, read, error));
  CHECK(read.saved_wall_ms == kWall);
  REQUIRE(read.entries.size() == 4);
  for (const auto& e : read.entries) CHECK_FALSE(e.failed);
  const CachedAnswer& v6 = read.entries[0];
  CHECK(dns::name_to_text(v6.target()) == "v6.cdn.test.");
  CHECK(v6.qtype == dns::rrtype::AAAA);
  CHECK_FALSE(v6.secure);
  CHECK(v6.address(0)[15] == 0x2f);
  CHECK(later.flatten_ms - v6.validated_ms == 30'000);  // 10 s old when saved, 20 s since
  const CachedAnswer& edge = read.entries[3];
  CHECK(dns::name_to_text(edge.target()) == "edge.cdn.test.");
  CHECK(edge.secure);
  CHECK(edge.kind == AnswerKind::Addresses);
  CHECK(edge.address_count == 2);
  CHECK(edge.ttl_s == 300);
  CHECK(later.flatten_ms - edge.validated_ms == 120'000);
  CHECK(edge.fresh(later.flatten_ms));
  CHECK(read.entries[1].kind == AnswerKind::NoData);
  CHECK(read.entries[2].kind == AnswerKind::NxDomain);

  // A validation time after "now" (the wall clock went back) counts as now.
  REQUIRE(flatten::decode_cache_file(bytes, {7'000'000, kWall - 3'600'000}, read, error));
  CHECK(read.entries[0].validated_ms == 7'000'000);
}

TEST_CASE("cache file: every truncation, every flipped octet, random bytes, empty and other versions are refused",
          "[cache_file]") {
  const auto bytes = flatten::encode_cache_file(sample_entries(50'000'000), {50'000'000, kWall});
  const CacheClocks now{60'000'000, kWall};
  flatten::CacheFileContents read;
  std::string error;
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    INFO("truncated to " << length << " of " << bytes.size() << " octets");
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
    error.clear();
    CHECK_FALSE(flatten::decode_cache_file(cut, now, read, error));
    CHECK_FALSE(error.empty());
    CHECK(read.entries.empty());
  }
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    INFO("octet " << i << " flipped");
    auto flipped = bytes;
    flipped[i] ^= 0x41;
    CHECK_FALSE(flatten::decode_cache_file(flipped, now, read, error));
    CHECK(read.entries.empty());
  }
  std::mt19937 random(20);
  for (int round = 0; round < 200; ++round) {
    std::vector<uint8_t> noise(random() % 2048);
    for (auto& b : noise) b = static_cast<uint8_t>(random());
    CHECK_FALSE(flatten::decode_cache_file(noise, now, read, error));
  }
  CHECK_FALSE(flatten::decode_cache_file({}, now, read, error));
  CHECK(error == "empty file");

  auto other_version = bytes;
  other_version[11] = 2;  // the low octet of the format version
  CHECK_FALSE(flatten::decode_cache_file(other_version, now, read, error));
  CHECK(error == "written in format version 2, this flatns reads version 1");

  // Intact, it reads.
  CHECK(flatten::decode_cache_file(bytes, now, read, error));
  CHECK(read.entries.size() == 4);
}

TEST_CASE("cache file: written atomically with mode 0600, read back bounded", "[cache_file]") {
  const auto folder = std::filesystem::temp_directory_path() / ("flatns-cache-file-" + std::to_string(getpid()));
  std::filesystem::create_directories(folder);
  const std::string path = (folder / "flattened.cache").string();
  {
    std::ofstream old(path);  // an older, world-readable file is replaced
    old << "old";
  }
  ::chmod(path.c_str(), 0644);
  const auto bytes = flatten::encode_cache_file(sample_entries(50'000'000), {50'000'000, kWall});
  std::string error;
  REQUIRE(flatten::write_cache_file(path, bytes, error));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));

  std::vector<uint8_t> back;
  bool missing = true;
  REQUIRE(flatten::read_cache_file(path, bytes.size(), back, missing, error));
  CHECK(back == bytes);
  CHECK_FALSE(flatten::read_cache_file(path, bytes.size() - 1, back, missing, error));
  CHECK_FALSE(missing);
  CHECK(error.find("more than") != std::string::npos);
  CHECK_FALSE(flatten::read_cache_file((folder / "none").string(), 100, back, missing, error));
  CHECK(missing);

  // A folder that cannot be written: an error naming the file.
  CHECK_FALSE(flatten::write_cache_file((folder / "no" / "such" / "file").string(), bytes, error));
  CHECK(error.find("no/such/file.tmp") != std::string::npos);
  std::filesystem::remove_all(folder);
}

TEST_CASE("cache file: the targets the zones flatten to, through local chains", "[cache_file]") {
  testing::TempFile customer{
      "$ORIGIN example.com.\n$TTL 3600\n@ SOA ns1 hostmaster 1 3600 600 86400 120\n@ NS ns1\nns1 A 192.0.2.1\n"
      "@ CNAME www.example.net.\nsub CNAME Edge.CDN.test.\n"};
  testing::TempFile local{
      "$ORIGIN example.net.\n$TTL 3600\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.2\n"
      "www CNAME edge.cdn.test.\n"};
  auto a = zones::load_zone({dns::Name::parse("example.com."), customer.path(), zones::FlattenMode::Apex});
  auto b = zones::load_zone({dns::Name::parse("example.net."), local.path(), zones::FlattenMode::Off});
  REQUIRE(a.zone);
  REQUIRE(b.zone);
  const flatten::FlattenedTargets apex(zones::ZoneSet({a.zone, b.zone}), {});
  CHECK(apex.size() == 2);
  CHECK(apex.contains(dns::Name::parse("edge.cdn.test.").wire(), dns::rrtype::A));
  CHECK(apex.contains(dns::Name::parse("EDGE.cdn.test.").wire(), dns::rrtype::AAAA));
  CHECK_FALSE(apex.contains(dns::Name::parse("www.example.net.").wire(), dns::rrtype::A));

  auto all = zones::load_zone({dns::Name::parse("example.com."), customer.path(), zones::FlattenMode::All});
  REQUIRE(all.zone);
  const flatten::FlattenedTargets every(zones::ZoneSet({all.zone, b.zone}), {});
  CHECK(every.size() == 2);  // sub reaches the same target
  // example.net. (flatten: off) has a CNAME to the same target, which is no flattened name.
  CHECK(flatten::FlattenedTargets(zones::ZoneSet({b.zone}), {}).size() == 0);
}
