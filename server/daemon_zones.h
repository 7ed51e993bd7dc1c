// Loading the configured zones into a ZoneSet, at start-up, on reload and
// for check-config. On reload a zone whose file fails to load keeps the
// snapshot it had (DESIGN.md: "a zone that fails to load keeps its previous
// version and the error is logged").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/config.h"
#include "zones/zone_set.h"

namespace flatns::server {

struct ZoneOutcome {
  std::string name;  // presentation form, "example.com."
  std::string file;
  std::shared_ptr<const zones::Zone> zone;  // what will be served; null if nothing
  bool loaded = false;         // the file loaded now
  bool kept_previous = false;  // failed, and the previous snapshot is kept
  bool awaiting_transfer = false;  // a secondary zone with no copy yet: its primaries will send it
  std::size_t records = 0;     // records loaded from the file (0 when it failed)
  uint32_t serial = 0;         // SOA serial of what is served (when zone is set)
  std::vector<zones::ZoneFileError> errors;
  std::vector<zones::ZoneFileError> warnings;
};

struct ZoneSetBuild {
  std::shared_ptr<const zones::ZoneSet> zone_set;
  std::vector<ZoneOutcome> outcomes;  // in config order
  [[nodiscard]] std::size_t failed() const;
  [[nodiscard]] std::size_t total_records() const;
};

// Loads every zone in `config`. With `previous`, a zone that fails to load is
// served from its snapshot there (matched by origin).
[[nodiscard]] ZoneSetBuild build_zone_set(const Config& config, const zones::ZoneSet* previous);

// Writes what happened to each zone to the log: one info line per zone
// loaded, each error with file:line, and which zones keep old data.
void log_zone_outcomes(const ZoneSetBuild& build);

}  // namespace flatns::server
