// Configuration of catalog zones (RFC 9432): the `catalogs:` list and the
// zone keys `catalog` and `catalog_group`. Parsed here, not in config.cpp
// (config.cpp hands the YAML nodes over); what the daemon does with them is
// server/daemon_catalogs.h.
//
//   catalogs:
//     - name: catalog.example        # consumed: its members become secondary zones
//       primaries: [{address: "192.0.2.1:53", key: xfr}]
//       files: secondary/            # where member zones (and the catalog) are kept
//       max_members: 10000           # a catalog with more is refused whole
//       template: {flatten: apex, allow_transfer: [...], notify: [...]}  # members without a known group
//       groups:                      # group property (RFC 9432 §4.4.2) -> template
//         edge: {flatten: all, allow_transfer: [...], notify: [...]}
//     - name: own.catalog.example    # produced from zones with `catalog: own.catalog.example`
//       produce: true
//       file: catalogs/own.catalog.example.zone   # written by flatns when membership changes
//       allow_transfer: [{address: 192.0.2.7, key: xfr}]   # the catalog zone's own
//       notify: [{address: "192.0.2.7:53", key: xfr}]
//   zones:
//     - name: example.com
//       file: zones/example.com.zone
//       catalog: own.catalog.example  # a member of that produced catalog
//       catalog_group: edge           # written as its group property (optional)
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dns/name.h"
#include "server/config_transfer.h"
#include "zones/zone_set.h"

namespace YAML {
class Node;
}

namespace flatns::server {

// What a member zone of a consumed catalog is served with.
struct MemberTemplate {
  zones::FlattenMode flatten = zones::FlattenMode::Apex;
  std::vector<transfer::AclEntry> allow_transfer;
  std::vector<TransferPeer> notify;
};

inline constexpr uint32_t kDefaultCatalogMaxMembers = 10000;

struct CatalogEntry {
  dns::Name name;
  std::size_t line = 0;
  bool produce = false;
  std::string file;   // the catalog zone's own copy (consumer: default under `files`)
  std::string files;  // consumer: the folder of member zone files
  std::vector<TransferPeer> primaries;  // consumer
  std::vector<transfer::AclEntry> allow_transfer;  // the catalog zone's own
  std::vector<TransferPeer> notify;                // the catalog zone's own
  uint32_t max_members = kDefaultCatalogMaxMembers;
  MemberTemplate member_template;
  std::map<std::string, MemberTemplate> groups;
};

// A configured zone's membership of a produced catalog.
struct CatalogMembership {
  std::optional<dns::Name> catalog;
  std::string group;  // empty: none
};

// Parses the `catalogs:` list; relative paths are taken from `base`.
void parse_catalogs(const YAML::Node& node, const std::string& path, std::size_t line, const std::string& base,
                    const ConfigProblem& problem, std::vector<CatalogEntry>& out,
                    std::vector<KeyReference>& references);

// zones[].catalog and zones[].catalog_group.
void parse_catalog_membership(const YAML::Node& node, const std::string& path, std::size_t line, bool group,
                              const ConfigProblem& problem, CatalogMembership& out);

struct ZoneEntry;
// Cross-checks once everything is read: a zone's `catalog` names a produced
// catalog; no catalog has the name of a configured zone.
void check_catalogs(const std::vector<CatalogEntry>& catalogs, const std::vector<ZoneEntry>& zones,
                    const ConfigProblem& problem);

}  // namespace flatns::server
