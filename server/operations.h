// What an operator sees of a running daemon (issue 17), kept apart from the
// daemon's life cycle in server/daemon.cpp:
//  - the control channel (server/control_channel.h): status, reload [ZONE],
//    zone-status [ZONE], flush [NAME], upstreams, flatten-status [NAME],
//    stats, each a thin dispatch onto what the daemon already has
//    (server/operations_control.cpp);
//  - the Prometheus endpoint (server/metrics_http.h), rendered from the
//    workers' counters summed at scrape time (server/operations_metrics.cpp);
//  - dnstap (server/dnstap_log.h);
//  - systemd's readiness protocol (sd_notify: READY, RELOADING, STOPPING),
//    a no-op when NOTIFY_SOCKET is not set.
// Everything runs on the daemon's main loop except the HTTP thread, which
// only reads counters and the few fields guarded by `mutex_`.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver-client/server_health.h"
#include "server/control_channel.h"
#include "server/daemon_zones.h"
#include "server/dnstap_log.h"
#include "server/metrics_http.h"
#include "server/query_observer.h"

namespace flatns::server {

class Daemon;

struct ReloadRecord {
  std::chrono::system_clock::time_point when{};
  bool config_ok = true;
  std::vector<std::string> errors;  // config errors, or zone errors with file:line
  std::size_t zones_failed = 0;
};

struct ZoneRecord {
  ZoneOutcome outcome;  // the last load attempt
  std::size_t served_records = 0;                     // records of what is served
  std::chrono::system_clock::time_point loaded_at{};  // when what is served was loaded
  std::string last_error;                             // of the last failed attempt
};

// A copy of one upstream's health record, taken on the flatten service thread.
struct UpstreamRow {
  std::string server;
  resolver::ServerRecord record;
  uint64_t now_ms = 0;  // the resolver clock when copied (back-off time left)
};

class Operations {
 public:
  explicit Operations(Daemon& daemon);
  ~Operations();

  // Before the workers exist: the observer each worker is given (null when
  // neither metrics, nor the control socket, nor dnstap is configured).
  [[nodiscard]] QueryObserver* observer(unsigned worker) {
    return worker < observers_.size() ? observers_[worker].get() : nullptr;
  }
  // What the embedded resolver reports its upstream traffic to (dnstap's
  // RESOLVER_* messages); null when dnstap is off or `resolver: false`.
  [[nodiscard]] std::shared_ptr<resolver::TrafficObserver> resolver_traffic() const;
  // The metric slots of a new zone-set snapshot (first seen, first served).
  [[nodiscard]] std::shared_ptr<const ZoneSlots> zone_slots(const zones::ZoneSet& zone_set);

  // Binds the control socket and the metrics address, opens dnstap.
  [[nodiscard]] bool start(std::string& error);
  void notify_ready();
  // Closes the control socket and the HTTP server (SIGTERM).
  void stop_listening();
  // After the workers are gone: writes out dnstap.
  void stop();

  // The daemon reports every load and reload here.
  void zones_loaded(const ZoneSetBuild& build);
  void reload_started();
  void reload_failed(const std::vector<std::string>& errors);
  void reload_done(const ZoneSetBuild& build);
  // One zone reloaded alone (Daemon::reload_zone): its record and the last reload.
  void zone_reloaded(const ZoneOutcome& outcome);

 private:
  ControlReply handle(const std::vector<std::string>& words);
  ControlReply status();
  ControlReply reload(const std::vector<std::string>& words);
  ControlReply reload_one(const std::string& zone_name);
  ControlReply zone_status(const std::vector<std::string>& words);
  ControlReply flush(const std::vector<std::string>& words);
  ControlReply upstreams();
  ControlReply flatten_status(const std::vector<std::string>& words);
  ControlReply stats();
  [[nodiscard]] std::optional<std::vector<UpstreamRow>> upstream_rows(uint32_t timeout_ms);
  [[nodiscard]] std::string render_metrics();
  // Caller holds mutex_.
  static void apply_outcome(ZoneRecord& record, const ZoneOutcome& outcome, const std::string& name,
                            std::chrono::system_clock::time_point now);

  Daemon& daemon_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<QueryObserver>> observers_;
  std::shared_ptr<DnstapLog> dnstap_;  // shared with the resolver's transport (resolver_traffic())
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<MetricsHttp> metrics_;
  std::size_t max_zone_slots_;

  std::mutex mutex_;  // the fields below: main loop writes, HTTP thread reads
  std::vector<std::string> slot_names_;  // zone label per slot (sticky)
  std::unordered_map<std::string, std::size_t> slot_of_;
  std::vector<ZoneRecord> zone_records_;  // the configured zones, in config order
  std::optional<ReloadRecord> last_reload_;
  uint64_t reloads_ = 0, reload_failures_ = 0;
  bool reloading_ = false;
};

}  // namespace flatns::server
