#include "server/daemon_zones.h"

#include <filesystem>

#include "server/log.h"
#include "zones/zone.h"

namespace flatns::server {

std::size_t ZoneSetBuild::failed() const {
  std::size_t n = 0;
  for (const auto& o : outcomes) n += (o.loaded || o.awaiting_transfer) ? 0 : 1;
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
    std::error_code ignored;
    if (!entry.transfer.primaries.empty() && !std::filesystem::exists(entry.config.file, ignored) &&
        !(previous && previous->find_exact(entry.config.origin))) {
      outcome.awaiting_transfer = true;  // server/transfer_secondary.h fetches it
      build.outcomes.push_back(std::move(outcome));
      continue;
    }
    zones::ZoneLoadResult result = zones::load_zone(entry.config);
    outcome.errors = std::move(result.errors);
    outcome.warnings = std::move(result.warnings);
    if (result.zone && outcome.errors.empty()) {
      outcome.loaded = true;
      outcome.records = result.records;
      outcome.zone = std::move(result.zone);
    } else {
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

void log_zone_outcomes(const ZoneSetBuild& build) {
  for (const auto& o : build.outcomes) {
    for (const auto& w : o.warnings) log_warn("zone " + o.name + ": " + w.to_string());
    for (const auto& e : o.errors) log_error("zone " + o.name + ": " + e.to_string());
    if (o.awaiting_transfer) {
      log_info("zone " + o.name + ": secondary with no copy in " + o.file + " yet; served after its first transfer");
    } else if (o.loaded) {
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
