// The fast reader of plain `zones:` lists (server/config_zone_list.h): what
// it accepts reads as yaml-cpp reads it, everything else is left to
// yaml-cpp, and errors after the list keep their line numbers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "server/config.h"
#include "server/config_zone_list.h"

using namespace flatns;
using namespace flatns::server;

namespace {

const char* kPlain =
    "server:\n"
    "  listen: [\"127.0.0.1:5353\"]   # a flow list first\n"
    "zones:\n"
    "  # hosted zones\n"
    "  - name: example.com\n"
    "    file: zones/example.com.zone\n"
    "\n"
    "  - name: Example.NET.   # trailing comment\n"
    "    flatten: all\n"
    "    file: /abs/example.net.zone\n"
    "flatten:\n"
    "  max_ttl: 600\n";

}  // namespace

TEST_CASE("a plain zone list is read without yaml-cpp, line numbers kept", "[config_zone_list]") {
  auto list = read_simple_zone_list(kPlain);
  REQUIRE(list);
  REQUIRE(list->zones.size() == 2);
  CHECK(list->zones[0].config.origin.to_text() == "example.com.");
  CHECK(list->zones[0].config.file == "zones/example.com.zone");
  CHECK(list->zones[0].config.flatten == zones::FlattenMode::Apex);
  CHECK(list->zones[0].line == 5);
  CHECK(list->zones[1].config.origin == dns::Name::parse("example.net."));
  CHECK(list->zones[1].config.flatten == zones::FlattenMode::All);
  CHECK(list->zones[1].line == 8);
  CHECK(list->rest.find("zones") == std::string::npos);
  CHECK(std::count(list->rest.begin(), list->rest.end(), '\n') == 12);

  Config config;
  std::vector<ConfigError> errors;
  REQUIRE(parse_config_text(kPlain, "conf/flatns.yaml", config, errors));
  REQUIRE(config.zones.size() == 2);
  CHECK(config.zones[0].config.file == "conf/zones/example.com.zone");
  CHECK(config.zones[1].config.file == "/abs/example.net.zone");
  CHECK(config.flatten.max_ttl == 600);
}

TEST_CASE("an error after a plain zone list names its own line", "[config_zone_list]") {
  std::string text = kPlain;
  text.replace(text.find("max_ttl: 600"), 12, "max_ttl: soon");
  Config config;
  std::vector<ConfigError> errors;
  CHECK_FALSE(parse_config_text(text, "flatns.yaml", config, errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].to_string() == "flatns.yaml:12: flatten.max_ttl: expected an integer 0-604800, found 'soon'");
}

TEST_CASE("anything but the plain shape is left to yaml-cpp", "[config_zone_list]") {
  const std::vector<std::string> declined = {
      "zones:\n  - name: \"example.com\"\n    file: a.zone\n",        // quoted
      "zones:\n  - {name: example.com, file: a.zone}\n",              // flow
      "zones: []\n",                                                  // flow, empty
      "zones:\n",                                                     // null
      "zones:\n- name: example.com\n  file: a.zone\n",               // entries at column 0
      "zones:\n  - name: example.com\n    file: a.zone\n    keys: x\n",  // another key
      "zones:\n  - name: example.com\n    name: example.net\n    file: a.zone\n",  // duplicate key
      "zones:\n  - name: example.com\n    file: a.zone\n  - name: EXAMPLE.com\n    file: b.zone\n",  // duplicate zone
      "zones:\n  - name: example.com\n    file: my zones/a.zone\n",   // a space in the value
      "zones:\n  - name: example.com\n    file: a.zone\n    flatten: yes\n",  // not a mode
      "zones:\n  - name: example.com\n     file: a.zone\n",           // misaligned
      "zones:\n  - name: example.com\n",                              // no file
      "zones:\n  - name: ~\n    file: a.zone\n",                      // null name
      "zones:\n  - name: example..com\n    file: a.zone\n",           // not a name
      "zones:\n  - name: example.com\n    file: a.zone\nzones:\n  - name: b.com\n    file: b.zone\n",
      "---\nzones:\n  - name: example.com\n    file: a.zone\n",       // a document marker
      "server: {nsid: x,\nzones:\n  - name: example.com\n    file: a.zone\n}\n",  // inside a flow mapping
      "zones:\n  - name: example.com\n    file: &f a.zone\n",          // an anchor
  };
  for (const auto& text : declined) {
    INFO(text);
    CHECK_FALSE(read_simple_zone_list(text));
  }
}

TEST_CASE("both readers give the same zones", "[config_zone_list]") {
  // The plain text, and the same list in flow style that only yaml-cpp reads.
  const std::string plain = "zones:\n  - name: a.example\n    file: a.zone\n    flatten: off\n"
                            "  - name: b.example\n    file: b.zone\n";
  const std::string flow = "zones: [{name: a.example, file: a.zone, flatten: off}, {name: b.example, file: b.zone}]\n";
  REQUIRE(read_simple_zone_list(plain));
  REQUIRE_FALSE(read_simple_zone_list(flow));
  Config from_plain, from_flow;
  std::vector<ConfigError> errors;
  REQUIRE(parse_config_text(plain, "c/flatns.yaml", from_plain, errors));
  REQUIRE(parse_config_text(flow, "c/flatns.yaml", from_flow, errors));
  REQUIRE(from_plain.zones.size() == from_flow.zones.size());
  for (std::size_t i = 0; i < from_plain.zones.size(); ++i) {
    CHECK(from_plain.zones[i].config.origin == from_flow.zones[i].config.origin);
    CHECK(from_plain.zones[i].config.file == from_flow.zones[i].config.file);
    CHECK(from_plain.zones[i].config.flatten == from_flow.zones[i].config.flatten);
  }
}
