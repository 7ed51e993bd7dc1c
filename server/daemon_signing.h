// Re-signing zones signed online before their signatures need it, driven by
// a timer rather than by queries (Knot's onlinesign only acts on queries).
//
// Each signature's expiry is `rrsig_lifetime` after signing less a jitter
// taken from its RRset's hash (signing/online_signer.h); a pass re-signs the
// served snapshot (its DNSSEC records made anew, the keys read again, so
// keys whose timing fields say so are published, activated or retired)
// through the signature cache, so only RRsets whose signature has less than
// `rrsig_refresh` left are signed again: the work of a large zone is spread
// over the jitter window. Passes run on the daemon's loop every
// `pass_interval`, from the first time any signature can be due, and at
// the next key timing event (a Publish, Activate, Inactive or Delete time
// of a key in the folder), so a key is published, used or retired within
// a second of its time; the new snapshot is published like a reload.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "server/daemon_zones.h"

namespace flatns::server {

class SignedZones {
 public:
  // Follows what is served: a zone signed online that is new or was
  // signed again (another snapshot) gets its next pass from its signer;
  // an unchanged one keeps its time; zones no longer served are dropped.
  void update(const Config& config, const zones::ZoneSet& served, int64_t now);
  // Re-signs every zone that is due at `now`; returns the zone set with the
  // new snapshots, or null when none was due (or re-signing failed: logged,
  // the current version keeps serving).
  [[nodiscard]] std::shared_ptr<const zones::ZoneSet> resign_due(const zones::ZoneSet& current, int64_t now);
  // Seconds between passes.
  [[nodiscard]] uint64_t pass_interval() const;
  // Milliseconds from `now_ms` (Unix time) to the next pass that is due,
  // at most pass_interval().
  [[nodiscard]] uint64_t delay_ms(int64_t now_ms) const;

 private:
  struct Entry {
    ZoneEntry config;
    const zones::Zone* snapshot = nullptr;  // identity only: the snapshot last timed
    int64_t next_pass = 0;
  };
  std::map<std::string, Entry> zones_;  // by origin text
};

}  // namespace flatns::server
