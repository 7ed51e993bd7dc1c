// Helpers of the in-process Worker tests (worker_test.cpp,
// flatten_worker_test.cpp): a worker state serving example.com. from a zone
// file written at test time, and loopback listen addresses.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon_test_support.h"
#include "dns/server_address.h"
#include "server/worker.h"
#include "zones/zone_set.h"

namespace flatns::test {

// example.com. with its SOA, NS ns1.example.com. (192.0.2.53) and `records`
// (zone-file lines relative to the origin), every TTL `ttl`; the file is
// written into `dir`.
inline std::shared_ptr<server::WorkerState> example_com_state(const TempDir& dir, int ttl,
                                                              const std::string& records) {
  dir.write("example.com.zone",
            "$ORIGIN example.com.\n$TTL " + std::to_string(ttl) +
                "\n"
                "@ IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300\n"
                "@ IN NS ns1.example.com.\nns1 IN A 192.0.2.53\n" +
                records);
  zones::ZoneConfig config;
  config.origin = dns::Name::parse("example.com.");
  config.file = dir.file("example.com.zone");
  auto loaded = zones::load_zone(config);
  REQUIRE(loaded.errors.empty());
  REQUIRE(loaded.zone);
  auto state = std::make_shared<server::WorkerState>();
  state->zones =
      std::make_shared<const zones::ZoneSet>(std::vector<std::shared_ptr<const zones::Zone>>{loaded.zone});
  return state;
}

inline dns::ServerAddress loopback(uint16_t port) {
  dns::ServerAddress a;
  std::string error;
  REQUIRE(dns::ServerAddress::parse("127.0.0.1:" + std::to_string(port), std::nullopt, a, error));
  return a;
}

}  // namespace flatns::test
