#include "server/daemon_signing.h"

#include <algorithm>

#include "server/log.h"
#include "zones/zone.h"

namespace flatns::server {

namespace {

// A pass every eighth of the jitter window (at least a minute), so each
// RRset is re-signed within that of its own due time.
int64_t interval_for(const signing::SigningPolicy& p) { return std::max<int64_t>(60, p.rrsig_jitter / 8); }

// `due`, or the signer's next key event when that comes first.
int64_t with_key_event(const signing::OnlineSigner& signer, int64_t now, int64_t due) {
  const int64_t event = signer.keys().next_event(now);
  return event != 0 && event < due ? event : due;
}

}  // namespace

void SignedZones::update(const Config& config, const zones::ZoneSet& served, int64_t now) {
  std::map<std::string, Entry> next;
  for (const ZoneEntry& entry : config.zones) {
    if (!entry.dnssec.online) continue;
    const std::shared_ptr<const zones::Zone> zone = served.find_exact(entry.config.origin);
    const signing::OnlineSigner* signer = zone ? signing::OnlineSigner::of(*zone) : nullptr;
    if (!signer) continue;
    const std::string name = entry.config.origin.to_text();
    Entry e{entry, zone.get(), with_key_event(*signer, now, signer->refresh_due(now))};
    auto it = zones_.find(name);
    if (it != zones_.end() && it->second.snapshot == zone.get()) e.next_pass = it->second.next_pass;
    next.emplace(name, std::move(e));
  }
  zones_ = std::move(next);
}

std::shared_ptr<const zones::ZoneSet> SignedZones::resign_due(const zones::ZoneSet& current, int64_t now) {
  std::vector<std::shared_ptr<const zones::Zone>> served = current.zones();
  bool changed = false;
  for (auto& [name, e] : zones_) {
    if (now < e.next_pass) continue;
    for (auto& z : served) {
      const signing::OnlineSigner* signer = signing::OnlineSigner::of(*z);
      if (!(z->origin() == e.config.config.origin) || !signer) continue;
      e.next_pass = now + interval_for(signer->policy());
      ZoneOutcome outcome;
      sign_outcome(e.config, *z, now, outcome, z.get());
      if (!outcome.zone) {
        for (const auto& err : outcome.errors) log_error("zone " + name + " re-signing: " + err.to_string());
        break;
      }
      const signing::OnlineSigner* resigned = signing::OnlineSigner::of(*outcome.zone);
      if (resigned) e.next_pass = with_key_event(*resigned, now, e.next_pass);
      if (resigned && resigned->signed_content() == signer->signed_content()) {
        // Nothing due yet: the served version stays, with its serial.
        log_debug("zone " + name + " re-sign pass: nothing changed");
        break;
      }
      z = outcome.zone;
      e.snapshot = z.get();
      log_info("zone " + name + " re-signed: " + outcome.signing_note);
      changed = true;
      break;
    }
  }
  if (!changed) return nullptr;
  return std::make_shared<const zones::ZoneSet>(std::move(served));
}

uint64_t SignedZones::delay_ms(int64_t now_ms) const {
  int64_t delay = static_cast<int64_t>(pass_interval()) * 1000;
  for (const auto& [name, e] : zones_) {
    // A little after the second begins, so that time() says it has come.
    delay = std::min(delay, std::max<int64_t>(0, e.next_pass * 1000 - now_ms) + 20);
  }
  return static_cast<uint64_t>(delay);
}

uint64_t SignedZones::pass_interval() const {
  int64_t interval = 3600;
  for (const auto& [name, e] : zones_) interval = std::min(interval, interval_for(e.config.dnssec));
  return static_cast<uint64_t>(interval);
}

}  // namespace flatns::server
