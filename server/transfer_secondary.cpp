#include "server/transfer_secondary.h"

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <random>
#include <unordered_map>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "server/log.h"
#include "zones/zone.h"

namespace flatns::server {
namespace {

// Refresh, retry and expire from SOA RDATA as stored (uncompressed).
void soa_timers(std::span<const uint8_t> rdata, uint32_t& refresh, uint32_t& retry, uint32_t& expire) {
  uint32_t serial;
  if (!transfer::soa_serial(rdata, serial)) return;
  const auto numbers = dns::soa_numbers(rdata);  // present: soa_serial checked the size
  // Bounded like BIND's min/max-refresh-time and min/max-retry-time.
  refresh = std::clamp<uint32_t>(numbers->refresh, 60, 2419200);
  retry = std::clamp<uint32_t>(numbers->retry, 10, 1209600);
  expire = std::max<uint32_t>(numbers->expire, 1);
}

int64_t unix_now() { return static_cast<int64_t>(std::time(nullptr)); }

// "refreshed at N" from the header write_zone_file gave the file; 0 if none.
int64_t refreshed_at(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  for (int i = 0; i < 4 && std::getline(in, line); ++i) {
    const auto at = line.find("refreshed at ");
    if (line.rfind(";", 0) == 0 && at != std::string::npos) return std::atoll(line.c_str() + at + 13);
  }
  return 0;
}

}  // namespace

SecondaryService::SecondaryService(std::function<void()> zone_written) : zone_written_(std::move(zone_written)) {
  limits_.cancel = &cancel_;
  thread_ = std::thread([this] { run(); });
}

SecondaryService::~SecondaryService() { stop(); }

void SecondaryService::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cancel_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SecondaryService::Clock::duration SecondaryService::jittered(uint32_t seconds) {
  static thread_local std::mt19937 random{std::random_device{}()};
  const auto full = std::chrono::milliseconds(uint64_t{seconds} * 1000);
  std::uniform_int_distribution<int64_t> off(0, full.count() / 10);
  return full - std::chrono::milliseconds(off(random));
}

void SecondaryService::configure(const Config& config, const zones::ZoneSet& served) {
  static thread_local std::mt19937 random{std::random_device{}()};
  std::vector<Zone> next;
  {
    std::lock_guard lock(mutex_);
    // By origin: thousands of catalog members are matched in linear time.
    std::unordered_map<dns::Name, const Zone*, dns::NameHash> before;
    before.reserve(zones_.size());
    for (const auto& old : zones_) before.emplace(old.origin, &old);
    for (const auto& entry : config.zones) {
      if (entry.transfer.primaries.empty()) continue;
      Zone z;
      z.origin = entry.config.origin;
      z.file = entry.config.file;
      z.limits = limits_;
      z.limits.sizes.max_bytes = config.transfer.max_incoming_size;
      z.limits.sizes.max_records = config.transfer.max_incoming_records;
      z.limits.max_time_s = config.transfer.incoming_timeout_s;
      for (const auto& p : entry.transfer.primaries) {
        PrimaryServer primary{p.address, std::nullopt};
        for (const auto& k : config.keys) {
          if (p.key && k.name == *p.key) primary.key = k;
        }
        z.primaries.push_back(std::move(primary));
      }
      if (const auto zone = served.find_exact(z.origin)) {
        z.served = true;
        z.serial = zone->serial();
        z.snapshot = zone;
        zone->records(*zone->rrset(zone->apex(), dns::rrtype::SOA))
            .for_each([&](std::span<const uint8_t> rdata) { soa_timers(rdata, z.refresh_s, z.retry_s, z.expire_s); });
        z.last_ok = refreshed_at(z.file);
        if (z.last_ok == 0) z.last_ok = unix_now();  // a file written by hand: counts from now
      }
      // A zone known before keeps its schedule; a new one is checked within a second.
      std::uniform_int_distribution<int> spread(0, 1000);
      z.next = Clock::now() + std::chrono::milliseconds(spread(random));
      if (auto known = before.find(z.origin); known != before.end()) {
        const Zone& old = *known->second;
        // A zone that lost its copy (a catalog member reset) is fetched at once.
        if (!(old.served && !z.served)) z.next = old.next;
        z.busy = old.busy;
        if (old.last_ok > z.last_ok) z.last_ok = old.last_ok;
        z.expired = old.expired;
        z.last_error = old.last_error;
      }
      next.push_back(std::move(z));
    }
    zones_ = std::move(next);
  }
  wake_.notify_all();
}

void SecondaryService::notified(const dns::Name& origin) {
  {
    std::lock_guard lock(mutex_);
    for (auto& z : zones_) {
      if (z.origin == origin) z.next = Clock::now();
    }
  }
  wake_.notify_all();
}

std::vector<dns::Name> SecondaryService::expired() const {
  std::lock_guard lock(mutex_);
  std::vector<dns::Name> out;
  for (const auto& z : zones_) {
    if (z.expired) out.push_back(z.origin);
  }
  return out;
}

std::vector<SecondaryState> SecondaryService::states() const {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  std::vector<SecondaryState> out;
  for (const auto& z : zones_) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(z.next - now).count();
    out.push_back({z.origin, z.served, z.busy, z.expired, z.serial, z.last_ok, left > 0 ? left : 0, z.last_error});
  }
  return out;
}

bool SecondaryService::expire_due(Clock::time_point& soonest) {
  bool changed = false;
  const int64_t now = unix_now();
  for (auto& z : zones_) {
    if (!z.served || z.expired || z.last_ok == 0) continue;
    const int64_t at = z.last_ok + z.expire_s;
    if (now >= at) {
      z.expired = true;
      changed = true;
      log_warn("secondary " + z.origin.to_text() + ": expired (no primary reached for " + std::to_string(z.expire_s) +
               " s, the SOA expire time); answering SERVFAIL until a refresh succeeds");
    } else {
      soonest = std::min(soonest, Clock::now() + std::chrono::seconds(at - now));
    }
  }
  return changed;
}

void SecondaryService::run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    Zone* due = nullptr;
    Clock::time_point soonest = Clock::now() + std::chrono::hours(1);
    if (expire_due(soonest)) {
      lock.unlock();
      zone_written_();  // the daemon republishes with the expired zone answering SERVFAIL
      lock.lock();
      continue;
    }
    for (auto& z : zones_) {
      if (z.busy) continue;
      if (z.next <= Clock::now()) {
        due = &z;
        break;
      }
      soonest = std::min(soonest, z.next);
    }
    if (!due) {
      wake_.wait_until(lock, soonest);
      continue;
    }
    due->busy = true;
    Zone copy = *due;
    lock.unlock();
    refresh(copy);
    lock.lock();
    bool revived = false;
    for (auto& z : zones_) {
      if (z.origin == copy.origin) {
        z.busy = false;
        // A NOTIFY during the refresh asked for another one (z.next moved up).
        if (z.next <= copy.next) z.next = copy.next;
        if (copy.served) {
          z.served = true;
          z.serial = copy.serial;
        }
        if (copy.last_ok > z.last_ok) z.last_ok = copy.last_ok;
        z.last_error = copy.last_error;
        if (z.expired && !copy.expired) {
          z.expired = false;
          revived = true;
        }
      }
    }
    if (revived) {
      log_info("secondary " + copy.origin.to_text() + ": refreshed, answering again");
      lock.unlock();
      zone_written_();
      lock.lock();
    }
  }
}

bool SecondaryService::fetch(Zone& zone, const PrimaryServer& primary, std::vector<dns::ResourceRecord>& records,
                             uint32_t& serial, std::string& how) {
  const std::string name = zone.origin.to_text();
  const std::string from = primary.address.to_string();
  std::string error;
  if (zone.served && zone.snapshot && zone.snapshot->serial() == zone.serial) {
    switch (ixfr_zone(primary, *zone.snapshot, zone.limits, records, serial, error)) {
      case IxfrOutcome::Incremental: how = "IXFR (incremental)"; return true;
      case IxfrOutcome::Whole: how = "IXFR (whole zone)"; return true;
      case IxfrOutcome::UpToDate:
        error = "answered with serial " + std::to_string(serial) + " alone";
        break;
      case IxfrOutcome::Failed: break;
    }
    log_warn("secondary " + name + ": IXFR from " + from + " failed: " + error + "; trying AXFR");
  }
  records.clear();
  if (!transfer_zone(primary, zone.origin, zone.limits, records, serial, error)) {
    log_warn("secondary " + name + ": AXFR from " + from + " failed: " + error +
             (zone.served ? "; still serving serial " + std::to_string(zone.serial) : ""));
    zone.last_error = "AXFR from " + from + ": " + error;
    return false;
  }
  how = "AXFR";
  return true;
}

void SecondaryService::refresh(Zone& zone) {
  const std::string name = zone.origin.to_text();
  for (const auto& primary : zone.primaries) {
    const std::string from = primary.address.to_string();
    uint32_t serial = 0;
    std::string error;
    auto current = [&](uint32_t primary_serial) {
      log_info("secondary " + name + ": serial " + std::to_string(zone.serial) + " is current (primary " + from +
               " has " + std::to_string(primary_serial) + ")");
      zone.next = Clock::now() + jittered(zone.refresh_s);
      zone.last_ok = unix_now();
      zone.expired = false;
      zone.last_error.clear();
    };
    // Some primaries answer a zone only by transfer (Knot REFUSES queries
    // for a catalog zone it generates): without an SOA answer, the transfer
    // itself tells the serial.
    const bool soa_answered = query_primary_serial(primary, zone.origin, zone.limits, serial, error);
    if (!soa_answered) {
      log_warn("secondary " + name + ": SOA from primary " + from + ": " + error + "; asking it for a transfer");
      zone.last_error = "SOA from primary " + from + ": " + error;
    }
    if (soa_answered && zone.served && !transfer::serial_after(serial, zone.serial)) {
      current(serial);
      return;
    }
    std::vector<dns::ResourceRecord> records;
    uint32_t received = 0;
    const auto started = Clock::now();
    std::string how;
    if (!fetch(zone, primary, records, received, how)) continue;
    if (!soa_answered && zone.served && received == zone.serial) {
      current(received);
      return;
    }
    if (zone.served && !transfer::serial_after(received, zone.serial)) {
      log_warn("secondary " + name + ": " + how + " from " + from + " brought serial " + std::to_string(received) +
               ", not newer than " + std::to_string(zone.serial) + " (RFC 1982); ignored");
      zone.last_error = how + " from " + from + " brought serial " + std::to_string(received) + ", not newer";
      continue;
    }
    const std::vector<std::string> header = {
        "secondary zone " + name + " transferred by flatns from " + from,
        "serial " + std::to_string(received) + ", refreshed at " + std::to_string(std::time(nullptr)),
    };
    if (!transfer::write_zone_file(zone.file, zone.origin, records, header, error)) {
      log_error("secondary " + name + ": cannot write the transferred zone: " + error);
      zone.last_error = "cannot write " + zone.file + ": " + error;
      continue;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    log_info("secondary " + name + ": serial " + std::to_string(received) + " by " + how + " from " + from + ", " +
             std::to_string(records.size()) + " records in " + std::to_string(ms) + " ms, written to " + zone.file);
    zone.served = true;
    zone.serial = received;
    soa_timers(records.front().rdata, zone.refresh_s, zone.retry_s, zone.expire_s);
    zone.last_ok = unix_now();
    zone.expired = false;
    zone.last_error.clear();
    zone.next = Clock::now() + jittered(zone.refresh_s);
    zone_written_();
    return;
  }
  zone.next = Clock::now() + jittered(zone.retry_s);
  log_warn("secondary " + name + ": no primary answered; next try in about " + std::to_string(zone.retry_s) + " s");
}

}  // namespace flatns::server
