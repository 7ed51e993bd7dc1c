// Re-signing zones signed online before their signatures need it, driven by
// a timer rather than by queries (Knot's onlinesign only acts on queries).
//
// Each signature's expiry is `rrsig_lifetime` after signing less a jitter
// taken from its RRset's hash (signing/online_signer.h); a pass re-signs the
// zone from the records its file gave, through the signature cache, so only
// RRsets whose signature has less than `rrsig_refresh` left are signed
// again: the work of a large zone is spread over the jitter window. Passes
// run on the daemon's loop every `pass_interval`, from the first time any
// signature can be due; the new snapshot is published like a reload.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "server/daemon_zones.h"

namespace flatns::server {

class SignedZones {
 public:
  // Takes the signed zones of a (re)load: loaded ones replace their entry,
  // ones that kept their previous version keep theirs, the rest go.
  void update(const Config& config, const ZoneSetBuild& build);
  // Re-signs every zone that is due at `now`; returns the zone set with the
  // new snapshots, or null when none was due (or re-signing failed: logged,
  // the current version keeps serving).
  [[nodiscard]] std::shared_ptr<const zones::ZoneSet> resign_due(const zones::ZoneSet& current,
                                                                 int64_t now);
  // The signer of the zone `origin` currently serves, or null.
  [[nodiscard]] std::shared_ptr<const signing::OnlineSigner> signer(const dns::Name& origin) const;
  // Seconds between passes.
  [[nodiscard]] uint64_t pass_interval() const;

 private:
  struct Entry {
    ZoneEntry config;
    std::shared_ptr<const zones::Zone> plain;
    std::shared_ptr<const signing::OnlineSigner> signer;
    int64_t signed_at = 0;
    int64_t next_pass = 0;
  };
  std::map<std::string, Entry> zones_;  // by origin text
};

}  // namespace flatns::server
