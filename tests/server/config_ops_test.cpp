// server.control, server.metrics, server.metrics_max_zones, server.dnstap
// (server/config_ops.h): defaults, relative paths and errors with file:line.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "server/config.h"

using namespace flatns::server;

namespace {

struct Parsed {
  bool ok = false;
  Config config;
  std::vector<std::string> errors;
};

Parsed parse(const std::string& text) {
  Parsed p;
  std::vector<ConfigError> errors;
  p.ok = parse_config_text(text, "conf/flatns.yaml", p.config, errors);
  for (const auto& e : errors) p.errors.push_back(e.to_string());
  return p;
}

}  // namespace

TEST_CASE("operations keys are off by default", "[config][ops]") {
  const Parsed p = parse("server:\n  workers: 1\n");
  REQUIRE(p.ok);
  CHECK(p.config.server.ops.control.empty());
  CHECK_FALSE(p.config.server.ops.metrics.has_value());
  CHECK(p.config.server.ops.metrics_max_zones == 20);
  CHECK(p.config.server.ops.dnstap.sink == DnstapSettings::Sink::Off);
  CHECK(p.config.server.ops.dnstap.resolver);
}

TEST_CASE("operations keys are read, paths relative to the config's folder", "[config][ops]") {
  const Parsed p = parse(
      "server:\n"
      "  control: run/control.sock\n"
      "  metrics: \"127.0.0.1:9153\"\n"
      "  metrics_max_zones: 3\n"
      "  dnstap: {file: /var/log/flatns/dnstap.fstrm, responses: false, resolver: false, queue: 64}\n");
  REQUIRE(p.ok);
  CHECK(p.config.server.ops.control == "conf/run/control.sock");
  REQUIRE(p.config.server.ops.metrics.has_value());
  CHECK(p.config.server.ops.metrics->to_string() == "127.0.0.1:9153");
  CHECK(p.config.server.ops.metrics_max_zones == 3);
  CHECK(p.config.server.ops.dnstap.sink == DnstapSettings::Sink::File);
  CHECK(p.config.server.ops.dnstap.path == "/var/log/flatns/dnstap.fstrm");
  CHECK(p.config.server.ops.dnstap.queries);
  CHECK_FALSE(p.config.server.ops.dnstap.responses);
  CHECK(p.config.server.ops.dnstap.queue == 64);
  CHECK_FALSE(p.config.server.ops.dnstap.resolver);
}

TEST_CASE("operations keys report their errors with file:line and key", "[config][ops]") {
  const Parsed p = parse(
      "server:\n"
      "  metrics: \"localhost\"\n"
      "  metrics_max_zones: -1\n"
      "  dnstap: {file: a, socket: b}\n"
      "  control: \"\"\n");
  CHECK_FALSE(p.ok);
  REQUIRE(p.errors.size() == 4);
  CHECK(p.errors[0].rfind("conf/flatns.yaml:2: server.metrics: ", 0) == 0);
  CHECK(p.errors[1] == "conf/flatns.yaml:3: server.metrics_max_zones: expected an integer 0-10000, found '-1'");
  CHECK(p.errors[2] == "conf/flatns.yaml:4: server.dnstap.socket: give one of file and socket, not both");
  CHECK(p.errors[3] == "conf/flatns.yaml:5: server.control: expected a file name");

  const Parsed missing = parse("server:\n  dnstap: {queries: true, color: red}\n");
  REQUIRE(missing.errors.size() == 2);
  CHECK(missing.errors[0] ==
        "conf/flatns.yaml:2: server.dnstap.color: unknown key (expected one of file, socket, queries, responses, "
        "resolver, queue)");
  CHECK(missing.errors[1] == "conf/flatns.yaml:2: server.dnstap: missing file or socket (where dnstap messages go)");
}
