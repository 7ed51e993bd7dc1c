#include "server/daemon_signing.h"

#include <algorithm>

#include "server/log.h"
#include "zones/zone.h"

namespace flatns::server {

namespace {

// A pass every eighth of the jitter window (at least a minute), so each
// RRset is re-signed within that of its own due time.
int64_t interval_for(const signing::SigningPolicy& p) {
  return std::max<int64_t>(60, p.rrsig_jitter / 8);
}

}  // namespace

void SignedZones::update(const Config& config, const ZoneSetBuild& build) {
  std::map<std::string, Entry> next;
  for (const ZoneOutcome& o : build.outcomes) {
    if (o.loaded && o.signer) {
      Entry e;
      for (const auto& z : config.zones) {
        if (z.config.origin.to_text() == o.name) e.config = z;
      }
      e.plain = o.plain;
      e.signer = o.signer;
      e.signed_at = o.signed_at;
      e.next_pass = o.signer->refresh_due(o.signed_at);
      next.emplace(o.name, std::move(e));
    } else if (o.kept_previous) {
      auto it = zones_.find(o.name);
      if (it != zones_.end()) next.emplace(o.name, std::move(it->second));
    }
  }
  zones_ = std::move(next);
}

std::shared_ptr<const zones::ZoneSet> SignedZones::resign_due(const zones::ZoneSet& current,
                                                              int64_t now) {
  std::vector<std::shared_ptr<const zones::Zone>> served = current.zones();
  bool changed = false;
  for (auto& [name, e] : zones_) {
    if (now < e.next_pass) continue;
    e.next_pass = now + interval_for(e.signer->policy());
    ZoneOutcome outcome;
    sign_outcome(e.config, e.plain, now, outcome, e.signer->shared_cache());
    if (!outcome.zone) {
      for (const auto& err : outcome.errors) log_error("zone " + name + " re-signing: " + err.to_string());
      continue;
    }
    for (auto& z : served) {
      if (z->origin() == e.config.config.origin) z = outcome.zone;
    }
    e.signer = outcome.signer;
    e.signed_at = now;
    log_info("zone " + name + " re-signed: " + outcome.signing_note);
    changed = true;
  }
  if (!changed) return nullptr;
  return std::make_shared<const zones::ZoneSet>(std::move(served));
}

std::shared_ptr<const signing::OnlineSigner> SignedZones::signer(const dns::Name& origin) const {
  auto it = zones_.find(origin.to_text());
  return it == zones_.end() ? nullptr : it->second.signer;
}

uint64_t SignedZones::pass_interval() const {
  int64_t interval = 3600;
  for (const auto& [name, e] : zones_) interval = std::min(interval, interval_for(e.signer->policy()));
  return static_cast<uint64_t>(interval);
}

}  // namespace flatns::server
