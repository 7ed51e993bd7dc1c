// Config parsing: every key, its default, and every error with file, line
// and key path.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "server/config.h"

using namespace flatns;
using namespace flatns::server;

namespace {

struct Parsed {
  bool ok = false;
  Config config;
  std::vector<ConfigError> errors;
  std::vector<std::string> messages;  // ConfigError::to_string() of each
};

Parsed parse(const std::string& text, const std::string& file = "conf/flatns.yaml") {
  Parsed p;
  p.ok = parse_config_text(text, file, p.config, p.errors);
  for (const auto& e : p.errors) p.messages.push_back(e.to_string());
  return p;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// The single error of `text`, as the user sees it.
std::string only_error(const std::string& text) {
  Parsed p = parse(text);
  INFO(joined(p.messages));
  REQUIRE_FALSE(p.ok);
  REQUIRE(p.errors.size() == 1);
  return p.messages[0];
}

}  // namespace

TEST_CASE("an empty file gives every default", "[config]") {
  Parsed p = parse("");
  REQUIRE(p.ok);
  const Config& c = p.config;
  REQUIRE(c.server.listen.size() == 2);
  CHECK(c.server.listen[0].to_string() == "0.0.0.0:53");
  CHECK(c.server.listen[1].to_string() == "[::]:53");
  CHECK(c.server.workers >= 1);
  CHECK(c.server.nsid.empty());
  CHECK(c.server.tcp_idle_timeout_ms == 10000);
  CHECK(c.server.tcp_max_connections == 1024);
  CHECK(c.server.log_level == LogLevel::Info);
  CHECK(c.zones.empty());
  CHECK(c.resolver.mode == resolver::ResolverMode::Recursive);
  CHECK(c.resolver.root_hints.empty());
  CHECK(c.resolver.forwarders.empty());
  CHECK(c.resolver.trust_anchors_file.empty());
  CHECK(c.resolver.validate);
  CHECK(c.flatten.deadline_ms == 1200);
  CHECK(c.flatten.serve_stale);
  CHECK(c.flatten.stale_max_s == 86400);
  CHECK(c.flatten.stale_reply_ttl_s == 30);
  CHECK(c.flatten.stale_client_timeout_ms == 1800);
  CHECK(c.flatten.max_ttl == 3600);
  CHECK(c.flatten.min_ttl == 0);
}

TEST_CASE("every key is read", "[config]") {
  Parsed p = parse(R"(server:
  listen: ["127.0.0.1:5353", "[::1]:5353", "192.0.2.7:53"]
  workers: 3
  nsid: ns1.example
  tcp_idle_timeout_ms: 2500
  tcp_max_connections: 64
  log_level: debug
zones:
  - name: example.com
    file: zones/example.com.zone
  - name: Example.NET.
    file: /var/lib/flatns/example.net.zone
    flatten: all
  - name: example.org
    file: ../example.org.zone
    flatten: off
resolver:
  mode: forward
  root_hints: ["198.41.0.4", "2001:503:ba3e::2:30", "[2001:db8::1]:5300", "127.0.0.2:5301"]
  forwarders: ["127.0.0.1:53", "::1"]
  trust_anchors: keys/root.ds
  dnssec: off
flatten:
  deadline_ms: 800
  serve_stale: false
  stale_max_s: 600
  stale_reply_ttl_s: 10
  stale_client_timeout_ms: 0
  max_ttl: 300
  min_ttl: 30
)");
  INFO(joined(p.messages));
  REQUIRE(p.ok);
  const Config& c = p.config;
  CHECK(c.file == "conf/flatns.yaml");
  REQUIRE(c.server.listen.size() == 3);
  CHECK(c.server.listen[0].to_string() == "127.0.0.1:5353");
  CHECK(c.server.listen[1].to_string() == "[::1]:5353");
  CHECK(c.server.listen[2].to_string() == "192.0.2.7:53");
  CHECK(c.server.workers == 3);
  CHECK(c.server.nsid == "ns1.example");
  CHECK(c.server.tcp_idle_timeout_ms == 2500);
  CHECK(c.server.tcp_max_connections == 64);
  CHECK(c.server.log_level == LogLevel::Debug);

  REQUIRE(c.zones.size() == 3);
  CHECK(c.zones[0].config.origin.to_text() == "example.com.");
  CHECK(c.zones[0].config.file == "conf/zones/example.com.zone");
  CHECK(c.zones[0].config.flatten == zones::FlattenMode::Apex);
  CHECK(c.zones[0].line == 9);
  CHECK(c.zones[1].config.origin == dns::Name::parse("example.net."));
  CHECK(c.zones[1].config.file == "/var/lib/flatns/example.net.zone");
  CHECK(c.zones[1].config.flatten == zones::FlattenMode::All);
  CHECK(c.zones[2].config.file == "example.org.zone");
  CHECK(c.zones[2].config.flatten == zones::FlattenMode::Off);

  CHECK(c.resolver.mode == resolver::ResolverMode::Forward);
  REQUIRE(c.resolver.root_hints.size() == 4);
  CHECK(c.resolver.root_hints[0].to_string() == "198.41.0.4:53");
  CHECK(c.resolver.root_hints[1].to_string() == "[2001:503:ba3e::2:30]:53");
  CHECK(c.resolver.root_hints[2].to_string() == "[2001:db8::1]:5300");
  CHECK(c.resolver.root_hints[3].to_string() == "127.0.0.2:5301");
  REQUIRE(c.resolver.forwarders.size() == 2);
  CHECK(c.resolver.forwarders[0].to_string() == "127.0.0.1:53");
  CHECK(c.resolver.forwarders[1].to_string() == "[::1]:53");
  CHECK(c.resolver.trust_anchors_file == "conf/keys/root.ds");
  CHECK_FALSE(c.resolver.validate);

  CHECK(c.flatten.deadline_ms == 800);
  CHECK_FALSE(c.flatten.serve_stale);
  CHECK(c.flatten.stale_max_s == 600);
  CHECK(c.flatten.stale_reply_ttl_s == 10);
  CHECK(c.flatten.stale_client_timeout_ms == 0);
  CHECK(c.flatten.max_ttl == 300);
  CHECK(c.flatten.min_ttl == 30);
}

TEST_CASE("the shipped example config parses", "[config]") {
  // The same shape as examples/flatns.yaml: flatten: off is a word, not a YAML 1.1 boolean.
  Parsed p = parse(R"(server:
  listen: ["127.0.0.1:5353"]
  workers: 2
zones:
  - name: example.com
    file: zones/example.com.zone
  - name: example.org
    file: zones/example.org.zone
    flatten: off
)",
                   "examples/flatns.yaml");
  INFO(joined(p.messages));
  REQUIRE(p.ok);
  CHECK(p.config.zones[0].config.file == "examples/zones/example.com.zone");
  CHECK(p.config.zones[1].config.flatten == zones::FlattenMode::Off);
}

TEST_CASE("wrong values name the file, line and key path", "[config]") {
  CHECK(only_error("zones:\n  - name: a.example\n    file: a.zone\n  - name: b.example\n    file: b.zone\n"
                   "    flatten: yes\n") ==
        "conf/flatns.yaml:6: zones[1].flatten: expected one of apex, all, off, found 'yes'");
  CHECK(only_error("server:\n  workers: many\n") ==
        "conf/flatns.yaml:2: server.workers: expected an integer 1-1024, found 'many'");
  CHECK(only_error("server:\n  workers: 0\n") ==
        "conf/flatns.yaml:2: server.workers: expected an integer 1-1024, found 0");
  CHECK(only_error("server:\n  workers: -2\n") ==
        "conf/flatns.yaml:2: server.workers: expected an integer 1-1024, found '-2'");
  CHECK(only_error("server:\n  workers: 99999999999999999999999\n") ==
        "conf/flatns.yaml:2: server.workers: expected an integer 1-1024, found 99999999999999999999999");
  CHECK(only_error("server:\n  tcp_idle_timeout_ms: 1.5\n") ==
        "conf/flatns.yaml:2: server.tcp_idle_timeout_ms: expected an integer 100-3600000, found '1.5'");
  CHECK(only_error("server:\n  tcp_max_connections: [1]\n") ==
        "conf/flatns.yaml:2: server.tcp_max_connections: expected an integer 1-1000000, found a list");
  CHECK(only_error("server:\n  log_level: verbose\n") ==
        "conf/flatns.yaml:2: server.log_level: expected one of error, warn, info, debug, found 'verbose'");
  CHECK(only_error("server:\n  nsid: {a: 1}\n") ==
        "conf/flatns.yaml:2: server.nsid: expected a string, found a mapping");
  CHECK(only_error("server:\n  nsid: " + std::string(129, 'x') + "\n") ==
        "conf/flatns.yaml:2: server.nsid: longer than 128 octets (129)");
  CHECK(only_error("flatten:\n  serve_stale: yes\n") ==
        "conf/flatns.yaml:2: flatten.serve_stale: expected true or false, found 'yes'");
  CHECK(only_error("flatten:\n  deadline_ms: 5\n") ==
        "conf/flatns.yaml:2: flatten.deadline_ms: expected an integer 10-60000, found 5");
  CHECK(only_error("flatten:\n  stale_reply_ttl_s: 0\n") ==
        "conf/flatns.yaml:2: flatten.stale_reply_ttl_s: expected an integer 1-3600, found 0");
  CHECK(only_error("flatten:\n  stale_client_timeout_ms: 1.8s\n") ==
        "conf/flatns.yaml:2: flatten.stale_client_timeout_ms: expected an integer 0-60000, found '1.8s'");
  CHECK(only_error("flatten:\n  stale_max_s: forever\n") ==
        "conf/flatns.yaml:2: flatten.stale_max_s: expected an integer 0-604800, found 'forever'");
  CHECK(only_error("flatten:\n  max_ttl: 60\n  min_ttl: 120\n") ==
        "conf/flatns.yaml:2: flatten.min_ttl: min_ttl 120 is above max_ttl 60");
  CHECK(only_error("resolver:\n  mode: iterative\n") ==
        "conf/flatns.yaml:2: resolver.mode: expected one of recursive, forward, found 'iterative'");
  CHECK(only_error("resolver:\n  mode: forward\n") ==
        "conf/flatns.yaml:2: resolver.forwarders: mode is forward but no forwarders are given");
  CHECK(only_error("resolver:\n  dnssec: yes\n") ==
        "conf/flatns.yaml:2: resolver.dnssec: expected one of validate, off, found 'yes'");
  CHECK(only_error("resolver:\n  trust_anchors: ['a']\n") ==
        "conf/flatns.yaml:2: resolver.trust_anchors: expected a string, found a list");
  CHECK(only_error("resolver:\n  root_hints: 198.41.0.4\n") ==
        "conf/flatns.yaml:2: resolver.root_hints: expected a list, found '198.41.0.4'");
  CHECK(only_error("resolver:\n  root_hints:\n    - 198.41.0.4\n    - a.root-servers.net\n") ==
        "conf/flatns.yaml:4: resolver.root_hints[1]: 'a.root-servers.net' is not a numeric IPv4 or IPv6 address");
  CHECK(only_error("resolver:\n  forwarders: [\"127.0.0.1:99999\"]\n") ==
        "conf/flatns.yaml:2: resolver.forwarders[0]: port 99999 out of range 1-65535");
}

TEST_CASE("listen addresses are checked", "[config]") {
  CHECK(only_error("server:\n  listen: [\"127.0.0.1\"]\n") ==
        "conf/flatns.yaml:2: server.listen[0]: '127.0.0.1' has no port (write host:port, or [IPv6]:port)");
  CHECK(only_error("server:\n  listen: [\"::1:53\"]\n") ==
        "conf/flatns.yaml:2: server.listen[0]: '::1:53' has no port (write host:port, or [IPv6]:port)");
  CHECK(only_error("server:\n  listen: [\"[::1:53\"]\n") ==
        "conf/flatns.yaml:2: server.listen[0]: '[::1:53' has '[' without ']'");
  CHECK(only_error("server:\n  listen: [\"[127.0.0.1]:53\"]\n") ==
        "conf/flatns.yaml:2: server.listen[0]: '127.0.0.1' is not a numeric IPv6 address");
  CHECK(only_error("server:\n  listen: [\"localhost:53\"]\n") ==
        "conf/flatns.yaml:2: server.listen[0]: 'localhost' is not a numeric IPv4 or IPv6 address");
  CHECK(only_error("server:\n  listen: [\"127.0.0.1:dns\"]\n") ==
        "conf/flatns.yaml:2: server.listen[0]: port 'dns' is not a number");
  CHECK(only_error("server:\n  listen: [\"127.0.0.1:0\"]\n") ==
        "conf/flatns.yaml:2: server.listen[0]: port 0 out of range 1-65535");
  CHECK(only_error("server:\n  listen:\n    - 127.0.0.1:53\n    - 127.0.0.1:53\n") ==
        "conf/flatns.yaml:4: server.listen[1]: duplicate address 127.0.0.1:53");
  CHECK(only_error("server:\n  listen: []\n") == "conf/flatns.yaml:2: server.listen: expected at least one address");
  CHECK(only_error("server:\n  listen:\n") == "conf/flatns.yaml:2: server.listen: expected a list, found nothing");
}

TEST_CASE("unknown and duplicate keys are errors", "[config]") {
  CHECK(only_error("server:\n  worker: 2\n") ==
        "conf/flatns.yaml:2: server.worker: unknown key (expected one of listen, workers, nsid, "
        "tcp_idle_timeout_ms, tcp_max_connections, log_level, rrl, control, metrics, metrics_max_zones, dnstap)");
  CHECK(only_error("servers:\n  workers: 2\n") ==
        "conf/flatns.yaml:1: servers: unknown key (expected one of server, zones, keys, transfer, resolver, flatten, catalogs)");
  CHECK(only_error("zones:\n  - name: a.example\n    file: a.zone\n    flaten: all\n") ==
        "conf/flatns.yaml:4: zones[0].flaten: unknown key (expected one of name, file, flatten, allow_transfer, notify, primaries, dnssec, journal_depth, journal_size, catalog, catalog_group)");
  CHECK(only_error("server:\n  workers: 2\n  workers: 3\n") ==
        "conf/flatns.yaml:3: server.workers: duplicate key (first given on line 2)");
  CHECK(only_error("transfer:\n  max_incoming_records: 500\n  max_incoming_records: 600\n") ==
        "conf/flatns.yaml:3: transfer.max_incoming_records: duplicate key (first given on line 2)");
  CHECK(only_error("- a\n- b\n") == "conf/flatns.yaml:1: (top level): expected a mapping, found a list");
  CHECK(only_error("server: 5\n") == "conf/flatns.yaml:1: server: expected a mapping, found '5'");
}

TEST_CASE("zone entries are checked", "[config]") {
  CHECK(only_error("zones:\n  - name: a.example\n") ==
        "conf/flatns.yaml:2: zones[0].file: missing (every zone needs a file)");
  CHECK(only_error("zones:\n  - file: a.zone\n") ==
        "conf/flatns.yaml:2: zones[0].name: missing (every zone needs a name)");
  CHECK(only_error("zones:\n  - a.example\n") ==
        "conf/flatns.yaml:2: zones[0]: expected a mapping with name and file, found 'a.example'");
  CHECK(only_error("zones:\n  name: a.example\n") == "conf/flatns.yaml:2: zones: expected a list, found a mapping");
  CHECK(only_error("zones:\n  - name: a..example\n    file: a.zone\n").rfind(
            "conf/flatns.yaml:2: zones[0].name: 'a..example' is not a domain name", 0) == 0);
  CHECK(only_error("zones:\n  - name: a.example\n    file: ''\n") ==
        "conf/flatns.yaml:3: zones[0].file: expected a file name, found ''");
  CHECK(only_error("zones:\n  - name: a.example\n    file: a.zone\n  - name: A.Example.\n    file: b.zone\n") ==
        "conf/flatns.yaml:4: zones[1].name: duplicate zone A.Example. (first given on line 2)");
}

TEST_CASE("every error is reported, not only the first", "[config]") {
  Parsed p = parse(R"(server:
  workers: lots
  log_level: loud
zones:
  - name: a.example
    file: a.zone
    flatten: sometimes
  - name: a.example
    file: b.zone
flatten:
  serve_stale: maybe
unknown_section: 1
)");
  REQUIRE_FALSE(p.ok);
  CHECK(p.messages == std::vector<std::string>{
                          "conf/flatns.yaml:2: server.workers: expected an integer 1-1024, found 'lots'",
                          "conf/flatns.yaml:3: server.log_level: expected one of error, warn, info, debug, found 'loud'",
                          "conf/flatns.yaml:7: zones[0].flatten: expected one of apex, all, off, found 'sometimes'",
                          "conf/flatns.yaml:8: zones[1].name: duplicate zone a.example. (first given on line 5)",
                          "conf/flatns.yaml:11: flatten.serve_stale: expected true or false, found 'maybe'",
                          "conf/flatns.yaml:12: unknown_section: unknown key (expected one of server, zones, "
                          "keys, transfer, resolver, flatten, catalogs)",
                      });
}

TEST_CASE("YAML syntax errors carry the line", "[config]") {
  std::string e = only_error("server:\n  listen: [\"127.0.0.1:53\"\n  workers: 2\n");
  CHECK(e.rfind("conf/flatns.yaml:", 0) == 0);
  CHECK(e.find("YAML syntax error") != std::string::npos);
}

TEST_CASE("load_config_file reads the file and reports a missing one", "[config]") {
  auto dir = std::filesystem::temp_directory_path() / ("flatns-config-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "flatns.yaml").string();
  {
    std::ofstream out(path);
    out << "zones:\n  - name: example.com\n    file: example.com.zone\n";
  }
  Config c;
  std::vector<ConfigError> errors;
  REQUIRE(load_config_file(path, c, errors));
  REQUIRE(c.zones.size() == 1);
  CHECK(c.zones[0].config.file == (dir / "example.com.zone").string());

  errors.clear();
  auto missing = (dir / "nope.yaml").string();
  REQUIRE_FALSE(load_config_file(missing, c, errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].to_string() == missing + ": cannot open: No such file or directory");
  std::filesystem::remove_all(dir);
}

TEST_CASE("resolver.cache_size and resolver.qname_minimisation", "[config]") {
  Parsed d = parse("");
  CHECK(d.config.resolver.cache_max_bytes == 32u << 20);
  CHECK(d.config.resolver.qname_minimisation);
  Parsed p = parse("resolver:\n  cache_size: 8m\n  qname_minimisation: false\n");
  INFO(joined(p.messages));
  REQUIRE(p.ok);
  CHECK(p.config.resolver.cache_max_bytes == 8u << 20);
  CHECK_FALSE(p.config.resolver.qname_minimisation);
  CHECK(parse("resolver:\n  cache_size: 100000\n").config.resolver.cache_max_bytes == 100000);
  CHECK(parse("resolver:\n  cache_size: 2G\n").config.resolver.cache_max_bytes == std::size_t{2} << 30);
  CHECK(parse("resolver:\n  cache_size: 512k\n").config.resolver.cache_max_bytes == 512u << 10);
  CHECK(only_error("resolver:\n  cache_size: 1k\n") ==
        "conf/flatns.yaml:2: resolver.cache_size: expected a size from 64k to 64g (bytes, or with "
        "k, m, g), found '1k'");
  CHECK(only_error("resolver:\n  cache_size: lots\n") ==
        "conf/flatns.yaml:2: resolver.cache_size: expected a size from 64k to 64g (bytes, or with "
        "k, m, g), found 'lots'");
  CHECK(only_error("resolver:\n  qname_minimisation: yes\n") ==
        "conf/flatns.yaml:2: resolver.qname_minimisation: expected true or false, found 'yes'");
}

TEST_CASE("resolver.aggressive_nsec", "[config]") {
  CHECK(parse("").config.resolver.aggressive_nsec);
  Parsed p = parse("resolver:\n  aggressive_nsec: false\n");
  INFO(joined(p.messages));
  REQUIRE(p.ok);
  CHECK_FALSE(p.config.resolver.aggressive_nsec);
  CHECK(parse("resolver:\n  aggressive_nsec: true\n").config.resolver.aggressive_nsec);
  CHECK(only_error("resolver:\n  aggressive_nsec: on\n") ==
        "conf/flatns.yaml:2: resolver.aggressive_nsec: expected true or false, found 'on'");
}

TEST_CASE("zones[].dnssec: online signing settings", "[config][dnssec]") {
  const std::string zone = "zones:\n  - name: a.example\n    file: a.zone\n    dnssec:\n";
  Parsed p = parse(zone + "      signing: online\n      keys: keys/a\n      algorithm: ed25519\n"
                          "      rrsig_lifetime: 10d\n");
  INFO(joined(p.messages));
  REQUIRE(p.ok);
  const auto& d = p.config.zones[0].dnssec;
  CHECK(d.online);
  CHECK(p.config.zones[0].config.online_signed);
  CHECK(d.keys_dir == "conf/keys/a");
  CHECK(d.algorithm == 15);
  CHECK(d.denial == signing::Denial::Compact);
  Parsed nsec3 = parse(zone + "      signing: online\n      keys: keys/a\n      denial: nsec3\n");
  REQUIRE(nsec3.ok);
  CHECK(nsec3.config.zones[0].dnssec.denial == signing::Denial::Nsec3);
  CHECK(d.rrsig_lifetime == 10 * 86400);
  CHECK(d.rrsig_refresh == 5 * 86400);
  CHECK(only_error(zone + "      signing: online\n") ==
        "conf/flatns.yaml:4: zones[0].dnssec.keys: missing (signing: online needs a keys folder)");
  CHECK(only_error(zone + "      keys: k\n      algorithm: rsasha256\n") ==
        "conf/flatns.yaml:6: zones[0].dnssec.algorithm: expected one of ecdsap256sha256, ecdsap384sha384, "
        "ed25519, ed448, found 'rsasha256'");
  CHECK(only_error(zone + "      keys: k\n      denial: nsec5\n") ==
        "conf/flatns.yaml:6: zones[0].dnssec.denial: expected one of compact, nsec3, found 'nsec5'");
  CHECK(only_error(zone + "      keys: k\n      rrsig_lifetime: 2d\n      rrsig_refresh: 3d\n") ==
        "conf/flatns.yaml:4: zones[0].dnssec.rrsig_refresh: must be well below rrsig_lifetime (259200 s vs "
        "172800 s)");
  CHECK(only_error(zone + "      keys: k\n      signin: online\n") ==
        "conf/flatns.yaml:6: zones[0].dnssec.signin: unknown key (expected one of signing, keys, algorithm, "
        "denial, rrsig_lifetime, rrsig_refresh)");
}
