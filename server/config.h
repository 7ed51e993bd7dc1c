// The daemon's configuration: one YAML file (DESIGN.md "Configuration").
//
// Parsing checks every key and type and collects *all* problems, each one
// naming the file, the line and the key path, e.g.
//   flatns.yaml:7: zones[1].flatten: expected one of apex, all, off, found 'yes'
// Unknown keys, duplicate keys and duplicate zones are errors. Relative paths
// (zone files, trust anchors) are taken relative to the config file's folder.
//
// Defaults, chosen the way NSD and Knot do:
//   server.listen              ["0.0.0.0:53", "[::]:53"]   (all addresses, like NSD;
//                              the IPv6 socket is IPv6-only so both can bind)
//   server.workers             number of CPUs (like NSD's server-count / Knot's udp-workers)
//   server.nsid                none (no NSID option is sent)
//   server.tcp_idle_timeout_ms 10000 (Knot's tcp-idle-timeout is 10 s; RFC 7766 §6.2.3)
//   server.tcp_max_connections 1024 per worker thread (Knot: tcp-max-clients)
//   server.log_level           info
//   server.rrl                 off (responses_per_second 0, as Knot and NSD ship it:
//                              a limit right for one deployment drops a busy
//                              resolver's answers in another); when on: slip 2,
//                              window_s 15 (BIND's), ipv4_prefix 24, ipv6_prefix 56,
//                              table_size 65536 buckets per worker
//   zones[].flatten            apex
//   resolver.mode              recursive; root_hints empty = the built-in IANA root
//                              servers; trust_anchors empty = the built-in root anchors
//   resolver.dnssec            validate
//   resolver.cache_size        32m (bytes; k, m, g suffixes), like Unbound's rrset-cache-size
//   resolver.qname_minimisation true (relaxed, like Unbound's default)
//   flatten.deadline_ms 1200, serve_stale true, stale_max_s 86400, max_ttl 3600,
//   min_ttl 0 (no floor), cache_entries 10000, max_pending 1024 (per worker),
//   failure_ttl_s 5 (RFC 9520 §3.2: failures are cached briefly)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/config_transfer.h"
#include "server/config_ops.h"
#include "server/listener_address.h"
#include "server/log.h"
#include "server/rrl.h"
#include "zones/zone_set.h"

namespace flatns::server {

struct ConfigError {
  std::string file;
  std::size_t line = 0;  // 1-based; 0 when the problem is not on one line
  std::string key;       // key path, e.g. "zones[1].flatten"; empty for syntax errors
  std::string message;
  // "file:line: key: message" (parts that are empty are left out)
  [[nodiscard]] std::string to_string() const;
};

struct ServerSettings {
  std::vector<SocketAddress> listen;
  unsigned workers = 1;
  std::string nsid;
  uint32_t tcp_idle_timeout_ms = 10000;
  uint32_t tcp_max_connections = 1024;
  LogLevel log_level = LogLevel::Info;
  RrlSettings rrl;
  OpsSettings ops;  // control, metrics, metrics_max_zones, dnstap (server/config_ops.h)
};

struct ZoneEntry {
  zones::ZoneConfig config;  // file already relative to the working directory
  std::size_t line = 0;      // where the entry starts in the config file
  ZoneTransferConfig transfer;  // allow_transfer, notify, primaries (server/config_transfer.h)
};

enum class ResolverMode { Recursive, Forward };

struct ResolverSettings {
  ResolverMode mode = ResolverMode::Recursive;
  std::vector<SocketAddress> root_hints;  // port 53 unless written; empty = built in
  std::vector<SocketAddress> forwarders;  // required (non-empty) in forward mode
  std::string trust_anchors;              // path; empty = built-in root trust anchors
  bool dnssec_validate = true;
  std::size_t cache_size = 32u << 20;  // bytes for the embedded resolver's caches
  bool qname_minimisation = true;      // RFC 9156, relaxed
};

struct FlattenSettings {
  uint32_t deadline_ms = 1200;
  bool serve_stale = true;
  uint32_t stale_max_s = 86400;
  uint32_t max_ttl = 3600;
  uint32_t min_ttl = 0;
  uint32_t cache_entries = 10000;  // flattened answers kept (shared by the workers)
  uint32_t max_pending = 1024;     // parked queries per worker
  uint32_t failure_ttl_s = 5;      // how long a failed resolution is answered from the cache
};

struct Config {
  std::string file;  // the path it was read from
  ServerSettings server;
  std::vector<dns::TsigKey> keys;  // TSIG keys (server/config_transfer.h)
  TransferSettings transfer;       // transfer limits (server/config_transfer.h)
  std::vector<ZoneEntry> zones;
  ResolverSettings resolver;
  FlattenSettings flatten;
};

// A Config holding every default (listen addresses, workers = CPUs, ...).
[[nodiscard]] Config default_config();

// Reads and checks the file at `path`. Returns true when `errors` stayed empty;
// `out` is only meaningful then.
[[nodiscard]] bool load_config_file(const std::string& path, Config& out, std::vector<ConfigError>& errors);
// Same, for YAML text already in memory; `file_name` is used in errors and its
// folder is the base for relative paths.
[[nodiscard]] bool parse_config_text(std::string_view text, const std::string& file_name, Config& out,
                                     std::vector<ConfigError>& errors);

}  // namespace flatns::server
