// The `dnssec:` key of a zone entry (issue 14; README "zones[].dnssec"):
//
//   dnssec:
//     signing: online            # off (default) | online
//     keys: keys/example.com     # BIND-format key pairs; a CSK is made when empty
//     algorithm: ecdsap256sha256 # ecdsap384sha384 | ed25519 | ed448, for keys made here
//     denial: compact            # compact (RFC 9824) | nsec3 (RFC 7129 white lies)
//     rrsig_lifetime: 14d        # BIND/Knot duration units
//     rrsig_refresh: 7d          # re-sign when less than this is left
//
// Kept apart from config.cpp so that DNSSEC settings grow here.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>

#include "signing/policy.h"

namespace flatns::server {

// Reports a problem at (line, key path) with a message.
using DnssecError = std::function<void(std::size_t line, const std::string& key, std::string message)>;

// Parses `node` (the value of zones[i].dnssec, at `path`/`line`) into
// `out`; relative `keys` paths are taken from `base`.
void parse_dnssec(const YAML::Node& node, const std::string& path, std::size_t line,
                  const std::filesystem::path& base, signing::SigningPolicy& out,
                  const DnssecError& error);

}  // namespace flatns::server
