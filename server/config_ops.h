// The operations keys of `server:` (issue 17): the control socket, the
// Prometheus endpoint and dnstap. Parsed here, apart from server/config.cpp,
// which hands each of these keys to parse_ops_key().
//
//   server.control             none (no control socket); the packaged config
//                              uses /run/flatns/control.sock. A Unix socket,
//                              mode 0600, owner-only (`flatns ctl`)
//   server.metrics             none (off); "127.0.0.1:9153" serves GET /metrics
//   server.metrics_max_zones   20: zones (the first in config order) with their own
//                              metric labels; the rest count as zone="other"
//   server.dnstap              off; {file: PATH} or {socket: PATH}, with
//                              queries: true, responses: true (AUTH_QUERY,
//                              AUTH_RESPONSE), resolver: true (RESOLVER_QUERY
//                              and RESOLVER_RESPONSE: the flatten resolver's
//                              upstream traffic), queue: 1024
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "dns/server_address.h"

namespace YAML {
class Node;
}

namespace flatns::server {

struct DnstapSettings {
  enum class Sink : uint8_t { Off, File, Socket };
  Sink sink = Sink::Off;
  std::string path;  // the file, or the Unix socket of a collector (fstrm)
  bool queries = true;
  bool responses = true;
  bool resolver = true;   // the resolver's upstream queries and responses
  // Room per worker for about this many messages waiting for the writer
  // (DnstapLog::kBytesPerMessage bytes each); more are dropped (counted).
  uint32_t queue = 1024;

  bool operator==(const DnstapSettings&) const = default;
};

struct OpsSettings {
  std::string control;                   // Unix socket path; empty: no control channel
  std::optional<dns::ServerAddress> metrics;  // HTTP listen address; none: off
  uint32_t metrics_max_zones = 20;
  DnstapSettings dnstap;
};

// Reports one config problem: the node at fault (for its line), the line to
// use when the node has none, the key path and the message.
using OpsErrorSink =
    std::function<void(const YAML::Node& at, std::size_t line, const std::string& key, std::string message)>;

inline constexpr std::string_view kOpsServerKeys[] = {"control", "metrics", "metrics_max_zones", "dnstap"};

// Parses `server.<key>` (one of kOpsServerKeys) into `ops`; paths are taken
// relative to `base` (the config file's folder).
void parse_ops_key(std::string_view key, const YAML::Node& value, const std::string& path, std::size_t line,
                   const std::filesystem::path& base, OpsSettings& ops, const OpsErrorSink& error);

}  // namespace flatns::server
