// Catalog zones in the daemon (RFC 9432): consumed catalogs turn their
// members into secondary zones, produced catalogs are written from the
// zones that name them (`catalog:`). Both work on the configuration the
// daemon serves from: a catalog zone and each member get a ZoneEntry, so
// transfers, NOTIFY, refresh, `flatns ctl` and metrics treat them as any
// other zone (server/config_catalog.h has the config keys).
//
// Consumer (RFC 9432 §5):
// - the catalog zone is a secondary zone of the catalog's primaries, kept
//   in its `file` (under `files`); each time a new snapshot of it is served,
//   its member list is read (transfer/catalog.h). A catalog that cannot be
//   read (wrong version, broken member node, ...) is logged naming the
//   catalog and the owner, and the member set read last keeps serving;
// - a member zone is a secondary zone of the same primaries, kept in
//   `files`/transfer::member_file_name(zone), served with the template of its
//   group (or `template`);
// - added members are loaded, removed ones dropped and their files removed,
//   one zone at a time (the other zones are not looked at); a member whose
//   unique-id changed is reset (§5.4): its copy is dropped and fetched anew;
// - a zone configured under zones: is never taken over by a catalog (logged);
//   a zone listed by two catalogs stays with the one that had it, unless
//   that one's `coo` property names the other (§4.4.1, §5.6): then it moves.
// Producer (RFC 9432 §4): a catalog with `produce: true` is written to its
// `file` when its member set changes (at start and on SIGHUP), with a new
// serial (the Unix time, or the old serial + 1 when that is not newer), and
// loaded as a primary zone: its changes reach the secondaries by NOTIFY and
// IXFR from the journal like any zone's.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/config.h"
#include "transfer/catalog.h"
#include "zones/zone_set.h"

namespace flatns::server {

struct CatalogChanges {
  std::vector<dns::Name> load;  // member entries added or changed: load them
  std::vector<dns::Name> drop;  // members removed or reset: no longer served as they were
  [[nodiscard]] bool empty() const { return load.empty() && drop.empty(); }
};

class CatalogZones {
 public:
  // Adds to `config.zones` (freshly loaded, nothing added yet) each catalog
  // zone and each member known so far; writes produced catalogs that changed.
  void expand(Config& config);
  // Reads each consumed catalog whose served snapshot in `served` is new and
  // brings `config`'s member entries in line; what to load and drop.
  [[nodiscard]] CatalogChanges update(Config& config, const zones::ZoneSet& served);

 private:
  struct Consumed {
    dns::Name name;
    const zones::Zone* read_from = nullptr;  // the snapshot read last (compared, never dereferenced)
    std::shared_ptr<const zones::Zone> keep;  // keeps read_from's address from being reused
    std::vector<transfer::CatalogMember> members;  // the last good member set
    std::unordered_map<dns::Name, std::size_t, dns::NameHash> index;  // member zone -> its place in members
  };
  struct Member {
    dns::Name catalog;
    std::string unique_id;
    std::string group;  // "" when none
    std::string file;
  };
  Consumed& consumed(const dns::Name& catalog);
  const transfer::CatalogMember* listed(const dns::Name& catalog, const dns::Name& zone) const;
  // Which catalog owns each member zone (coo followed), from the member sets.
  std::unordered_map<dns::Name, Member, dns::NameHash> resolve_owners(const Config& config) const;
  void append_members(Config& config);

  std::vector<Consumed> consumed_;
  std::unordered_map<dns::Name, Member, dns::NameHash> owner_;  // member zone -> its catalog now
  std::size_t base_zones_ = 0;  // config.zones from the file, before the catalogs' entries
  std::size_t catalog_zones_ = 0;  // the catalogs' own entries after them
};

// `current` without the zone `origin`.
[[nodiscard]] std::shared_ptr<const zones::ZoneSet> without_zone(const zones::ZoneSet& current,
                                                                 const dns::Name& origin);

// Brings `zones` in line with the catalogs just served in it (update()):
// dropped members leave the set, added ones are loaded one at a time (the
// other zones untouched), or, past kMembersLoadedOneByOne, by one
// build_zone_set in which every other zone keeps its snapshot unread.
[[nodiscard]] std::shared_ptr<const zones::ZoneSet> follow_catalogs(CatalogZones& catalogs, Config& config,
                                                                    std::shared_ptr<const zones::ZoneSet> zones);
inline constexpr std::size_t kMembersLoadedOneByOne = 64;

// Writes the produced catalog `catalog` from `config`'s zones when its members
// changed (or the file is missing); false (logged) when it cannot be written.
bool write_produced_catalog(const CatalogEntry& catalog, const Config& config);

}  // namespace flatns::server
