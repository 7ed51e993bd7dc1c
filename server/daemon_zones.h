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
#include "signing/online_signer.h"
#include "zones/zone_set.h"

namespace flatns::server {

struct ZoneOutcome {
  std::string name;  // presentation form, "example.com."
  std::string file;
  std::shared_ptr<const zones::Zone> zone;  // what will be served; null if nothing
  bool loaded = false;         // the file loaded now
  bool kept_previous = false;  // failed, and the previous snapshot is kept
  std::size_t records = 0;     // records loaded from the file (0 when it failed)
  uint32_t serial = 0;         // SOA serial of what is served (when zone is set)
  std::vector<zones::ZoneFileError> errors;
  std::vector<zones::ZoneFileError> warnings;
  // Signed online: the zone as loaded from its file (re-signed from it) and
  // its signer (keys, policy, signature cache); null otherwise.
  std::shared_ptr<const zones::Zone> plain;
  std::shared_ptr<const signing::OnlineSigner> signer;
  int64_t signed_at = 0;
  std::string signing_note;  // e.g. the CSK made for it
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

// Signs `plain` for `entry` (keys from its dnssec.keys folder, a CSK made
// when it is empty); on failure the outcome gets the error and no zone.
// With `cache`, signatures still fresh there are reused (a re-sign pass).
void sign_outcome(const ZoneEntry& entry, std::shared_ptr<const zones::Zone> plain, int64_t now,
                  ZoneOutcome& outcome, std::shared_ptr<signing::SignatureCache> cache = nullptr);

// Writes what happened to each zone to the log: one info line per zone
// loaded, each error with file:line, and which zones keep old data.
void log_zone_outcomes(const ZoneSetBuild& build);

}  // namespace flatns::server
