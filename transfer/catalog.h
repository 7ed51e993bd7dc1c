// Catalog zones (RFC 9432, schema version 2): reading the member list of a
// catalog zone (consumer) and writing a catalog zone of our own zones
// (producer). Nothing here touches the network or the daemon: the server
// turns members into secondary zones (server/daemon_catalogs.h).
//
// A catalog is read whole or not at all (RFC 9432 §3 and §4: a consumer
// must not act on a catalog it does not understand, and a broken one keeps
// the members it had): a missing or other `version` TXT than "2" (§4.2.1),
// a member node with other than one PTR (§4.1), a PTR to the root, to the
// catalog itself or a name below it, the same zone under two unique-ids
// (§4.1), or more members than the configured cap make the whole catalog
// refused, with a message naming the catalog and the owner name at fault.
// Properties (§4.4): `coo` (one PTR to another catalog, §4.4.1) and
// `group` (TXT, §4.4.2: the first group name is kept); properties the
// catalog does not define, and broken ones (two coo PTRs), are ignored as
// §4.4 says, each with a note.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"

namespace flatns::zones {
class Zone;
}

namespace flatns::transfer {

struct CatalogMember {
  dns::Name zone;        // the member zone (PTR target), lowercased
  std::string unique_id;  // the label under zones.<catalog>, presentation form
  std::optional<std::string> group;  // group.<id> TXT, first string
  std::optional<dns::Name> coo;      // coo.<id> PTR: the catalog it moves to
};

struct CatalogRead {
  bool ok = false;                     // false: the catalog is refused whole
  std::vector<CatalogMember> members;  // in canonical order of the member zone
  std::string error;                   // why it was refused (names the owner)
  std::vector<std::string> notes;      // properties ignored, each naming its owner
};

// Reads the member list of `catalog` (a loaded snapshot of the catalog zone).
[[nodiscard]] CatalogRead read_catalog(const zones::Zone& catalog, std::size_t max_members);

// A file name for a member zone's copy: the zone's labels lowercased, each
// octet outside [a-z0-9_-] written %XX, joined by dots, then ".zone"; a name
// too long for one path component becomes its hash. The result has no '/',
// is never "." or "..", and so stays in the folder it is joined to.
[[nodiscard]] std::string member_file_name(const dns::Name& zone);

// The unique-id a producer gives a member: stable for the zone's name
// (16 hex digits of a hash of the lowercased name), so the same zone keeps
// the same id across restarts and on every producer.
[[nodiscard]] std::string member_unique_id(const dns::Name& zone);

struct ProducedMember {
  dns::Name zone;
  std::string group;  // empty: no group property
};

// The catalog zone's text (RFC 9432 §4: SOA, NS invalid., version "2", one
// PTR per member, group TXT where set) with `serial`. Members are written in
// canonical order whatever the order given.
[[nodiscard]] std::string catalog_zone_text(const dns::Name& catalog, uint32_t serial,
                                            std::vector<ProducedMember> members);

}  // namespace flatns::transfer
