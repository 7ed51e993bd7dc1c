// Catalog zones (transfer/catalog.h, RFC 9432): the member list read from a
// catalog zone, every way a catalog is refused, hostile member names kept
// inside their folder, and a produced catalog read back.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

#include "tests/support/temp_file.h"
#include "transfer/catalog.h"
#include "zones/zone.h"

using namespace flatns;

namespace {

constexpr const char* kHead =
    "$ORIGIN catalog.example.\n$TTL 0\n@ SOA invalid. invalid. 1 3600 600 2147483646 0\n@ NS invalid.\n";

std::shared_ptr<const zones::Zone> zone_of(const std::string& body, const char* origin = "catalog.example.") {
  testing::TempFile file(std::string(kHead) + body);
  auto r = zones::load_zone({dns::Name::parse(origin), file.path(), zones::FlattenMode::Off});
  REQUIRE(r.zone);
  return r.zone;
}

transfer::CatalogRead read(const std::string& body, std::size_t max_members = 100) {
  return transfer::read_catalog(*zone_of(body), max_members);
}

}  // namespace

TEST_CASE("catalog: members, group and coo are read", "[catalog]") {
  const auto r = read(
      "version TXT \"2\"\n"
      "m1.zones PTR Example.COM.\n"
      "group.m1.zones TXT \"edge\" \"ignored\"\n"
      "m2.zones PTR example.net.\n"
      "coo.m2.zones PTR other.catalog.\n"
      "ext.m2.zones TXT \"unknown property\"\n"
      "somewhere.else TXT \"not a catalog name: ignored\"\n");
  REQUIRE(r.ok);
  REQUIRE(r.members.size() == 2);
  CHECK(r.members[0].zone.to_text() == "example.com.");  // lowercased, canonical order
  CHECK(r.members[0].unique_id == "m1");
  CHECK(r.members[0].group == std::optional<std::string>("edge"));
  CHECK_FALSE(r.members[0].coo);
  CHECK(r.members[1].zone.to_text() == "example.net.");
  REQUIRE(r.members[1].coo);
  CHECK(r.members[1].coo->to_text() == "other.catalog.");
  REQUIRE(r.notes.size() == 1);
  CHECK(r.notes[0].find("ext.m2.zones.catalog.example.") != std::string::npos);
}

TEST_CASE("catalog: only schema version 2 is read", "[catalog]") {
  for (const char* version : {"", "version TXT \"1\"\n", "version TXT \"2\" \"2\"\n",
                              "version TXT \"2\"\nversion TXT \"3\"\n"}) {
    INFO(version);
    const auto r = read(std::string(version) + "m1.zones PTR example.com.\n");
    CHECK_FALSE(r.ok);
    CHECK(r.members.empty());
    CHECK(r.error.find("catalog catalog.example.: version.catalog.example.") == 0);
  }
}

TEST_CASE("catalog: broken member nodes refuse the catalog, naming the owner", "[catalog]") {
  SECTION("two PTR at one member node") {
    const auto r = read("version TXT \"2\"\nm1.zones PTR a.example.\nm1.zones PTR b.example.\n");
    CHECK_FALSE(r.ok);
    CHECK(r.error.find("m1.zones.catalog.example. has 2 PTR records") != std::string::npos);
  }
  SECTION("the same zone under two unique-ids") {
    const auto r = read("version TXT \"2\"\nm1.zones PTR a.example.\nm2.zones PTR A.example.\n");
    CHECK_FALSE(r.ok);
    CHECK(r.error.find("both name a.example.") != std::string::npos);
  }
  SECTION("a PTR to the root or into the catalog") {
    for (const char* target : {".", "catalog.example.", "x.catalog.example."}) {
      INFO(target);
      const auto r = read(std::string("version TXT \"2\"\nm1.zones PTR ") + target + "\n");
      CHECK_FALSE(r.ok);
      CHECK(r.error.find("m1.zones.catalog.example. PTR") != std::string::npos);
    }
  }
  SECTION("more members than the cap") {
    std::string body = "version TXT \"2\"\n";
    for (int i = 0; i < 11; ++i) body += "m" + std::to_string(i) + ".zones PTR z" + std::to_string(i) + ".example.\n";
    CHECK(read(body, 11).ok);
    const auto r = read(body, 10);
    CHECK_FALSE(r.ok);
    CHECK(r.error.find("more than 10 members") != std::string::npos);
  }
  SECTION("two coo PTRs: the property alone is ignored") {
    const auto r = read("version TXT \"2\"\nm1.zones PTR a.example.\ncoo.m1.zones PTR c1.\ncoo.m1.zones PTR c2.\n");
    REQUIRE(r.ok);
    CHECK_FALSE(r.members[0].coo);
    CHECK(r.notes.size() == 1);
  }
}

TEST_CASE("catalog: hostile member names stay inside the member folder", "[catalog]") {
  // One label "../../etc" (dots and slashes are octets of the label), and "/".
  const auto r = read("version TXT \"2\"\nm1.zones PTR \\.\\./\\.\\./etc.\nm2.zones PTR /.\nm3.zones PTR %41.x.\n");
  REQUIRE(r.ok);
  REQUIRE(r.members.size() == 3);
  const std::filesystem::path folder = "/srv/secondary";
  std::set<std::string> names;
  for (const auto& m : r.members) {
    const std::string name = transfer::member_file_name(m.zone);
    INFO(m.zone.to_text() << " -> " << name);
    CHECK(name.find('/') == std::string::npos);
    CHECK(name != "." );
    CHECK(name != "..");
    CHECK((folder / name).lexically_normal().parent_path() == folder);
    names.insert(name);
  }
  CHECK(names.count("%2E%2E%2F%2E%2E%2Fetc.zone") == 1);
  CHECK(names.count("%2F.zone") == 1);
  CHECK(names.count("%2541.x.zone") == 1);  // '%' itself is escaped: no two names share a file
  CHECK(transfer::member_file_name(dns::Name::parse("Example.COM.")) == "example.com.zone");
  // A name too long for one path component becomes its hash.
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += std::string(60, 'a' + i) + ".";
  const std::string file = transfer::member_file_name(dns::Name::parse(long_name));
  CHECK(file.size() < 40);
  CHECK(file.rfind("long-", 0) == 0);
}

TEST_CASE("catalog: a produced catalog reads back with stable unique-ids", "[catalog]") {
  const auto id = transfer::member_unique_id(dns::Name::parse("example.com."));
  CHECK(id == transfer::member_unique_id(dns::Name::parse("EXAMPLE.com.")));
  CHECK(id != transfer::member_unique_id(dns::Name::parse("example.net.")));
  CHECK(id.size() == 16);
  const std::string text = transfer::catalog_zone_text(
      dns::Name::parse("cat.example."), 42,
      {{dns::Name::parse("b.example."), ""}, {dns::Name::parse("a.example."), "with \"quote\""}});
  testing::TempFile file(text);
  auto loaded = zones::load_zone({dns::Name::parse("cat.example."), file.path(), zones::FlattenMode::Off});
  REQUIRE(loaded.zone);
  CHECK(loaded.zone->serial() == 42);
  const auto r = transfer::read_catalog(*loaded.zone, 10);
  INFO(r.error);
  REQUIRE(r.ok);
  REQUIRE(r.members.size() == 2);
  CHECK(r.members[0].zone.to_text() == "a.example.");
  CHECK(r.members[0].unique_id == transfer::member_unique_id(dns::Name::parse("a.example.")));
  CHECK(r.members[0].group == std::optional<std::string>("with \"quote\""));
  CHECK_FALSE(r.members[1].group);
}
