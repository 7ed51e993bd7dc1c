// Catalog zones in the daemon (server/daemon_catalogs.h) and their config
// (server/config_catalog.h): the entries members get, additions, removals,
// a member reset, group templates, coo between two catalogs, the config
// winning over a catalog, a broken catalog keeping the last member set, and
// the produced catalog's file and serial.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "server/config.h"
#include "server/daemon_catalogs.h"
#include "tests/support/temp_file.h"
#include "zones/zone.h"

using namespace flatns;
using namespace flatns::server;

namespace {

struct Fixture {
  std::string dir = testing::make_temp_dir("flatns-catalog");
  Config config;
  CatalogZones catalogs;
  std::shared_ptr<const zones::ZoneSet> served = std::make_shared<zones::ZoneSet>();
  uint32_t serial = 1;

  explicit Fixture(const std::string& yaml) {
    std::vector<ConfigError> errors;
    const bool ok = parse_config_text(yaml, dir + "/flatns.yaml", config, errors);
    for (const auto& e : errors) UNSCOPED_INFO(e.to_string());
    REQUIRE(ok);
    catalogs.expand(config);
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  // Serves `body` as the catalog `name` and lets the members follow.
  CatalogChanges serve_catalog(const std::string& name, const std::string& body) {
    const std::string path = dir + "/" + name + "zone";
    std::ofstream(path) << "$ORIGIN " << name << "\n$TTL 0\n@ SOA invalid. invalid. " << serial++
                        << " 3600 600 2147483646 0\n@ NS invalid.\n"
                        << body;
    auto r = zones::load_zone({dns::Name::parse(name), path, zones::FlattenMode::Off});
    REQUIRE(r.zone);
    std::vector<std::shared_ptr<const zones::Zone>> zones = served->zones();
    std::erase_if(zones, [&](const auto& z) { return z->origin() == r.zone->origin(); });
    zones.push_back(r.zone);
    served = std::make_shared<zones::ZoneSet>(zones);
    return catalogs.update(config, *served);
  }
  const ZoneEntry* entry(const char* name) const {
    for (const auto& e : config.zones) {
      if (e.config.origin == dns::Name::parse(name)) return &e;
    }
    return nullptr;
  }
};

std::vector<std::string> texts(const std::vector<dns::Name>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back(n.to_text());
  std::sort(out.begin(), out.end());
  return out;
}

const std::string kKeys = "keys:\n  - name: xfr\n    secret: \"c2VjcmV0\"\n";

const std::string kConsumer = kKeys +
                              "zones:\n"
                              "  - name: configured.example\n"
                              "    file: configured.zone\n"
                              "catalogs:\n"
                              "  - name: cat.example\n"
                              "    primaries: [{address: \"127.0.0.1:5300\", key: xfr}]\n"
                              "    files: members/\n"
                              "    max_members: 5\n"
                              "    template: {flatten: off}\n"
                              "    groups:\n"
                              "      edge: {flatten: all, allow_transfer: [{address: 127.0.0.0/8, key: xfr}]}\n";

}  // namespace

TEST_CASE("catalogs config: keys, defaults and errors", "[catalog][config]") {
  Fixture f(kConsumer);
  REQUIRE(f.config.catalogs.size() == 1);
  const auto& c = f.config.catalogs[0];
  CHECK(c.max_members == 5);
  CHECK(c.files == f.dir + "/members");
  CHECK(c.file == f.dir + "/members/catalog.cat.example.zone");
  CHECK(c.groups.at("edge").flatten == zones::FlattenMode::All);
  CHECK(std::filesystem::is_directory(f.dir + "/members"));
  // The catalog zone itself is a secondary zone of the catalog's primaries.
  const ZoneEntry* own = f.entry("cat.example.");
  REQUIRE(own);
  CHECK(own->transfer.primaries.size() == 1);
  CHECK(CatalogEntry{}.max_members == kDefaultCatalogMaxMembers);

  Config out;
  std::vector<ConfigError> errors;
  CHECK_FALSE(parse_config_text("catalogs:\n  - name: c.example\n    files: x/\n", "f.yaml", out, errors));
  CHECK(errors.at(0).to_string() == "f.yaml:2: catalogs[0].primaries: missing (a consumed catalog comes from its "
                                    "primaries; or set produce: true)");
  errors.clear();
  CHECK_FALSE(parse_config_text(
      "zones:\n  - name: a.example\n    file: a.zone\n    catalog: nope.example\n", "f.yaml", out, errors));
  CHECK(errors.at(0).to_string().find("no catalog nope.example. with produce: true") != std::string::npos);
  errors.clear();
  CHECK_FALSE(parse_config_text("catalogs:\n  - name: c.example\n    produce: true\n    file: c.zone\n"
                                "    primaries: [{address: 127.0.0.1}]\n    max_members: 0\n",
                                "f.yaml", out, errors));
  CHECK(errors.size() == 2);  // max_members out of range, primaries on a produced catalog
  errors.clear();
  CHECK_FALSE(parse_config_text("catalogs:\n  - name: c.example\n    primaries: [{address: 127.0.0.1, key: k}]\n"
                                "    files: x\n",
                                "f.yaml", out, errors));
  CHECK(errors.at(0).to_string() == "f.yaml:3: catalogs[0].primaries[0].key: no key k. under keys:");
}

TEST_CASE("catalog members: added, templated, reset, removed", "[catalog]") {
  Fixture f(kConsumer);
  auto changes = f.serve_catalog("cat.example.",
                                 "version TXT \"2\"\n"
                                 "a.zones PTR one.example.\n"
                                 "b.zones PTR two.example.\n"
                                 "group.b.zones TXT \"edge\"\n"
                                 "c.zones PTR configured.example.\n");
  CHECK(texts(changes.load) == std::vector<std::string>{"one.example.", "two.example."});
  CHECK(changes.drop.empty());
  const ZoneEntry* one = f.entry("one.example.");
  REQUIRE(one);
  CHECK(one->config.file == f.dir + "/members/one.example.zone");
  CHECK(one->config.flatten == zones::FlattenMode::Off);  // the template
  CHECK(one->transfer.primaries.size() == 1);
  const ZoneEntry* two = f.entry("two.example.");
  REQUIRE(two);
  CHECK(two->config.flatten == zones::FlattenMode::All);  // group edge
  CHECK(two->transfer.allow_transfer.size() == 1);
  // The configured zone stays as configured: one entry, its own file.
  CHECK(std::count_if(f.config.zones.begin(), f.config.zones.end(), [](const ZoneEntry& e) {
          return e.config.origin == dns::Name::parse("configured.example.");
        }) == 1);
  CHECK(f.entry("configured.example.")->config.file == f.dir + "/configured.zone");

  // one.example's copy exists; a new unique-id resets it (RFC 9432 §5.4), b goes away.
  std::ofstream(one->config.file) << "copy";
  changes = f.serve_catalog("cat.example.", "version TXT \"2\"\na2.zones PTR one.example.\n");
  CHECK(texts(changes.drop) == std::vector<std::string>{"one.example.", "two.example."});
  CHECK(texts(changes.load) == std::vector<std::string>{"one.example."});
  CHECK_FALSE(std::filesystem::exists(f.dir + "/members/one.example.zone"));
  CHECK(f.entry("one.example."));
  CHECK_FALSE(f.entry("two.example."));

  // The same snapshot again changes nothing; an unrelated catalog name is not read.
  CHECK(f.catalogs.update(f.config, *f.served).empty());
}

TEST_CASE("catalog members: a broken catalog keeps the last good member set", "[catalog]") {
  Fixture f(kConsumer);
  (void)f.serve_catalog("cat.example.", "version TXT \"2\"\na.zones PTR one.example.\n");
  REQUIRE(f.entry("one.example."));
  const std::string too_many = [] {
    std::string body = "version TXT \"2\"\n";
    for (int i = 0; i < 6; ++i) body += "m" + std::to_string(i) + ".zones PTR z" + std::to_string(i) + ".example.\n";
    return body;
  }();
  for (const std::string& broken :
       {std::string("version TXT \"1\"\nb.zones PTR other.example.\n"),
        std::string("version TXT \"2\"\nb.zones PTR x.example.\nc.zones PTR x.example.\n"),
        std::string("version TXT \"2\"\nb.zones PTR x.example.\nb.zones PTR y.example.\n"), too_many}) {
    INFO(broken);
    CHECK(f.serve_catalog("cat.example.", broken).empty());
    CHECK(f.entry("one.example."));
    CHECK_FALSE(f.entry("x.example."));
  }
  // Repaired: the members follow again.
  auto changes = f.serve_catalog("cat.example.", "version TXT \"2\"\nb.zones PTR other.example.\n");
  CHECK(texts(changes.drop) == std::vector<std::string>{"one.example."});
  CHECK(texts(changes.load) == std::vector<std::string>{"other.example."});
}

TEST_CASE("catalog members: coo moves a member only to a catalog that lists it", "[catalog]") {
  Fixture f(kKeys +
            "catalogs:\n"
            "  - name: old.example\n"
            "    primaries: [{address: \"127.0.0.1:5300\"}]\n"
            "    files: old/\n"
            "  - name: new.example\n"
            "    primaries: [{address: \"127.0.0.2:5300\"}]\n"
            "    files: new/\n");
  (void)f.serve_catalog("old.example.", "version TXT \"2\"\na.zones PTR m.example.\ncoo.a.zones PTR new.example.\n");
  REQUIRE(f.entry("m.example."));
  CHECK(f.entry("m.example.")->config.file == f.dir + "/old/m.example.zone");
  // coo names new.example, which does not list m.example yet: it stays.
  auto changes = f.serve_catalog("new.example.", "version TXT \"2\"\nother.zones PTR n.example.\n");
  CHECK(texts(changes.load) == std::vector<std::string>{"n.example."});
  CHECK(f.entry("m.example.")->config.file == f.dir + "/old/m.example.zone");
  // Now new.example lists it: it moves, its copy with it.
  std::ofstream(f.dir + "/old/m.example.zone") << "copy";
  changes = f.serve_catalog("new.example.", "version TXT \"2\"\nother.zones PTR n.example.\nb.zones PTR m.example.\n");
  CHECK(texts(changes.load) == std::vector<std::string>{"m.example."});
  CHECK(changes.drop.empty());
  CHECK(f.entry("m.example.")->config.file == f.dir + "/new/m.example.zone");
  CHECK(f.entry("m.example.")->transfer.primaries.at(0).address.to_string() == "127.0.0.2:5300");
  CHECK(std::filesystem::exists(f.dir + "/new/m.example.zone"));
  // The old catalog dropping it now changes nothing.
  changes = f.serve_catalog("old.example.", "version TXT \"2\"\n");
  CHECK(changes.empty());
  CHECK(f.entry("m.example."));

  // Without coo, a zone listed by two catalogs stays with the first that had it.
  changes = f.serve_catalog("old.example.", "version TXT \"2\"\nx.zones PTR n.example.\n");
  CHECK(changes.empty());
  CHECK(f.entry("n.example.")->config.file == f.dir + "/new/n.example.zone");
}

TEST_CASE("produced catalog: written when membership changes, serial moves forward", "[catalog]") {
  const std::string yaml_one =
      "zones:\n"
      "  - name: a.example\n    file: a.zone\n    catalog: own.example\n    catalog_group: edge\n"
      "  - name: b.example\n    file: b.zone\n"
      "catalogs:\n  - name: own.example\n    produce: true\n    file: catalogs/own.zone\n";
  Fixture f(yaml_one);
  const std::string file = f.dir + "/catalogs/own.zone";
  auto load = [&] {
    auto r = zones::load_zone({dns::Name::parse("own.example."), file, zones::FlattenMode::Off});
    REQUIRE(r.zone);
    return r.zone;
  };
  const auto first = load();
  auto read = transfer::read_catalog(*first, 10);
  REQUIRE(read.ok);
  REQUIRE(read.members.size() == 1);
  CHECK(read.members[0].zone.to_text() == "a.example.");
  CHECK(read.members[0].group == std::optional<std::string>("edge"));
  const ZoneEntry* own = f.entry("own.example.");
  REQUIRE(own);
  CHECK(own->transfer.primaries.empty());

  // The same membership: the file is left as it is.
  const auto written = std::filesystem::last_write_time(file);
  CatalogZones again;
  Config same = f.config;
  same.zones.resize(2);
  again.expand(same);
  CHECK(std::filesystem::last_write_time(file) == written);

  // b joins: a new serial, newer in RFC 1982 terms.
  Config next = f.config;
  next.zones.resize(2);
  next.zones[1].catalog.catalog = dns::Name::parse("own.example.");
  CatalogZones later;
  later.expand(next);
  const auto second = load();
  CHECK(static_cast<int32_t>(second->serial() - first->serial()) > 0);
  read = transfer::read_catalog(*second, 10);
  REQUIRE(read.ok);
  CHECK(read.members.size() == 2);
}
