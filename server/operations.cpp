#include "server/operations.h"

#include <sys/resource.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <unordered_map>

#include "server/daemon.h"
#include "server/log.h"
#include "zones/zone.h"

namespace flatns::server {

Operations::Operations(Daemon& daemon)
    : daemon_(daemon), max_zone_slots_(daemon.config_.server.ops.metrics_max_zones) {
  const OpsSettings& ops = daemon.config_.server.ops;
  const unsigned workers = daemon.config_.server.workers;
  if (ops.dnstap.sink != DnstapSettings::Sink::Off) {
    dnstap_ = std::make_shared<DnstapLog>(ops.dnstap, workers, daemon.config_.server.nsid, "flatns " + daemon.version_);
  }
  // Nobody can read the counters without the endpoint or the control
  // socket: then the packet path does not count at all.
  const bool counted = ops.metrics || !ops.control.empty() || dnstap_;
  for (unsigned i = 0; counted && i < workers; ++i) {
    observers_.push_back(std::make_unique<QueryObserver>(i, max_zone_slots_ + 1, dnstap_.get()));
  }
}

Operations::~Operations() { stop(); }

std::shared_ptr<resolver::TrafficObserver> Operations::resolver_traffic() const {
  if (!dnstap_ || !daemon_.config_.server.ops.dnstap.resolver) return nullptr;
  return dnstap_;
}

std::shared_ptr<const ZoneSlots> Operations::zone_slots(const zones::ZoneSet& zone_set) {
  auto slots = std::make_shared<ZoneSlots>();
  slots->other = max_zone_slots_;
  std::lock_guard lock(mutex_);
  // Slots are handed out in config order, once: a label never changes meaning.
  for (const auto& entry : daemon_.config_.zones) {
    const auto zone = zone_set.find_exact(entry.config.origin);
    if (!zone) continue;
    const std::string name = zone->origin().to_text();
    auto it = slot_of_.find(name);
    std::size_t slot = max_zone_slots_;
    if (it != slot_of_.end()) {
      slot = it->second;
    } else if (slot_names_.size() < max_zone_slots_) {
      slot = slot_names_.size();
      slot_names_.push_back(name);
      slot_of_.emplace(name, slot);
    }
    slots->by_zone.emplace_back(zone.get(), slot);
  }
  std::sort(slots->by_zone.begin(), slots->by_zone.end());
  return slots;
}

bool Operations::start(std::string& error) {
  const OpsSettings& ops = daemon_.config_.server.ops;
  if (dnstap_ && !dnstap_->start(error)) return false;
  if (!ops.control.empty()) {
    control_ = std::make_unique<ControlServer>(&daemon_.loop_,
                                               [this](const std::vector<std::string>& words) { return handle(words); });
    if (!control_->open(ops.control, error)) return false;
    log_info("control socket " + ops.control + " (flatns ctl)");
  }
  if (ops.metrics) {
    // Room for the HTTP connections beside the DNS ones (tcp_connections_possible).
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
      rlimit raised = limit;
      raised.rlim_cur = std::min<rlim_t>(limit.rlim_cur + MetricsHttp::kMaxConnections + 16, limit.rlim_max);
      setrlimit(RLIMIT_NOFILE, &raised);
    }
    metrics_ = std::make_unique<MetricsHttp>([this] { return render_metrics(); });
    if (!metrics_->start(*ops.metrics, error)) return false;
    log_info("metrics on http://" + ops.metrics->to_string() + "/metrics");
  }
  return true;
}

void Operations::notify_ready() { sd_notify(0, "READY=1\nSTATUS=serving"); }

void Operations::stop_listening() {
  sd_notify(0, "STOPPING=1");
  if (control_) control_->close();
  if (metrics_) metrics_->stop();
}

void Operations::stop() {
  if (metrics_) metrics_->stop();
  if (dnstap_) dnstap_->stop();
}

void Operations::apply_outcome(ZoneRecord& record, const ZoneOutcome& outcome, const std::string& name,
                               std::chrono::system_clock::time_point now) {
  std::string file = outcome.file.empty() ? std::move(record.outcome.file) : outcome.file;
  record.outcome = outcome;
  record.outcome.name = name;
  record.outcome.file = std::move(file);
  if (outcome.loaded) {
    record.loaded_at = now;
    record.served_records = outcome.records;
    record.last_error.clear();
  } else if (!outcome.errors.empty()) {
    record.last_error = outcome.errors.front().to_string();
  }
}

void Operations::zone_reloaded(const ZoneOutcome& outcome) {
  const auto now = std::chrono::system_clock::now();
  const std::string name = outcome.name.empty() && outcome.zone ? outcome.zone->origin().to_text() : outcome.name;
  ReloadRecord reload{now, true, {}, outcome.failed() ? std::size_t{1} : 0};
  for (const auto& e : outcome.errors) reload.errors.push_back("zone " + name + ": " + e.to_string());
  std::lock_guard lock(mutex_);
  for (auto& record : zone_records_) {
    if (record.outcome.name == name) apply_outcome(record, outcome, name, now);
  }
  ++reloads_;
  if (reload.zones_failed) ++reload_failures_;
  last_reload_ = std::move(reload);
}

void Operations::zones_loaded(const ZoneSetBuild& build) {
  const auto now = std::chrono::system_clock::now();
  std::lock_guard lock(mutex_);
  // By name, not by scanning: 100,000 zones reload in well under a second.
  std::unordered_map<std::string, std::size_t> before;
  before.reserve(zone_records_.size());
  for (std::size_t i = 0; i < zone_records_.size(); ++i) before.emplace(zone_records_[i].outcome.name, i);
  std::vector<ZoneRecord> next;
  next.reserve(build.outcomes.size());
  for (const auto& outcome : build.outcomes) {
    ZoneRecord record;
    // An unchanged zone's outcome carries no name (server/daemon_zones.h).
    const std::string name = outcome.name.empty() && outcome.zone ? outcome.zone->origin().to_text() : outcome.name;
    if (auto it = before.find(name); it != before.end()) record = std::move(zone_records_[it->second]);
    apply_outcome(record, outcome, name, now);
    next.push_back(std::move(record));
  }
  zone_records_ = std::move(next);
}

void Operations::reload_started() {
  sd_notify(0, "RELOADING=1");
  std::lock_guard lock(mutex_);
  reloading_ = true;
}

void Operations::reload_failed(const std::vector<std::string>& errors) {
  {
    std::lock_guard lock(mutex_);
    reloading_ = false;
    ++reloads_;
    ++reload_failures_;
    last_reload_ = ReloadRecord{std::chrono::system_clock::now(), false, errors, 0};
  }
  sd_notify(0, "READY=1\nSTATUS=serving; the last reload failed");
}

void Operations::reload_done(const ZoneSetBuild& build) {
  zones_loaded(build);
  ReloadRecord record{std::chrono::system_clock::now(), true, {}, build.failed()};
  for (const auto& outcome : build.outcomes) {
    for (const auto& e : outcome.errors) record.errors.push_back("zone " + outcome.name + ": " + e.to_string());
  }
  {
    std::lock_guard lock(mutex_);
    reloading_ = false;
    ++reloads_;
    if (record.zones_failed) ++reload_failures_;
    last_reload_ = std::move(record);
  }
  sd_notify(0, "READY=1\nSTATUS=serving");
}

}  // namespace flatns::server
