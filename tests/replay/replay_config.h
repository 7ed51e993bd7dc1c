// The config block of a testbound scenario mapped onto ResolverSettings.
// Each Unbound option is either mapped (trust-anchor, val-override-date,
// qname-minimisation, module-config, val-max-restart,
// val-nsec3-keysize-iterations, private-address, private-domain,
// domain-insecure, do-nat64, nat64-prefix, stub-zone and forward-zone with
// stub-first / forward-first below the root), ignored because it cannot change what the harness compares (listed
// with the reason in replay_config.cpp), or unsupported: the scenario is then
// skipped with the option named.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "resolver-client/resolver_settings.h"
#include "tests/replay/rpl_scenario.h"

namespace flatns::replay {

// The flatten settings a serve-expired scenario maps to (flatten/defaults.h).
struct FlattenStale {
  uint32_t stale_max_s;   // flatten.stale_max_s  <- serve-expired-ttl (0: no limit)
  uint32_t deadline_ms;   // flatten.deadline_ms  <- serve-expired-client-timeout
  uint32_t failure_ttl_s; // flatten.failure_ttl_s
};

struct ReplayConfig {
  resolver::ResolverSettings settings;
  std::optional<int64_t> wall_seconds;  // val-override-date
  bool ede = false;
  // `do-ip6: no`: the harness's transport fails every send to an IPv6 server
  // at once, as on a host without IPv6 (the resolver has no such switch).
  bool do_ip6 = true;
  bool do_ip4 = true;  // `do-ip4: no`: the same for IPv4 (a NAT64 host)
  // `serve-expired: yes`: A/AAAA answers pass through the flatten layer's
  // serve-stale (flatten/answer_cache.h, entry_from_result and the
  // flattener's stale rule: RFC 8767), which is where flatns serves stale
  // data; the resolver itself never does. The options map to flatten.*:
  std::optional<FlattenStale> stale;
  // `prefetch: yes`: an A/AAAA answer in the last tenth of its TTL is
  // refreshed in the background, as the flatten layer's prefetch does
  // (flatten/flattener.h, resolver::ResolveOptions::refresh).
  bool prefetch = false;                     // `ede: yes`: answers carry EDE codes to compare
};

// False with `skip` naming the first unsupported option ("serve-expired: yes").
[[nodiscard]] bool map_config(const Scenario& s, ReplayConfig& out, std::string& skip);

}  // namespace flatns::replay
