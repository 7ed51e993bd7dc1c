// Configuration of zone transfers: TSIG `keys:` (RFC 8945) and, per zone,
// `allow_transfer`, `notify` and `primaries` (DESIGN.md "Configuration").
// Parsed here rather than in config.cpp so that transfer settings grow in
// their own file; config.cpp hands the YAML nodes over.
//
//   keys:
//     - name: xfr                       # a domain name
//       algorithm: hmac-sha256          # (default) hmac-sha384, hmac-sha512, hmac-sha1
//       secret: "base64..."             # never logged or printed
//   zones:
//     - name: example.com
//       allow_transfer: [{address: 127.0.0.0/8, key: xfr}, {address: 192.0.2.7, expand: true}]
//       notify: [{address: "127.0.0.2:53", key: xfr}, {address: 192.0.2.7, expand: true}]
//       primaries: [{address: "127.0.0.1:53", key: xfr}]
//       journal_depth: 20                 # IXFR history: versions kept (0: none)
//       journal_size: 16m                 # and octets of differences kept
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "dns/tsig.h"
#include "dns/server_address.h"
#include "transfer/acl.h"
#include "transfer/journal.h"

namespace YAML {
class Node;
}

namespace flatns::server {

// A server flatns talks to about a zone: a secondary to NOTIFY, a primary
// to transfer from.
struct TransferPeer {
  dns::ServerAddress address;         // port 53 unless written
  std::optional<dns::Name> key;  // TSIG key to sign with
  // `notify` only: a foreign secondary that transfers the expanded view
  // (allow_transfer `expand`): NOTIFY carries that view's serial, and is
  // sent again whenever the flattened addresses change it.
  bool expand = false;
};

// A key named in the config, where it is named (checked against `keys:`).
struct KeyReference {
  dns::Name name;
  std::string path;  // "zones[0].notify[1].key"
  std::size_t line = 0;
};

struct ZoneTransferConfig {
  std::vector<transfer::AclEntry> allow_transfer;
  std::vector<TransferPeer> notify;
  std::vector<TransferPeer> primaries;
  std::vector<KeyReference> key_references;
  // IXFR out: the journal of differences kept (transfer/journal.h).
  transfer::JournalLimits journal;
};

// The `transfer:` section: limits for every zone's transfers.
//
//   transfer:
//     max_outgoing: 10          # AXFR/IXFR streams sent at once (all workers)
//     message_size: 16384       # octets per outgoing transfer message
//     max_incoming_size: 1g     # octets of one incoming transfer
//     max_incoming_records: 5000000
//     incoming_timeout: 600     # seconds for one incoming transfer
struct TransferSettings {
  uint32_t max_outgoing = 10;
  uint32_t message_size = 16384;
  std::size_t max_incoming_size = 1ull << 30;
  uint32_t max_incoming_records = 5'000'000;
  uint32_t incoming_timeout_s = 600;
};

// Reports one problem: line, key path, message.
using ConfigProblem = std::function<void(std::size_t line, const std::string& key, std::string message)>;

// The 1-based line of a YAML node, or `fallback` where it has none.
[[nodiscard]] std::size_t yaml_line(const YAML::Node& node, std::size_t fallback);

// Calls `field(name, value, key path, line)` for each key of a mapping at
// `path`; a key not in `known`, or given twice, is a problem instead.
using FieldHandler = std::function<void(const std::string&, const YAML::Node&, const std::string&, std::size_t)>;
void each_field(const YAML::Node& node, const std::string& path, std::size_t line, const ConfigProblem& problem,
                std::initializer_list<std::string_view> known, const FieldHandler& field);

void parse_tsig_keys(const YAML::Node& node, const std::string& path, std::size_t line, const ConfigProblem& problem,
                     std::vector<dns::TsigKey>& out);
void parse_allow_transfer(const YAML::Node& node, const std::string& path, std::size_t line,
                          const ConfigProblem& problem, std::vector<transfer::AclEntry>& out,
                          std::vector<KeyReference>& references);
void parse_transfer_peers(const YAML::Node& node, const std::string& path, std::size_t line,
                          const ConfigProblem& problem, std::vector<TransferPeer>& out,
                          std::vector<KeyReference>& references);

// `notify:`: like parse_transfer_peers, and each peer may say `expand: true`.
void parse_notify_peers(const YAML::Node& node, const std::string& path, std::size_t line,
                        const ConfigProblem& problem, std::vector<TransferPeer>& out,
                        std::vector<KeyReference>& references);

void parse_transfer_settings(const YAML::Node& node, const std::string& path, std::size_t line,
                             const ConfigProblem& problem, TransferSettings& out);

// Every key a zone names must be defined under `keys:`.
void check_transfer_keys(const std::vector<dns::TsigKey>& keys, const std::vector<KeyReference>& references,
                         const ConfigProblem& problem);

}  // namespace flatns::server
