// The expanded view of a zone for foreign secondaries (issue 15): what an
// `allow_transfer` entry with `expand: true` transfers. BIND and Knot refuse
// a CNAME beside other data, so a zone with an apex CNAME or ALIAS cannot be
// sent to them as written; like PowerDNS's outgoing-axfr-expand-alias, the
// view replaces each flattened name's CNAME/ALIAS/ANAME (and its RRSIGs) by
// the A and AAAA flatns answers there, with the TTL it answers them with.
//
// - Validated addresses only: the addresses come from the flattened-answer
//   cache (secure or insecure answers, never bogus). While a target is being
//   resolved, or its resolution fails, the view keeps the addresses of its
//   last validated answer; a name whose target never resolved has no A/AAAA
//   in the view (only its other records). A NODATA or NXDOMAIN target gives
//   no A/AAAA either.
// - Freshness: checked every second on the daemon's loop (never on a worker:
//   lookups in the shared cache, and a rebuild only when something changed).
//   A missing or expiring target is asked of the flatten service in the
//   background, so the view follows the target within its flattened TTL.
// - Serial (RFC 1982): each new version of the view gets
//   max(zone file serial, previous view serial + 1) — the file serial when
//   it is after the previous view's, else one more. So the first view of a
//   file serial carries that serial, every address change counts up from
//   it, and the view's serial never goes back, even when the file's serial
//   is behind it. The last view serial is kept in `<zone file>.expanded-serial`
//   (written atomically), so a restart continues above it.
// - Each new version is NOTIFYed to the `notify` peers marked `expand`
//   (server/transfer_notify.h). It has no IXFR journal: an IXFR gets the
//   view whole, AXFR-style (RFC 1995 §4).
// - A zone signed online is sent with the signatures of its other RRsets;
//   the flattened addresses are unsigned (the foreign secondary cannot sign
//   them), so expand suits unsigned zones.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dns/name.h"
#include "flatten/flattener.h"
#include "flatten/service.h"
#include "server/config.h"
#include "zones/zone.h"
#include "zones/zone_set.h"

namespace flatns::server {

class ExpandedZones {
 public:
  // `service` (may be null: nothing is resolved) resolves missing targets.
  explicit ExpandedZones(flatten::FlattenService* service) : service_(service) {}

  // Brings the view of every zone with an `expand` allow_transfer entry up
  // to date with `zones` and what `flattener` answers now; forgets zones no
  // longer configured so. Returns the views that got a new version.
  std::vector<std::shared_ptr<const zones::Zone>> update(const Config& config, const zones::ZoneSet& zones,
                                                         const flatten::Flattener& flattener);
  // The current view of `origin` (null: none).
  [[nodiscard]] std::shared_ptr<const zones::Zone> find(const dns::Name& origin) const;
  [[nodiscard]] bool empty() const { return views_.empty(); }

  // The flattened A or AAAA RRset of one name in the view.
  struct AddressSet {
    bool known = false;  // a validated answer was seen (else: no records)
    uint32_t ttl = 0;
    std::vector<std::vector<uint8_t>> rdatas;  // sorted
  };

 private:
  struct View {
    std::shared_ptr<const zones::Zone> source;  // the zone as written
    std::vector<uint32_t> flattened;            // its flattened nodes
    // By flattened name: A then AAAA (kept across versions of the source).
    std::map<dns::Name, std::array<AddressSet, 2>> addresses;
    std::shared_ptr<const zones::Zone> expanded;
    uint32_t serial = 0;
  };

  // Refreshes the addresses of `view`; true when any changed.
  bool refresh_addresses(View& view, const zones::ZoneSet& zones, const flatten::Flattener& flattener);
  bool rebuild(View& view);

  flatten::FlattenService* service_;
  std::map<dns::Name, View> views_;
};

}  // namespace flatns::server
