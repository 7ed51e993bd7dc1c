#include "server/daemon_catalogs.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "server/daemon_zones.h"
#include "server/log.h"
#include "zones/zone.h"

namespace flatns::server {
namespace {

const CatalogEntry* catalog_entry(const Config& config, const dns::Name& name) {
  for (const auto& c : config.catalogs) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const MemberTemplate& member_template(const CatalogEntry& catalog, const std::optional<std::string>& group) {
  if (group) {
    if (auto it = catalog.groups.find(*group); it != catalog.groups.end()) return it->second;
  }
  return catalog.member_template;
}

void remove_file(const std::string& path, const std::string& why) {
  std::error_code ec;
  if (std::filesystem::remove(path, ec)) {
    log_info(why + ": removed " + path);
  } else if (ec) {
    log_warn(why + ": cannot remove " + path + ": " + ec.message());
  }
}

}  // namespace

CatalogZones::Consumed& CatalogZones::consumed(const dns::Name& catalog) {
  for (auto& c : consumed_) {
    if (c.name == catalog) return c;
  }
  consumed_.push_back({catalog, nullptr, nullptr, {}, {}});
  return consumed_.back();
}

const transfer::CatalogMember* CatalogZones::listed(const dns::Name& catalog, const dns::Name& zone) const {
  for (const auto& c : consumed_) {
    if (!(c.name == catalog)) continue;
    const auto it = c.index.find(zone);
    return it == c.index.end() ? nullptr : &c.members[it->second];
  }
  return nullptr;
}

std::unordered_map<dns::Name, CatalogZones::Member, dns::NameHash> CatalogZones::resolve_owners(
    const Config& config) const {
  std::unordered_set<dns::Name, dns::NameHash> configured;
  for (std::size_t i = 0; i < base_zones_ && i < config.zones.size(); ++i) configured.insert(config.zones[i].config.origin);
  for (const auto& c : config.catalogs) configured.insert(c.name);
  // Every catalog listing each zone, in config order.
  std::unordered_map<dns::Name, std::vector<const CatalogEntry*>, dns::NameHash> candidates;
  std::vector<dns::Name> order;
  for (const auto& c : config.catalogs) {
    if (c.produce) continue;
    for (const auto& state : consumed_) {
      if (!(state.name == c.name)) continue;
      for (const auto& m : state.members) {
        if (configured.count(m.zone)) continue;
        auto& list = candidates[m.zone];
        if (list.empty()) order.push_back(m.zone);
        list.push_back(&c);
      }
    }
  }
  std::unordered_map<dns::Name, Member, dns::NameHash> owners;
  for (const auto& zone : order) {
    const auto& list = candidates[zone];
    const CatalogEntry* owner = list.front();
    if (auto prev = owner_.find(zone); prev != owner_.end()) {
      for (const auto* c : list) {
        if (c->name == prev->second.catalog) owner = c;
      }
    }
    // Change of ownership (RFC 9432 §4.4.1): only to a catalog that lists the zone too.
    if (const auto* m = listed(owner->name, zone); m && m->coo) {
      for (const auto* c : list) {
        if (c->name == *m->coo) owner = c;
      }
    }
    const auto* member = listed(owner->name, zone);
    owners[zone] = {owner->name, member->unique_id, member->group.value_or(""),
                    (std::filesystem::path(owner->files) / transfer::member_file_name(zone)).string()};
  }
  return owners;
}

void CatalogZones::append_members(Config& config) {
  std::vector<const std::pair<const dns::Name, Member>*> sorted;
  sorted.reserve(owner_.size());
  for (const auto& entry : owner_) sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (const auto* entry : sorted) {
    const CatalogEntry* catalog = catalog_entry(config, entry->second.catalog);
    if (!catalog) continue;
    std::optional<std::string> group;
    if (!entry->second.group.empty()) group = entry->second.group;
    const MemberTemplate& t = member_template(*catalog, group);
    ZoneEntry zone;
    zone.line = catalog->line;
    zone.config.origin = entry->first;
    zone.config.file = entry->second.file;
    zone.config.flatten = t.flatten;
    zone.transfer.allow_transfer = t.allow_transfer;
    zone.transfer.notify = t.notify;
    zone.transfer.primaries = catalog->primaries;
    config.zones.push_back(std::move(zone));
  }
}

void CatalogZones::expand(Config& config) {
  base_zones_ = config.zones.size();
  catalog_zones_ = 0;
  for (const auto& c : config.catalogs) {
    if (c.produce) {
      (void)write_produced_catalog(c, config);
    } else {
      std::error_code ec;
      std::filesystem::create_directories(c.files, ec);
      if (ec) log_error("catalog " + c.name.to_text() + ": cannot make the folder " + c.files + ": " + ec.message());
    }
    ZoneEntry zone;
    zone.line = c.line;
    zone.config.origin = c.name;
    zone.config.file = c.file;
    zone.config.flatten = zones::FlattenMode::Off;
    zone.transfer.allow_transfer = c.allow_transfer;
    zone.transfer.notify = c.notify;
    if (!c.produce) zone.transfer.primaries = c.primaries;
    config.zones.push_back(std::move(zone));
    ++catalog_zones_;
  }
  std::erase_if(consumed_, [&](const Consumed& state) {
    const CatalogEntry* c = catalog_entry(config, state.name);
    return !c || c->produce;
  });
  owner_ = resolve_owners(config);
  append_members(config);
}

CatalogChanges CatalogZones::update(Config& config, const zones::ZoneSet& served) {
  bool any_read = false;
  for (const auto& c : config.catalogs) {
    if (c.produce) continue;
    Consumed& state = consumed(c.name);
    const auto snapshot = served.find_exact(c.name);
    if (!snapshot || snapshot.get() == state.read_from) continue;
    state.read_from = snapshot.get();
    state.keep = snapshot;
    const transfer::CatalogRead read = transfer::read_catalog(*snapshot, c.max_members);
    for (const auto& note : read.notes) log_warn("catalog " + c.name.to_text() + ": " + note);
    if (!read.ok) {
      log_error(read.error + "; still serving the " + std::to_string(state.members.size()) +
                " members read before");
      continue;
    }
    for (const auto& m : read.members) {
      if (m.group && !c.groups.count(*m.group)) {
        log_warn("catalog " + c.name.to_text() + ": group." + m.unique_id + ".zones." + c.name.to_text() +
                 " names group '" + *m.group + "', not under groups: in the config; the template is used");
      }
    }
    log_info("catalog " + c.name.to_text() + " serial " + std::to_string(snapshot->serial()) + ": " +
             std::to_string(read.members.size()) + " members");
    state.members = read.members;
    state.index.clear();
    for (std::size_t i = 0; i < state.members.size(); ++i) state.index.emplace(state.members[i].zone, i);
    any_read = true;
  }
  if (!any_read) return {};

  // Zones configured under zones: win over catalogs (logged when a catalog is read).
  for (std::size_t i = 0; i < base_zones_ && i < config.zones.size(); ++i) {
    for (const auto& state : consumed_) {
      if (listed(state.name, config.zones[i].config.origin)) {
        log_warn("catalog " + state.name.to_text() + ": member " + config.zones[i].config.origin.to_text() +
                 " is configured under zones: (" + config.file + ":" + std::to_string(config.zones[i].line) +
                 "); the configuration wins");
      }
    }
  }
  auto next = resolve_owners(config);
  CatalogChanges changes;
  for (const auto& [zone, was] : owner_) {
    auto now = next.find(zone);
    const std::string name = zone.to_text();
    if (now == next.end()) {
      log_info("catalog " + was.catalog.to_text() + ": member " + name + " removed");
      changes.drop.push_back(zone);
      remove_file(was.file, "member " + name + " removed");
    } else if (now->second.catalog == was.catalog && now->second.unique_id != was.unique_id) {
      // RFC 9432 §5.4: a new unique-id resets the member: its copy is dropped and fetched anew.
      log_info("catalog " + was.catalog.to_text() + ": member " + name + " reset (unique-id " + was.unique_id +
               " -> " + now->second.unique_id + "): fetched anew");
      changes.drop.push_back(zone);
      remove_file(was.file, "member " + name + " reset");
      changes.load.push_back(zone);
    } else if (!(now->second.catalog == was.catalog)) {
      log_info("member " + name + " moves from catalog " + was.catalog.to_text() + " to " +
               now->second.catalog.to_text() + " (coo, RFC 9432 §4.4.1)");
      if (now->second.file != was.file) {
        std::error_code ec;
        std::filesystem::rename(was.file, now->second.file, ec);
      }
      changes.load.push_back(zone);
    } else if (now->second.group != was.group) {
      changes.load.push_back(zone);
    }
  }
  for (const auto& [zone, now] : next) {
    if (owner_.count(zone)) continue;
    log_info("catalog " + now.catalog.to_text() + ": member " + zone.to_text() + " added (unique-id " +
             now.unique_id + ")");
    changes.load.push_back(zone);
  }
  owner_ = std::move(next);
  config.zones.erase(config.zones.begin() + static_cast<std::ptrdiff_t>(base_zones_ + catalog_zones_),
                     config.zones.end());
  append_members(config);
  return changes;
}

std::shared_ptr<const zones::ZoneSet> without_zone(const zones::ZoneSet& current, const dns::Name& origin) {
  std::vector<std::shared_ptr<const zones::Zone>> served;
  served.reserve(current.zones().size());
  for (const auto& z : current.zones()) {
    if (!(z->origin() == origin)) served.push_back(z);
  }
  return std::make_shared<const zones::ZoneSet>(std::move(served));
}

std::shared_ptr<const zones::ZoneSet> follow_catalogs(CatalogZones& catalogs, Config& config,
                                                      std::shared_ptr<const zones::ZoneSet> zones) {
  const CatalogChanges changes = catalogs.update(config, *zones);
  if (changes.empty()) return zones;
  for (const auto& origin : changes.drop) zones = without_zone(*zones, origin);
  if (changes.load.size() > kMembersLoadedOneByOne) {
    ZoneSetBuild build = build_zone_set(config, zones.get());
    log_zone_outcomes(build, "catalog members loaded");
    return build.zone_set;
  }
  std::unordered_map<dns::Name, const ZoneEntry*, dns::NameHash> entries;
  for (const auto& origin : changes.load) entries.emplace(origin, nullptr);
  for (const auto& entry : config.zones) {
    if (auto it = entries.find(entry.config.origin); it != entries.end()) it->second = &entry;
  }
  for (const auto& origin : changes.load) {
    const ZoneEntry* entry = entries[origin];
    if (!entry) continue;
    ZoneOutcome outcome = load_zone_entry(*entry, zones.get(), false);
    log_zone_outcome(outcome, false);
    if (outcome.loaded && outcome.zone) zones = replace_zone(*zones, outcome.zone);
  }
  return zones;
}

namespace {

constexpr std::string_view kProducedHeader = "; flatns catalog zone (RFC 9432); members hash ";

// FNV-1a of the members' text: tells whether the membership changed.
std::string members_hash(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char ch : text) {
    hash ^= ch;
    hash *= 1099511628211ull;
  }
  return std::to_string(hash);
}

// The hash and serial written by a previous run; false when the file is
// missing or was not written by us.
bool read_produced(const std::string& file, std::string& hash, uint32_t& serial) {
  std::ifstream in(file);
  std::string header, line;
  if (!std::getline(in, header) || header.rfind(kProducedHeader, 0) != 0) return false;
  std::istringstream fields(header.substr(kProducedHeader.size()));
  std::string word;
  fields >> hash >> word >> serial;
  return word == "serial" && !fields.fail();
}

}  // namespace

bool write_produced_catalog(const CatalogEntry& catalog, const Config& config) {
  std::vector<transfer::ProducedMember> members;
  for (const auto& zone : config.zones) {
    if (zone.catalog.catalog && *zone.catalog.catalog == catalog.name) {
      members.push_back({zone.config.origin, zone.catalog.group});
    }
  }
  const std::string name = catalog.name.to_text();
  const std::string hash = members_hash(transfer::catalog_zone_text(catalog.name, 0, members));
  std::string old_hash;
  uint32_t old_serial = 0;
  const bool had = read_produced(catalog.file, old_hash, old_serial);
  if (had && old_hash == hash) return true;
  // The Unix time, or one more than before when that is not newer (RFC 1982).
  uint32_t serial = static_cast<uint32_t>(std::time(nullptr));
  if (had && static_cast<int32_t>(serial - old_serial) <= 0) serial = old_serial + 1;
  const std::string text = std::string(kProducedHeader) + hash + " serial " + std::to_string(serial) + "\n" +
                           transfer::catalog_zone_text(catalog.name, serial, std::move(members));
  std::error_code ec;
  const auto folder = std::filesystem::path(catalog.file).parent_path();
  if (!folder.empty()) std::filesystem::create_directories(folder, ec);
  const std::string temp = catalog.file + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << text;
    if (!out.flush()) {
      log_error("catalog " + name + ": cannot write " + temp + " (the catalog served stays as it was)");
      return false;
    }
  }
  std::filesystem::rename(temp, catalog.file, ec);
  if (ec) {
    log_error("catalog " + name + ": cannot replace " + catalog.file + ": " + ec.message());
    return false;
  }
  log_info("catalog " + name + " produced: serial " + std::to_string(serial) + " in " + catalog.file);
  return true;
}

}  // namespace flatns::server
