// The daemon's configuration: one YAML file (DESIGN.md "Configuration").
//
// Parsing checks every key and type and collects *all* problems, each one
// naming the file, the line and the key path, e.g.
//   flatns.yaml:7: zones[1].flatten: expected one of apex, all, off, found 'yes'
// Unknown keys, duplicate keys and duplicate zones are errors. Relative paths
// (zone files, trust anchors) are taken relative to the config file's folder.
//
// Each default is written once: in the initialisers of the settings types
// below (or of the library types they are: resolver::ResolverSettings, the
// constants of flatten/defaults.h, RrlSettings, OpsSettings), collected by
// default_config(). The README's tables document them and
// tests/server/readme_defaults_test.cpp fails when the two disagree. The
// listen addresses default to every address (like NSD; the IPv6 socket is
// IPv6-only so both can bind) and workers to the number of CPUs (like NSD's
// server-count and Knot's udp-workers).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dns/server_address.h"
#include "flatten/defaults.h"
#include "resolver-client/resolver_settings.h"
#include "server/config_catalog.h"
#include "server/config_ops.h"
#include "server/config_transfer.h"
#include "server/log.h"
#include "server/rrl.h"
#include "signing/policy.h"
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
  std::vector<dns::ServerAddress> listen;
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
  signing::SigningPolicy dnssec;  // zones[].dnssec (server/config_dnssec.cpp)
  std::size_t line = 0;      // where the entry starts in the config file
  ZoneTransferConfig transfer;  // allow_transfer, notify, primaries (server/config_transfer.h)
  CatalogMembership catalog;    // catalog, catalog_group (server/config_catalog.h)
};

struct FlattenSettings {
  uint32_t deadline_ms = flatten::kDefaultDeadlineMs;
  bool serve_stale = flatten::kDefaultServeStale;
  uint32_t stale_max_s = flatten::kDefaultStaleMaxS;
  uint32_t stale_reply_ttl_s = flatten::kDefaultStaleReplyTtlS;  // the TTL of stale answers (RFC 8767 §4)
  uint32_t stale_client_timeout_ms = flatten::kDefaultStaleClientTimeoutMs;  // RFC 8767 §5 client response timer
  uint32_t max_ttl = flatten::kDefaultMaxTtl;
  uint32_t min_ttl = flatten::kDefaultMinTtl;
  uint32_t cache_entries = flatten::kDefaultCacheEntries;  // flattened answers kept (shared by the workers)
  uint32_t max_pending = flatten::kDefaultMaxPending;      // parked queries per worker
  uint32_t failure_ttl_s = flatten::kDefaultFailureTtlS;   // how long a failed resolution is answered from the cache
  std::string cache_file;  // validated answers kept across restarts; empty: off
  uint32_t cache_save_s = flatten::kDefaultCacheSaveS;  // how often cache_file is written (and on SIGTERM)
};

struct Config {
  std::string file;  // the path it was read from
  ServerSettings server;
  std::vector<dns::TsigKey> keys;  // TSIG keys (server/config_transfer.h)
  TransferSettings transfer;       // transfer limits (server/config_transfer.h)
  std::vector<ZoneEntry> zones;
  // The resolver client's own settings type: `resolver:` sets mode,
  // root_hints, forwarders, trust_anchors_file, validate, cache_max_bytes and
  // qname_minimisation; limits and the log hook keep their defaults.
  flatns::resolver::ResolverSettings resolver;
  FlattenSettings flatten;
  std::vector<CatalogEntry> catalogs;  // catalog zones (server/config_catalog.h)
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
