#include "server/daemon_zones.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <thread>

#include "server/log.h"
#include "signing/zone_signer.h"
#include "zones/zone.h"
#include "zones/zone_source.h"

namespace flatns::server {
namespace {

// Zones handed to a parsing thread at a time: small zones cost a few
// microseconds each, so one atomic increment per zone would show.
constexpr std::size_t kZonesPerGrab = 32;
// A reload mostly stats files whose inodes may have left the cache: threads
// waiting on the disk overlap (1M zones: 157 s wall for 24 CPU-s on 2 threads).
constexpr unsigned kReloadThreadsPerCpu = 4;

unsigned parse_threads(std::size_t zones, unsigned wanted, bool reload) {
  if (wanted == 0) {
    wanted = std::max(1u, std::thread::hardware_concurrency()) * (reload ? kReloadThreadsPerCpu : 1);
  }
  const std::size_t useful = (zones + kZonesPerGrab - 1) / kZonesPerGrab;
  return static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(wanted, useful)));
}

bool same_policy(const signing::SigningPolicy& a, const signing::SigningPolicy& b) {
  return a.keys_dir == b.keys_dir && a.algorithm == b.algorithm && a.denial == b.denial &&
         a.rrsig_lifetime == b.rrsig_lifetime && a.rrsig_refresh == b.rrsig_refresh &&
         a.rrsig_jitter == b.rrsig_jitter && a.inception_offset == b.inception_offset &&
         a.dnskey_ttl == b.dnskey_ttl;
}

// Signed online: the same settings and the same key files as when signed.
bool same_signing(const zones::Zone& zone, const ZoneEntry& entry) {
  const signing::OnlineSigner* signer = signing::OnlineSigner::of(zone);
  if (!entry.dnssec.online) return signer == nullptr;
  return signer && same_policy(signer->policy(), entry.dnssec) &&
         signer->keys_stamp() == signing::key_folder_stamp(entry.config.origin, entry.dnssec.keys_dir);
}

bool same_entry(const zones::Zone& zone, const ZoneEntry& entry) {
  return zone.file() == entry.config.file && zone.flatten() == entry.config.flatten && same_signing(zone, entry);
}

void serve(ZoneOutcome& outcome, std::shared_ptr<const zones::Zone> zone) {
  outcome.zone = std::move(zone);
  outcome.serial = outcome.zone->serial();
  outcome.records = outcome.zone->record_count();
}

std::string format_seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  return text;
}

}  // namespace

std::size_t ZoneSetBuild::failed() const {
  std::size_t n = 0;
  for (const auto& o : outcomes) n += o.failed() ? 1 : 0;
  return n;
}

std::size_t ZoneSetBuild::loaded() const {
  std::size_t n = 0;
  for (const auto& o : outcomes) n += o.loaded ? 1 : 0;
  return n;
}

std::size_t ZoneSetBuild::unchanged() const {
  std::size_t n = 0;
  for (const auto& o : outcomes) n += o.unchanged ? 1 : 0;
  return n;
}

std::size_t ZoneSetBuild::total_records() const {
  std::size_t n = 0;
  for (const auto& o : outcomes) n += o.records;
  return n;
}

ZoneOutcome load_zone_entry(const ZoneEntry& entry, const zones::ZoneSet* current, bool force) {
  ZoneOutcome outcome;
  std::shared_ptr<const zones::Zone> before = current ? current->find_exact(entry.config.origin) : nullptr;
  outcome.was_served = before != nullptr;
  if (!force && before && same_entry(*before, entry) && zones::sources_unchanged(before->sources())) {
    // No name or file strings: a reload of 1M unchanged zones makes 1M outcomes.
    outcome.unchanged = true;
    serve(outcome, std::move(before));
    return outcome;
  }
  outcome.name = entry.config.origin.to_text();
  outcome.file = entry.config.file;
  std::error_code ignored;
  if (!before && !entry.transfer.primaries.empty() && !std::filesystem::exists(entry.config.file, ignored)) {
    outcome.awaiting_transfer = true;  // server/transfer_secondary.h fetches it
    return outcome;
  }
  zones::ZoneLoadResult result = zones::load_zone(entry.config);
  outcome.errors = std::move(result.errors);
  outcome.warnings = std::move(result.warnings);
  if (result.zone && outcome.errors.empty() && entry.dnssec.online) {
    // Signatures still fresh in the served version's cache are reused.
    sign_outcome(entry, *result.zone, ::time(nullptr), outcome, before.get());
    if (outcome.zone) return outcome;
  } else if (result.zone && outcome.errors.empty()) {
    outcome.loaded = true;
    serve(outcome, std::move(result.zone));
    return outcome;
  }
  if (outcome.errors.empty()) outcome.errors.push_back({entry.config.file, 0, "zone did not load"});
  if (before) {
    outcome.kept_previous = true;
    serve(outcome, std::move(before));
  }
  return outcome;
}

ZoneSetBuild build_zone_set(const Config& config, const zones::ZoneSet* previous, unsigned threads) {
  const auto start = std::chrono::steady_clock::now();
  ZoneSetBuild build;
  const std::size_t count = config.zones.size();
  build.outcomes.resize(count);
  build.threads = parse_threads(count, threads, previous != nullptr);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    while (true) {
      const std::size_t begin = next.fetch_add(kZonesPerGrab, std::memory_order_relaxed);
      if (begin >= count) return;
      const std::size_t end = std::min(count, begin + kZonesPerGrab);
      for (std::size_t i = begin; i < end; ++i) {
        build.outcomes[i] = load_zone_entry(config.zones[i], previous, false);
      }
    }
  };
  {
    std::vector<std::jthread> helpers;
    for (unsigned t = 1; t < build.threads; ++t) helpers.emplace_back(work);
    work();
  }
  std::vector<std::shared_ptr<const zones::Zone>> served;
  served.reserve(count);
  for (const auto& o : build.outcomes) {
    if (o.zone) served.push_back(o.zone);
  }
  build.zone_set = std::make_shared<const zones::ZoneSet>(std::move(served));
  std::size_t still_configured = 0;
  for (const auto& o : build.outcomes) still_configured += o.was_served ? 1 : 0;
  // Only when some zone was dropped from the config: a probe per zone costs
  // a few cache misses each, a second with a million zones.
  if (previous && still_configured < previous->zones().size()) {
    for (const auto& old : previous->zones()) {
      if (!build.zone_set->find_exact(old->origin())) build.removed.push_back(old->origin().to_text());
    }
  }
  build.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return build;
}

void sign_outcome(const ZoneEntry& entry, const zones::Zone& plain, int64_t now, ZoneOutcome& outcome,
                  const zones::Zone* served) {
  const signing::OnlineSigner* was = served ? signing::OnlineSigner::of(*served) : nullptr;
  std::shared_ptr<signing::SignatureCache> cache = was ? was->shared_cache() : nullptr;
  std::optional<signing::PreviousSigning> previous;
  if (was) previous = signing::PreviousSigning{served->serial(), was->signed_content()};
  const std::string key = "zones[" + entry.config.origin.to_text() + "].dnssec: ";
  signing::KeySet keys;
  std::string error, made;
  if (!signing::KeySet::load(entry.config.origin, entry.dnssec, now, keys, error, &made)) {
    outcome.errors.push_back({entry.config.file, 0, key + error});
    return;
  }
  // Read after a CSK was made, so that the next reload sees the folder unchanged.
  const uint64_t stamp = signing::key_folder_stamp(entry.config.origin, entry.dnssec.keys_dir);
  outcome.signing_note = made.empty() ? "" : "made a new CSK " + made + "; ";
  // Room for every static signature twice over (each key), plus what answers
  // share (flattened address sets; signatures made for the name asked stay in
  // each worker's table: signing/online_signer.h).
  const std::size_t capacity = plain.record_count() * 2 * keys.keys().size() + 100000;
  if (!cache || cache->capacity() < capacity) cache = std::make_shared<signing::SignatureCache>(capacity);
  auto signer = std::make_shared<signing::OnlineSigner>(std::move(keys), entry.dnssec, std::move(cache), stamp);
  signing::SignStats stats;
  zones::ZoneConfig config = entry.config;
  config.signer = signer;
  zones::ZoneLoadResult result =
      signing::sign_zone(plain, config, *signer, now, std::max(1u, std::thread::hardware_concurrency()), &stats,
                         previous ? &*previous : nullptr);
  signer->set_signed_content(stats.content);  // before the zone is served
  for (auto& e : result.errors) outcome.errors.push_back(std::move(e));
  if (!result.zone) {
    if (outcome.errors.empty()) outcome.errors.push_back({entry.config.file, 0, key + "signing failed"});
    return;
  }
  outcome.loaded = true;
  serve(outcome, std::move(result.zone));
  outcome.signing_note += std::to_string(stats.rrsets) + " RRsets signed (" + std::to_string(stats.signatures) +
                          " RRSIGs, " + std::to_string(stats.nsec) + " NSECs)";
  if (stats.serial_raised) {
    outcome.signing_note += "; serving serial " + std::to_string(stats.serial) + " (zone file: " +
                            std::to_string(stats.file_serial) + "; served before: " +
                            std::to_string(previous->serial) + ")";
  }
}

std::shared_ptr<const zones::ZoneSet> replace_zone(const zones::ZoneSet& current,
                                                   std::shared_ptr<const zones::Zone> zone) {
  std::vector<std::shared_ptr<const zones::Zone>> served;
  served.reserve(current.zones().size() + 1);
  for (const auto& z : current.zones()) {
    if (!(z->origin() == zone->origin())) served.push_back(z);
  }
  served.push_back(std::move(zone));
  return std::make_shared<const zones::ZoneSet>(std::move(served));
}

void log_zone_outcome(const ZoneOutcome& o, bool quiet) {
  for (const auto& w : o.warnings) log_warn("zone " + o.name + ": " + w.to_string());
  for (const auto& e : o.errors) log_error("zone " + o.name + ": " + e.to_string());
  if (o.awaiting_transfer) {
    log_info("zone " + o.name + ": secondary with no copy in " + o.file + " yet; served after its first transfer");
  } else if (o.loaded) {
    const LogLevel level = quiet ? LogLevel::Debug : LogLevel::Info;
    if (!o.signing_note.empty() && log_enabled(level)) {
      log_message(level, "zone " + o.name + " signed online: " + o.signing_note);
    }
    if (log_enabled(level)) {
      log_message(level, "zone " + o.name + " loaded: serial " + std::to_string(o.serial) + ", " +
                             std::to_string(o.records) + " records from " + o.file);
    }
  } else if (o.unchanged) {
    if (log_enabled(LogLevel::Debug)) {
      log_debug("zone " + o.zone->origin().to_text() + " unchanged: snapshot kept (serial " +
                std::to_string(o.serial) + ")");
    }
  } else if (o.kept_previous) {
    log_error("zone " + o.name + " failed to load; still serving its previous version (serial " +
              std::to_string(o.serial) + ")");
  } else {
    log_error("zone " + o.name + " failed to load; it is not served");
  }
}

void log_zone_outcomes(const ZoneSetBuild& build, std::string_view summary) {
  const bool quiet = build.loaded() > kLoadedLinesAtInfo;
  for (const auto& o : build.outcomes) {
    // Unchanged zones without warnings say nothing unless at debug: no
    // per-zone work on a reload that changed nothing.
    if (o.unchanged && !log_enabled(LogLevel::Debug)) continue;
    log_zone_outcome(o, quiet);
  }
  for (const auto& name : build.removed) {
    const LogLevel level = build.removed.size() > kLoadedLinesAtInfo ? LogLevel::Debug : LogLevel::Info;
    if (log_enabled(level)) log_message(level, "zone " + name + " removed from the configuration; no longer served");
  }
  const std::size_t failed = build.failed();
  std::string line(summary);
  line += ": " + std::to_string(build.zone_set->zones().size()) + " zones served, " +
          std::to_string(build.total_records()) + " records; " + std::to_string(build.loaded()) + " loaded, " +
          std::to_string(build.unchanged()) + " unchanged, " + std::to_string(failed) + " failed";
  if (failed) {
    std::size_t kept = 0;
    for (const auto& o : build.outcomes) kept += o.kept_previous ? 1 : 0;
    line += " (" + std::to_string(kept) + " keep their previous version)";
  }
  if (!build.removed.empty()) line += ", " + std::to_string(build.removed.size()) + " removed";
  line += "; " + format_seconds(build.seconds) + " s on " + std::to_string(build.threads) +
          (build.threads == 1 ? " thread" : " threads");
  log_info(line);
}

}  // namespace flatns::server
