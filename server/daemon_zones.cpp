#include "server/daemon_zones.h"

#include "server/log.h"

#include <algorithm>
#include <ctime>
#include <thread>

#include "signing/answer_signer.h"
#include "signing/zone_signer.h"
#include "zones/zone.h"

namespace flatns::server {

std::size_t ZoneSetBuild::failed() const {
  std::size_t n = 0;
  for (const auto& o : outcomes) n += o.loaded ? 0 : 1;
  return n;
}

std::size_t ZoneSetBuild::total_records() const {
  std::size_t n = 0;
  for (const auto& o : outcomes) n += o.records;
  return n;
}

ZoneSetBuild build_zone_set(const Config& config, const zones::ZoneSet* previous) {
  ZoneSetBuild build;
  std::vector<std::shared_ptr<const zones::Zone>> served;
  for (const auto& entry : config.zones) {
    ZoneOutcome outcome;
    outcome.name = entry.config.origin.to_text();
    outcome.file = entry.config.file;
    zones::ZoneLoadResult result = zones::load_zone(entry.config);
    outcome.errors = std::move(result.errors);
    outcome.warnings = std::move(result.warnings);
    if (result.zone && outcome.errors.empty() && entry.dnssec.online) {
      sign_outcome(entry, std::move(result.zone), ::time(nullptr), outcome);
      if (outcome.errors.empty()) outcome.records = result.records;
    }
    if (outcome.zone && outcome.errors.empty()) {
      outcome.loaded = true;
    } else if (result.zone && outcome.errors.empty()) {
      outcome.loaded = true;
      outcome.records = result.records;
      outcome.zone = std::move(result.zone);
    } else {
      outcome.zone.reset();
      if (outcome.errors.empty()) outcome.errors.push_back({entry.config.file, 0, "zone did not load"});
      if (previous) {
        outcome.zone = previous->find_exact(entry.config.origin);
        outcome.kept_previous = outcome.zone != nullptr;
      }
    }
    if (outcome.zone) {
      outcome.serial = outcome.zone->serial();
      served.push_back(outcome.zone);
    }
    build.outcomes.push_back(std::move(outcome));
  }
  build.zone_set = std::make_shared<const zones::ZoneSet>(std::move(served));
  return build;
}

void sign_outcome(const ZoneEntry& entry, std::shared_ptr<const zones::Zone> plain, int64_t now,
                  ZoneOutcome& outcome, std::shared_ptr<signing::SignatureCache> cache) {
  const std::string key = "zones[" + entry.config.origin.to_text() + "].dnssec: ";
  signing::KeySet keys;
  std::string error, made;
  if (!signing::KeySet::load(entry.config.origin, entry.dnssec, now, keys, error, &made)) {
    outcome.errors.push_back({entry.config.file, 0, key + error});
    return;
  }
  if (!made.empty()) outcome.signing_note = "made a new CSK " + made;
  // Room for every static signature twice over (each key), plus dynamic ones.
  const std::size_t capacity = plain->record_count() * 2 * keys.keys().size() + 100000;
  if (!cache || cache->capacity() < capacity) cache = std::make_shared<signing::SignatureCache>(capacity);
  auto signer = std::make_shared<signing::OnlineSigner>(std::move(keys), entry.dnssec, std::move(cache));
  signing::SignStats stats;
  zones::ZoneConfig config = entry.config;
  config.online_answer = signing::make_online_answer(signer);
  zones::ZoneLoadResult result = signing::sign_zone(
      *plain, config, *signer, now, std::max(1u, std::thread::hardware_concurrency()), &stats);
  for (auto& e : result.errors) outcome.errors.push_back(std::move(e));
  if (!result.zone) {
    if (outcome.errors.empty()) outcome.errors.push_back({entry.config.file, 0, key + "signing failed"});
    return;
  }
  outcome.zone = std::move(result.zone);
  outcome.plain = std::move(plain);
  outcome.signer = std::move(signer);
  outcome.signed_at = now;
  outcome.signing_note += (outcome.signing_note.empty() ? "" : "; ") + std::to_string(stats.rrsets) +
                          " RRsets signed (" + std::to_string(stats.signatures) + " RRSIGs, " +
                          std::to_string(stats.nsec) + " NSECs)";
}

void log_zone_outcomes(const ZoneSetBuild& build) {
  for (const auto& o : build.outcomes) {
    for (const auto& w : o.warnings) log_warn("zone " + o.name + ": " + w.to_string());
    for (const auto& e : o.errors) log_error("zone " + o.name + ": " + e.to_string());
    if (o.loaded && !o.signing_note.empty()) log_info("zone " + o.name + " signed online: " + o.signing_note);
    if (o.loaded) {
      log_info("zone " + o.name + " loaded: serial " + std::to_string(o.serial) + ", " + std::to_string(o.records) +
               " records from " + o.file);
    } else if (o.kept_previous) {
      log_error("zone " + o.name + " failed to load; still serving its previous version (serial " +
                std::to_string(o.serial) + ")");
    } else {
      log_error("zone " + o.name + " failed to load; it is not served");
    }
  }
}

}  // namespace flatns::server
