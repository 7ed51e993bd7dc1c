// Loading and reloading many zones (issue 16): a reload keeps the snapshot
// object of every zone whose config entry and files did not change, re-reads
// the ones that did, keeps the old version of a changed zone that no longer
// loads; one zone can be reloaded alone; duplicate zones in a long list are
// found without comparing every pair.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/time.h>

#include <string>
#include <vector>

#include "daemon_test_support.h"
#include "server/config.h"
#include "dns/key_file.h"
#include "server/daemon_zones.h"
#include "signing/online_signer.h"
#include "zones/zone.h"
#include "zones/zone_source.h"

using namespace flatns;
using namespace flatns::server;
using flatns::test::TempDir;

namespace {

std::string origin(int i) { return "d" + std::to_string(i) + ".hosting.test"; }

std::string zone_text(int i, uint32_t serial, const std::string& extra = "") {
  return "$ORIGIN " + origin(i) + ".\n$TTL 300\n@ IN SOA ns1.hoster.test. hostmaster.hoster.test. " +
         std::to_string(serial) + " 7200 3600 1209600 300\n@ IN NS ns1.hoster.test.\n@ IN A 192.0.2." +
         std::to_string(i % 250 + 1) + "\n" + extra;
}

// `count` zones in `dir`, and a config naming them.
Config hosting_config(const TempDir& dir, int count) {
  std::string yaml = "server:\n  listen: [\"127.0.0.1:5353\"]\nzones:\n";
  for (int i = 0; i < count; ++i) {
    dir.write(origin(i) + ".zone", zone_text(i, 1));
    yaml += "  - name: " + origin(i) + "\n    file: " + origin(i) + ".zone\n";
  }
  Config config;
  std::vector<ConfigError> errors;
  REQUIRE(parse_config_text(yaml, dir.file("flatns.yaml"), config, errors));
  return config;
}

const zones::Zone* served(const ZoneSetBuild& build, int i) {
  return build.zone_set->find_exact(dns::Name::parse(origin(i) + ".")).get();
}

// Sets the file's modification time to `seconds` after the epoch.
void set_mtime(const std::string& path, long seconds) {
  timeval times[2] = {{seconds, 0}, {seconds, 0}};
  REQUIRE(utimes(path.c_str(), times) == 0);
}

}  // namespace

TEST_CASE("a reload keeps unchanged zones' snapshots and re-reads a changed one", "[daemon_zones]") {
  TempDir dir;
  const Config config = hosting_config(dir, 300);
  ZoneSetBuild first = build_zone_set(config, nullptr, 2);
  REQUIRE(first.loaded() == 300);
  REQUIRE(first.failed() == 0);

  dir.write(origin(17) + ".zone", zone_text(17, 2));
  ZoneSetBuild second = build_zone_set(config, first.zone_set.get(), 2);
  CHECK(second.loaded() == 1);
  CHECK(second.unchanged() == 299);
  CHECK(second.failed() == 0);
  CHECK(served(second, 17)->serial() == 2);
  CHECK(served(second, 17) != served(first, 17));
  for (int i : {0, 16, 18, 299}) CHECK(served(second, i) == served(first, i));  // the same object
  CHECK(second.outcomes[17].loaded);
  CHECK(second.outcomes[18].unchanged);
}

TEST_CASE("a changed zone that no longer loads keeps its old version while the rest reload", "[daemon_zones]") {
  TempDir dir;
  const Config config = hosting_config(dir, 50);
  ZoneSetBuild first = build_zone_set(config, nullptr, 2);
  dir.write(origin(3) + ".zone", zone_text(3, 2, "www IN A 192.0.2.300\n"));
  dir.write(origin(4) + ".zone", zone_text(4, 2));
  ZoneSetBuild second = build_zone_set(config, first.zone_set.get(), 2);
  CHECK(second.failed() == 1);
  CHECK(second.loaded() == 1);
  const ZoneOutcome& broken = second.outcomes[3];
  CHECK(broken.kept_previous);
  REQUIRE(broken.errors.size() == 1);
  CHECK(broken.errors[0].to_string().find(dir.file(origin(3) + ".zone") + ":6:") == 0);
  CHECK(served(second, 3) == served(first, 3));
  CHECK(served(second, 3)->serial() == 1);
  CHECK(served(second, 4)->serial() == 2);
}

TEST_CASE("a zone file rewritten with the same text is not reparsed", "[daemon_zones]") {
  TempDir dir;
  const Config config = hosting_config(dir, 3);
  ZoneSetBuild first = build_zone_set(config, nullptr, 1);
  // Same content, new mtime: the content hash decides.
  dir.write(origin(1) + ".zone", zone_text(1, 1));
  set_mtime(dir.file(origin(1) + ".zone"), 1000000);
  ZoneSetBuild second = build_zone_set(config, first.zone_set.get(), 1);
  CHECK(second.unchanged() == 3);
  CHECK(served(second, 1) == served(first, 1));
  // Same size, other content, another mtime: reparsed.
  dir.write(origin(2) + ".zone", zone_text(2, 7));
  set_mtime(dir.file(origin(2) + ".zone"), 2000000);
  ZoneSetBuild third = build_zone_set(config, second.zone_set.get(), 1);
  CHECK(third.loaded() == 1);
  CHECK(served(third, 2)->serial() == 7);
}

TEST_CASE("a changed config entry reloads that zone; removed and added zones are counted", "[daemon_zones]") {
  TempDir dir;
  Config config = hosting_config(dir, 10);
  ZoneSetBuild first = build_zone_set(config, nullptr, 2);
  config.zones[5].config.flatten = zones::FlattenMode::All;
  config.zones.erase(config.zones.begin() + 9);
  dir.write("extra.zone", zone_text(10, 1));
  ZoneEntry extra;
  extra.config.origin = dns::Name::parse(origin(10) + ".");
  extra.config.file = dir.file("extra.zone");
  config.zones.push_back(extra);
  ZoneSetBuild second = build_zone_set(config, first.zone_set.get(), 2);
  CHECK(second.loaded() == 2);  // the changed entry and the new zone
  CHECK(second.unchanged() == 8);
  CHECK(served(second, 5) != served(first, 5));
  CHECK(served(second, 5)->flatten() == zones::FlattenMode::All);
  REQUIRE(second.removed.size() == 1);
  CHECK(second.removed[0] == origin(9) + ".");
  CHECK(served(second, 9) == nullptr);
}

TEST_CASE("one zone reloads alone", "[daemon_zones]") {
  TempDir dir;
  const Config config = hosting_config(dir, 20);
  ZoneSetBuild first = build_zone_set(config, nullptr, 2);
  ZoneOutcome same = load_zone_entry(config.zones[7], first.zone_set.get(), false);
  CHECK(same.unchanged);
  CHECK(same.zone.get() == served(first, 7));
  ZoneOutcome forced = load_zone_entry(config.zones[7], first.zone_set.get(), true);
  CHECK(forced.loaded);
  CHECK(forced.zone.get() != served(first, 7));

  dir.write(origin(7) + ".zone", zone_text(7, 5));
  ZoneOutcome changed = load_zone_entry(config.zones[7], first.zone_set.get(), false);
  REQUIRE(changed.loaded);
  auto next = replace_zone(*first.zone_set, changed.zone);
  CHECK(next->zones().size() == 20);
  CHECK(next->find_exact(dns::Name::parse(origin(7) + "."))->serial() == 5);
  CHECK(next->find_exact(dns::Name::parse(origin(8) + ".")).get() == served(first, 8));
  CHECK(next->find(dns::Name::parse("www." + origin(7) + ".").wire())->serial() == 5);
}

TEST_CASE("the content hash tells files apart", "[daemon_zones]") {
  CHECK(zones::content_hash("") != zones::content_hash(std::string(1, '\0')));
  CHECK(zones::content_hash("192.0.2.1\n") != zones::content_hash("192.0.2.2\n"));
  CHECK(zones::content_hash("abcdefgh12345678") != zones::content_hash("12345678abcdefgh"));
  CHECK(zones::content_hash("same text") == zones::content_hash("same text"));
}

TEST_CASE("duplicate zones in a long list are errors naming the first line", "[daemon_zones]") {
  std::string yaml = "zones:\n";
  for (int i = 0; i < 20000; ++i) yaml += "  - name: " + origin(i) + "\n    file: z.zone\n";
  yaml += "  - name: D123.Hosting.Test.\n    file: z.zone\n";
  Config config;
  std::vector<ConfigError> errors;
  CHECK_FALSE(parse_config_text(yaml, "flatns.yaml", config, errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].to_string() == "flatns.yaml:40002: zones[20000].name: duplicate zone D123.Hosting.Test. "
                                 "(first given on line 248)");
}

TEST_CASE("a signed zone is signed at load and not again when nothing changed", "[daemon_zones][dnssec]") {
  TempDir dir;
  dir.write(origin(1) + ".zone", zone_text(1, 1));
  const std::string yaml = "server:\n  listen: [\"127.0.0.1:5353\"]\nzones:\n  - name: " + origin(1) + "\n    file: " +
                           origin(1) + ".zone\n    dnssec:\n      signing: online\n      keys: keys\n";
  Config config;
  std::vector<ConfigError> errors;
  REQUIRE(parse_config_text(yaml, dir.file("flatns.yaml"), config, errors));
  ZoneSetBuild first = build_zone_set(config, nullptr, 1);
  REQUIRE(first.loaded() == 1);
  const zones::Zone* signed_zone = served(first, 1);
  REQUIRE(signing::OnlineSigner::of(*signed_zone) != nullptr);
  CHECK(first.outcomes[0].signing_note.find("made a new CSK") != std::string::npos);

  // The CSK made at load is in the folder now: the folder counts as unchanged.
  ZoneSetBuild second = build_zone_set(config, first.zone_set.get(), 1);
  CHECK(second.unchanged() == 1);
  CHECK(served(second, 1) == signed_zone);

  // A key file changed (dnssec-settime, a new key): signed again.
  std::vector<std::string> keys;
  std::string error;
  REQUIRE(dns::list_key_files(dir.file("keys"), keys, error));
  REQUIRE(keys.size() == 1);
  set_mtime(keys[0], 1000000);
  ZoneSetBuild third = build_zone_set(config, second.zone_set.get(), 1);
  CHECK(third.loaded() == 1);
  CHECK(served(third, 1) != signed_zone);
  CHECK(signing::OnlineSigner::of(*served(third, 1)) != nullptr);

  // The zone file changed: read and signed again.
  dir.write(origin(1) + ".zone", zone_text(1, 2));
  ZoneSetBuild fourth = build_zone_set(config, third.zone_set.get(), 1);
  CHECK(fourth.loaded() == 1);
  CHECK(served(fourth, 1)->serial() == 2);
}
