// The daemon's life cycle (`flatns serve`):
//   start   load the config (any error: exit 1), load every zone (a zone that
//           fails is logged and left out), bind every listen address in every
//           worker (any failure: exit 1), start the workers;
//   SIGHUP  reload the config and the zones that changed (server/daemon_zones.h:
//           a zone whose entry and files are as before keeps its snapshot
//           object, unread). A config with errors changes nothing; a zone
//           that fails keeps its previous snapshot. The new
//           zone set is posted to each worker, which swaps it between packets.
//           server.listen and server.workers need a restart (logged as such);
//           nsid, log_level, the TCP limits and the flatten section apply at
//           once, except flatten.cache_entries and flatten.max_pending
//           (logged: they need a restart). The flatten service and the
//           flattened-answer cache survive the reload (they stay warm); the
//           resolver keeps its caches too unless the resolver section
//           changed: then it is rebuilt on the service thread with the new
//           settings and the resolutions in flight restart on it (trust
//           anchors that fail to load keep the old resolver, logged);
//           flatten.cache_file and cache_save_s apply at once (the cache
//           itself is kept);
//   SIGTERM, SIGINT  stop accepting, finish writing answers already made,
//           save the flattened answers to flatten.cache_file when it is set
//           (server/flatten_cache_file.h; loaded at start before the
//           listeners open), exit 0.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flatten/answer_cache.h"
#include "flatten/service.h"
#include "server/config.h"
#include "server/daemon_catalogs.h"
#include "server/daemon_signing.h"
#include "server/flatten_cache_file.h"
#include "server/transfer_glue.h"
#include "server/transfer_expand.h"
#include "server/transfer_notify.h"
#include "server/transfer_secondary.h"
#include "server/worker.h"
#include "server/worker_state.h"

namespace flatns::server {

// What a command on one zone did, for the operator (`flatns ctl`): `message`
// is one line per problem (file:line) and a last line saying what is served.
struct ZoneCommandResult {
  bool ok = false;
  std::string message;
};
class Operations;

class Daemon {
 public:
  Daemon(std::string config_path, std::string version);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until SIGTERM or SIGINT; returns the process exit status.
  [[nodiscard]] int run();

  // Reloads the zone `name` (as configured) alone, the others untouched:
  // re-read when its files changed (or always with `force`), then served; a
  // zone that fails keeps its previous version (ok false, errors in the
  // message). Call it on the daemon's loop thread (where SIGHUP runs).
  ZoneCommandResult reload_zone(std::string_view name, bool force = false);
  // Parses the zone `name`'s file as configured and reports, serving nothing new.
  [[nodiscard]] ZoneCommandResult check_zone(std::string_view name) const;

 private:
  friend class Operations;  // the control channel, metrics and dnstap (server/operations.h)
  [[nodiscard]] bool start();
  void reload();
  // Makes `zones` the set every worker answers from (swapped between packets).
  void publish_zones(std::shared_ptr<const zones::ZoneSet> zones);
  [[nodiscard]] const ZoneEntry* zone_entry(std::string_view name, dns::Name& origin, std::string& error) const;
  void shutdown(int signum);
  void stop_services();
  static void on_signal(uv_signal_t* handle, int signum);
  [[nodiscard]] bool watch_signals(int& opened);
  [[nodiscard]] std::shared_ptr<const WorkerState> make_state(std::shared_ptr<const zones::ZoneSet> zones) const;
  [[nodiscard]] bool start_flatten_service();
  void warn_restart_needed(const Config& next) const;
  void apply_resolver_change(const Config& next);

  std::string config_path_;
  std::string version_;
  Config config_;
  std::shared_ptr<const WorkerState> state_;
  std::shared_ptr<flatten::FlattenCache> flatten_cache_;
  std::unique_ptr<flatten::FlattenService> flatten_service_;  // outlives the workers
  std::unique_ptr<Operations> ops_;                           // outlives the workers too
  std::unique_ptr<FlattenCacheFile> cache_file_;              // flatten.cache_file
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<NotifySender> notifier_;  // NOTIFY to each zone's secondaries
  ZoneJournals journals_;  // IXFR history of each zone others transfer
  std::unique_ptr<SecondaryService> secondaries_;  // refreshes zones with primaries:
  CatalogZones catalogs_;  // catalog zones' entries in config_ (server/daemon_catalogs.h)
  uv_async_t zones_written_{};  // a secondary zone's file was replaced: reload zones
  bool zones_written_open_ = false;
  void reload_zones();
  uv_loop_t loop_{};
  uv_signal_t sighup_{}, sigterm_{}, sigint_{};
  SignedZones signed_zones_;
  uv_timer_t resign_timer_{};
  void arm_resign_timer();
  static void on_resign_timer(uv_timer_t* timer);
  // The expanded views of outgoing transfers (server/daemon_expand.cpp).
  std::unique_ptr<ExpandedZones> expanded_;
  uv_timer_t expand_timer_{};
  [[nodiscard]] std::vector<std::shared_ptr<const zones::Zone>> update_expanded_views(const zones::ZoneSet& zones);
  void notify_expanded(const std::vector<std::shared_ptr<const zones::Zone>>& changed);
  void start_expand_timer();
  static void on_expand_timer(uv_timer_t* timer);
  bool stopping_ = false;
  bool started_ = false;  // start() finished: the cache file may be saved
};

// Logs every config error (file:line: key: message).
void log_config_errors(const std::vector<ConfigError>& errors, std::string_view context);

}  // namespace flatns::server
