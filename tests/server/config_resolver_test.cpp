// resolver.private_addresses, private_domains, do_not_query, insecure_domains, nat64,
// nat64_prefix, harden_unverified_glue (server/config_resolver.h):
// defaults, values and errors
// with file:line and key.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "server/config.h"

using namespace flatns;
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

std::string only_error(const std::string& text) {
  const Parsed p = parse(text);
  CHECK_FALSE(p.ok);
  REQUIRE(p.errors.size() == 1);
  return p.errors.front();
}

}  // namespace

TEST_CASE("resolver protection keys are off by default", "[config][resolver]") {
  const Parsed p = parse("resolver:\n  mode: recursive\n");
  REQUIRE(p.ok);
  const auto& r = p.config.resolver;
  CHECK(r.private_addresses.empty());
  CHECK(r.private_domains.empty());
  CHECK(r.insecure_domains.empty());
  CHECK(r.do_not_query.empty());
  CHECK_FALSE(r.nat64);
  CHECK(r.nat64_prefix.to_string() == "64:ff9b::/96");
  CHECK_FALSE(r.harden_unverified_glue);
}

TEST_CASE("resolver protection keys are read", "[config][resolver]") {
  const Parsed p = parse(
      "resolver:\n"
      "  private_addresses: [10.0.0.0/8, \"fd00::/8\", 192.168.1.1]\n"
      "  private_domains: [corp.example, lan.example.]\n"
      "  insecure_domains: [broken.example]\n"
      "  do_not_query: [\"::/0\", 198.51.100.0/24]\n"
      "  nat64: true\n"
      "  nat64_prefix: \"2001:db8:64::/48\"\n"
      "  harden_unverified_glue: true\n");
  REQUIRE(p.ok);
  const auto& r = p.config.resolver;
  REQUIRE(r.private_addresses.size() == 3);
  CHECK(r.private_addresses[0].to_string() == "10.0.0.0/8");
  CHECK(r.private_addresses[1].to_string() == "fd00::/8");
  CHECK(r.private_addresses[2].to_string() == "192.168.1.1/32");
  REQUIRE(r.private_domains.size() == 2);
  CHECK(r.private_domains[0].to_text() == "corp.example.");
  CHECK(r.private_domains[1].to_text() == "lan.example.");
  REQUIRE(r.insecure_domains.size() == 1);
  CHECK(r.insecure_domains[0].to_text() == "broken.example.");
  REQUIRE(r.do_not_query.size() == 2);
  CHECK(r.do_not_query[0].to_string() == "::/0");
  CHECK(r.do_not_query[1].to_string() == "198.51.100.0/24");
  CHECK(r.nat64);
  CHECK(r.nat64_prefix.to_string() == "2001:db8:64::/48");
  CHECK(r.harden_unverified_glue);
  const Parsed off = parse("resolver:\n  harden_unverified_glue: false\n");
  CHECK_FALSE(off.config.resolver.harden_unverified_glue);
}

TEST_CASE("resolver protection keys report their errors with file:line and key", "[config][resolver]") {
  CHECK(only_error("resolver:\n  private_addresses: 10.0.0.0/8\n") ==
        "conf/flatns.yaml:2: resolver.private_addresses: expected a list");
  CHECK(only_error("resolver:\n  private_addresses:\n    - 10.0.0.0/8\n    - 10.0.0.0/33\n") ==
        "conf/flatns.yaml:4: resolver.private_addresses[1]: '10.0.0.0/33': prefix length above 32");
  CHECK(only_error("resolver:\n  private_addresses: [intranet]\n") ==
        "conf/flatns.yaml:2: resolver.private_addresses[0]: 'intranet' is not an IPv4 or IPv6 address or prefix");
  CHECK(only_error("resolver:\n  private_domains: [\"a..b\"]\n").rfind(
            "conf/flatns.yaml:2: resolver.private_domains[0]: 'a..b' is not a domain name", 0) == 0);
  CHECK(only_error("resolver:\n  insecure_domains: [{x: 1}]\n") ==
        "conf/flatns.yaml:2: resolver.insecure_domains[0]: expected a string");
  CHECK(only_error("resolver:\n  do_not_query: [\"fe80::/129\"]\n") ==
        "conf/flatns.yaml:2: resolver.do_not_query[0]: 'fe80::/129': prefix length above 128");
  CHECK(only_error("resolver:\n  nat64: yes\n") == "conf/flatns.yaml:2: resolver.nat64: expected true or false");
  CHECK(only_error("resolver:\n  harden_unverified_glue: yes\n") ==
        "conf/flatns.yaml:2: resolver.harden_unverified_glue: expected true or false");
  CHECK(only_error("resolver:\n  nat64_prefix: 64:ff9b::/80\n") ==
        "conf/flatns.yaml:2: resolver.nat64_prefix: '64:ff9b::/80': a NAT64 prefix is IPv6 of length 32, 40, "
        "48, 56, 64 or 96 (RFC 6052 §2.2)");
  CHECK(only_error("resolver:\n  nat64_prefix: 192.0.2.0/24\n") ==
        "conf/flatns.yaml:2: resolver.nat64_prefix: '192.0.2.0/24': a NAT64 prefix is IPv6 of length 32, 40, "
        "48, 56, 64 or 96 (RFC 6052 §2.2)");
}

TEST_CASE("resolver stub and forward zones are read", "[config][resolver]") {
  const Parsed p = parse(
      "resolver:\n"
      "  stub_zones:\n"
      "    - {name: corp.example, servers: [\"10.0.0.53\", \"[fd00::53]:5353\"]}\n"
      "    - {name: lab.corp.example., servers: [\"10.1.0.53\"], fall_back: true, no_cache: true}\n"
      "  forward_zones:\n"
      "    - name: internal.example\n"
      "      servers: [\"192.0.2.1\"]\n"
      "      fall_back: true\n"
      "      tcp: true\n");
  REQUIRE(p.ok);
  const auto& z = p.config.resolver.zones;
  REQUIRE(z.size() == 3);
  CHECK(z[0].zone.to_text() == "corp.example.");
  CHECK_FALSE(z[0].forward);
  REQUIRE(z[0].servers.size() == 2);
  CHECK(z[0].servers[0].to_string() == "10.0.0.53:53");
  CHECK(z[0].servers[1].to_string() == "[fd00::53]:5353");
  CHECK_FALSE(z[0].fall_back);
  CHECK_FALSE(z[0].no_cache);
  CHECK(z[1].zone.to_text() == "lab.corp.example.");
  CHECK(z[1].fall_back);
  CHECK(z[1].no_cache);
  CHECK(z[2].zone.to_text() == "internal.example.");
  CHECK(z[2].forward);
  CHECK(z[2].fall_back);
  CHECK_FALSE(z[2].no_cache);
  CHECK(z[2].tcp);
  CHECK_FALSE(z[0].tcp);
  CHECK(parse("resolver:\n  mode: recursive\n").config.resolver.zones.empty());
}

TEST_CASE("resolver stub and forward zones report their errors with file:line and key", "[config][resolver]") {
  CHECK(only_error("resolver:\n  stub_zones: {name: a.example}\n") ==
        "conf/flatns.yaml:2: resolver.stub_zones: expected a list");
  CHECK(only_error("resolver:\n  stub_zones:\n    - {name: a.example}\n") ==
        "conf/flatns.yaml:3: resolver.stub_zones[0].servers: required");
  CHECK(only_error("resolver:\n  forward_zones:\n    - {servers: [\"192.0.2.1\"]}\n") ==
        "conf/flatns.yaml:3: resolver.forward_zones[0].name: required");
  CHECK(only_error("resolver:\n  stub_zones:\n    - {name: ., servers: [\"192.0.2.1\"]}\n") ==
        "conf/flatns.yaml:3: resolver.stub_zones[0].name: the root is given by resolver.root_hints");
  CHECK(only_error("resolver:\n  stub_zones:\n    - {name: a.example, servers: [\"192.0.2.300\"]}\n")
            .rfind("conf/flatns.yaml:3: resolver.stub_zones[0].servers[0]: ", 0) == 0);
  CHECK(only_error("resolver:\n  stub_zones:\n    - {name: a.example, servers: []}\n") ==
        "conf/flatns.yaml:3: resolver.stub_zones[0].servers: expected at least one address");
  CHECK(only_error("resolver:\n  forward_zones:\n    - {name: a.example, servers: [\"192.0.2.1\"], first: true}\n") ==
        "conf/flatns.yaml:3: resolver.forward_zones[0].first: unknown key (expected one of name, servers, "
        "fall_back, no_cache, tcp)");
  CHECK(only_error("resolver:\n  forward_zones:\n    - {name: a.example, servers: [\"192.0.2.1\"], no_cache: 1}\n") ==
        "conf/flatns.yaml:3: resolver.forward_zones[0].no_cache: expected true or false");
  CHECK(only_error("resolver:\n"
                   "  stub_zones:\n    - {name: a.example, servers: [\"192.0.2.1\"]}\n"
                   "  forward_zones:\n    - {name: A.example., servers: [\"192.0.2.2\"]}\n") ==
        "conf/flatns.yaml:5: resolver.forward_zones[0].name: zone A.example. is already a stub zone");
}
