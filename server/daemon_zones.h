// Loading the configured zones into a ZoneSet, at start-up, on reload and
// for check-config (issue 16: linear in the number of zones, parallel, and a
// reload costs what changed).
//
// Zone files are parsed on every core (std::thread::hardware_concurrency
// threads; the workers are idle at start-up and a reload parses only what
// changed; a reload uses 4 threads a core, as it mostly waits on stat()). On reload (`previous` given) a zone whose config entry (file,
// flatten) is the same and whose files did not change (zones/zone_source.h:
// size and mtime, else the content hash) keeps its snapshot object as it is,
// without reading the file; a zone that fails to load keeps the snapshot it
// had (DESIGN.md: "a zone that fails to load keeps its previous version and
// the error is logged").
//
// A zone with `dnssec: {signing: online}` is signed once loaded, before it
// is served (signing/zone_signer.h). It counts as unchanged on reload only
// when its key folder is too (the names, sizes, times and inodes of its key
// files, signing::key_folder_stamp) and its dnssec settings are the same:
// an unchanged signed zone is neither read nor signed again.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.h"
#include "signing/online_signer.h"
#include "zones/zone_set.h"

namespace flatns::server {

struct ZoneOutcome {
  std::string name;  // presentation form, "example.com." (empty when unchanged: zone->origin())
  std::string file;  // empty when unchanged
  std::shared_ptr<const zones::Zone> zone;  // what will be served; null if nothing
  bool loaded = false;         // the file was parsed now and loaded
  bool unchanged = false;      // entry and files as before: the previous snapshot is kept, not reparsed
  bool kept_previous = false;  // failed, and the previous snapshot is kept
  bool was_served = false;     // the set it was loaded against served this zone
  bool awaiting_transfer = false;  // a secondary zone with no copy yet: its primaries will send it
  std::size_t records = 0;     // records served (0 when nothing is)
  uint32_t serial = 0;         // SOA serial of what is served (when zone is set)
  std::vector<zones::ZoneFileError> errors;
  std::vector<zones::ZoneFileError> warnings;
  std::string signing_note;    // signed online: what signing did (RRsets signed, a CSK made)
  // Neither loaded, unchanged nor awaiting its first transfer.
  [[nodiscard]] bool failed() const { return !loaded && !unchanged && !awaiting_transfer; }
};

struct ZoneSetBuild {
  std::shared_ptr<const zones::ZoneSet> zone_set;
  std::vector<ZoneOutcome> outcomes;  // in config order
  std::vector<std::string> removed;   // zones of `previous` that are no longer configured
  double seconds = 0;                 // wall-clock time of the build
  unsigned threads = 1;               // threads that parsed zone files
  [[nodiscard]] std::size_t failed() const;     // neither loaded, unchanged nor awaiting a transfer
  [[nodiscard]] std::size_t loaded() const;     // parsed now
  [[nodiscard]] std::size_t unchanged() const;  // snapshot kept as it was
  [[nodiscard]] std::size_t total_records() const;
};

// Loads every zone in `config`. With `previous`, unchanged zones keep their
// snapshot and a zone that fails to load is served from its snapshot there
// (matched by origin). `threads` 0: one per CPU.
[[nodiscard]] ZoneSetBuild build_zone_set(const Config& config, const zones::ZoneSet* previous,
                                          unsigned threads = 0);

// One zone: loads the entry's file unless it is unchanged in `current`
// (`force` loads it anyway), without touching the other zones.
[[nodiscard]] ZoneOutcome load_zone_entry(const ZoneEntry& entry, const zones::ZoneSet* current, bool force);

// Signs `plain` for `entry` (keys from its dnssec.keys folder, a CSK made
// when it is empty) and serves the result through `outcome`; on failure the
// outcome gets the error and no zone. `plain` may be a signed snapshot (a
// re-sign pass): its DNSSEC records are made anew. With `served`, the
// version served now when it was signed online: its signature cache is
// reused, so only what changed or is near its refresh time is signed, and
// when the records differ from it the SOA serial served goes above its
// (signing/zone_signer.h PreviousSigning), so secondaries transfer them.
void sign_outcome(const ZoneEntry& entry, const zones::Zone& plain, int64_t now, ZoneOutcome& outcome,
                  const zones::Zone* served = nullptr);

// `current` with `zone` in place of the zone of the same origin (or added).
[[nodiscard]] std::shared_ptr<const zones::ZoneSet> replace_zone(const zones::ZoneSet& current,
                                                                 std::shared_ptr<const zones::Zone> zone);

// Logs one zone's problems (each warning and error with file:line) and what
// is served; the "loaded" line at info or, with `quiet`, at debug.
void log_zone_outcome(const ZoneOutcome& outcome, bool quiet);

// Logs a build: every problem of every zone (one line each), one line per
// loaded zone at info when at most kLoadedLinesAtInfo were loaded, else at
// debug, unchanged and removed zones at debug, then one summary line at info
// starting with `summary` ("zones loaded", "reload done").
void log_zone_outcomes(const ZoneSetBuild& build, std::string_view summary);

// Above this many zones loaded in one pass, their "loaded" lines go to debug.
inline constexpr std::size_t kLoadedLinesAtInfo = 10;

}  // namespace flatns::server
