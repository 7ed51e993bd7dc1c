// The flatten keys added for the flatten service: their defaults, values
// read from the file, and out-of-range values reported with file:line:key.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "server/config.h"

using namespace flatns::server;

namespace {

bool parse(const std::string& text, Config& config, std::vector<ConfigError>& errors) {
  return parse_config_text(text, "conf/flatns.yaml", config, errors);
}

}  // namespace

TEST_CASE("config: flatten.cache_entries, max_pending and failure_ttl_s default and parse") {
  Config defaults;
  std::vector<ConfigError> errors;
  REQUIRE(parse("flatten:\n  deadline_ms: 900\n", defaults, errors));
  CHECK(defaults.flatten.cache_entries == 10000);
  CHECK(defaults.flatten.max_pending == 1024);
  CHECK(defaults.flatten.failure_ttl_s == 5);

  Config set;
  REQUIRE(parse("flatten:\n  cache_entries: 500\n  max_pending: 64\n  failure_ttl_s: 2\n", set, errors));
  CHECK(set.flatten.cache_entries == 500);
  CHECK(set.flatten.max_pending == 64);
  CHECK(set.flatten.failure_ttl_s == 2);
}

TEST_CASE("config: out-of-range flatten limits name the file, line and key") {
  Config config;
  std::vector<ConfigError> errors;
  CHECK_FALSE(parse("flatten:\n  cache_entries: 0\n  max_pending: 0\n  failure_ttl_s: 301\n", config, errors));
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].to_string().rfind("conf/flatns.yaml:2: flatten.cache_entries:", 0) == 0);
  CHECK(errors[1].to_string().rfind("conf/flatns.yaml:3: flatten.max_pending:", 0) == 0);
  CHECK(errors[2].to_string().rfind("conf/flatns.yaml:4: flatten.failure_ttl_s:", 0) == 0);
}

TEST_CASE("config: flatten.cache_file is off by default, relative to the config, and cache_save_s bounded") {
  Config defaults;
  std::vector<ConfigError> errors;
  REQUIRE(parse("flatten:\n  deadline_ms: 900\n", defaults, errors));
  CHECK(defaults.flatten.cache_file.empty());
  CHECK(defaults.flatten.cache_save_s == 60);

  Config set;
  REQUIRE(parse("flatten:\n  cache_file: state/flattened.cache\n  cache_save_s: 15\n", set, errors));
  CHECK(set.flatten.cache_file == "conf/state/flattened.cache");
  CHECK(set.flatten.cache_save_s == 15);
  REQUIRE(parse("flatten:\n  cache_file: /var/lib/flatns/flattened.cache\n", set, errors));
  CHECK(set.flatten.cache_file == "/var/lib/flatns/flattened.cache");

  Config bad;
  CHECK_FALSE(parse("flatten:\n  cache_file: ''\n  cache_save_s: 0\n", bad, errors));
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].to_string().rfind("conf/flatns.yaml:2: flatten.cache_file: expected a file name", 0) == 0);
  CHECK(errors[1].to_string().rfind("conf/flatns.yaml:3: flatten.cache_save_s:", 0) == 0);
}
