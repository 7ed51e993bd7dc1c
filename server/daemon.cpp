#include "server/daemon.h"

#include <future>

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <ctime>

#include "flatten/flattener.h"
#include "server/daemon_zones.h"
#include "server/transfer_glue.h"
#include "server/listener_socket.h"
#include "server/log.h"
#include "server/operations.h"
#include "server/resolve_cli.h"
#include "zones/zone.h"

namespace flatns::server {

void log_config_errors(const std::vector<ConfigError>& errors, std::string_view context) {
  for (const auto& e : errors) log_error(std::string(context) + e.to_string());
}

namespace {

// Descriptors kept for everything but TCP clients: sockets, zone files,
// the log, libuv's own.
constexpr rlim_t kReservedDescriptors = 64;

// Each TCP connection is a file descriptor. Raises the soft RLIMIT_NOFILE
// as far as needed (NSD and Knot do the same) and returns how many TCP
// connections each worker can really hold: when the hard limit is too low,
// a lower per-worker limit keeps "close the oldest idle connection" working
// instead of accept() failing with EMFILE and new clients being turned away.
uint32_t tcp_connections_possible(const ServerSettings& server) {
  const rlim_t listeners = 2 * static_cast<rlim_t>(server.workers) * server.listen.size();
  const rlim_t wanted = static_cast<rlim_t>(server.tcp_max_connections) * server.workers + listeners +
                        kReservedDescriptors;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return server.tcp_max_connections;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= wanted) return server.tcp_max_connections;
  const rlim_t per_worker =
      limit.rlim_cur > kReservedDescriptors + listeners
          ? (limit.rlim_cur - kReservedDescriptors - listeners) / server.workers
          : 1;
  const auto possible = static_cast<uint32_t>(std::max<rlim_t>(1, per_worker));
  log_warn("server.tcp_max_connections: " + std::to_string(server.tcp_max_connections) + " per worker needs " +
           std::to_string(wanted) + " file descriptors but the limit (RLIMIT_NOFILE) is " +
           std::to_string(limit.rlim_cur) + "; each worker holds at most " + std::to_string(possible) +
           " TCP connections");
  return possible;
}

// Loading many zones leaves freed parse buffers, the YAML tree and the old
// snapshots in malloc's free lists; give those pages back so that RSS shows
// what is served (glibc keeps them otherwise).
void release_free_memory() { malloc_trim(0); }

}  // namespace

Daemon::Daemon(std::string config_path, std::string version)
    : config_path_(std::move(config_path)), version_(std::move(version)) {}

Daemon::~Daemon() = default;

std::shared_ptr<const WorkerState> Daemon::make_state(std::shared_ptr<const zones::ZoneSet> zones) const {
  auto state = std::make_shared<WorkerState>();
  state->zones = std::move(zones);
  state->nsid = config_.server.nsid;
  state->flatten = std::make_shared<flatten::Flattener>(flattener_settings(config_.flatten), flatten_cache_);
  state->flatten_deadline_ms = config_.flatten.deadline_ms;
  state->tcp_idle_timeout_ms = config_.server.tcp_idle_timeout_ms;
  state->tcp_max_connections = std::min(config_.server.tcp_max_connections, tcp_connections_possible(config_.server));
  state->rrl = config_.server.rrl;
  state->transfer =
      make_transfer_policy(config_, *state->zones, secondaries_ ? secondaries_->expired() : std::vector<dns::Name>{},
                           &journals_, expanded_.get());
  state->notify_target = secondaries_.get();
  if (ops_) state->zone_slots = ops_->zone_slots(*state->zones);
  return state;
}

namespace {

// The resolver's lines already say "resolver: " (flatns resolve prints them as they are).
void log_from_resolver(LogLevel level, std::string_view text) { log_message(level, text); }

// The settings the configuration sets (the limits and the log hook are not).
bool same_resolver(const resolver::ResolverSettings& a, const resolver::ResolverSettings& b) {
  return a.mode == b.mode && a.root_hints == b.root_hints && a.forwarders == b.forwarders &&
         a.trust_anchors_file == b.trust_anchors_file && a.validate == b.validate &&
         a.cache_max_bytes == b.cache_max_bytes && a.qname_minimisation == b.qname_minimisation &&
         a.zones == b.zones && a.private_addresses == b.private_addresses &&
         a.private_domains == b.private_domains && a.do_not_query == b.do_not_query &&
         a.insecure_domains == b.insecure_domains &&
         a.nat64 == b.nat64 && a.nat64_prefix == b.nat64_prefix &&
         a.aggressive_nsec == b.aggressive_nsec &&
         a.harden_unverified_glue == b.harden_unverified_glue;
}

}  // namespace

// One flatten service (a thread with the embedded resolver) and one
// flattened-answer cache for the daemon's whole life: reloads keep them warm.
bool Daemon::start_flatten_service() {
  flatten_cache_ = std::make_shared<flatten::FlattenCache>(config_.flatten.cache_entries);
  flatten::ServiceSettings settings;
  settings.workers = config_.server.workers;
  settings.deadline_ms = config_.flatten.deadline_ms;
  settings.failure_ttl_s = config_.flatten.failure_ttl_s;
  flatten_service_ = std::make_unique<flatten::FlattenService>(
      settings, flatten_cache_, [](std::string_view line) { log_warn(line); });
  resolver::ResolverSettings resolver_settings = config_.resolver;
  resolver_settings.log = log_from_resolver;
  resolver_settings.traffic = ops_->resolver_traffic();
  std::string error;
  const bool started = flatten_service_->start(
      [&](uv_loop_t* loop, std::string& e) { return flatten::make_resolver_backend(loop, resolver_settings, e); },
      error);
  if (!started) {
    log_error("not started: resolver: " + error);
    flatten_service_.reset();
    return false;
  }
  return true;
}

void Daemon::warn_restart_needed(const Config& next) const {
  if (next.flatten.cache_entries != config_.flatten.cache_entries) {
    log_warn("reload: flatten.cache_entries changed; restart flatns to apply it");
  }
  if (next.flatten.max_pending != config_.flatten.max_pending) {
    log_warn("reload: flatten.max_pending changed; restart flatns to apply it");
  }
}

// A changed resolver section rebuilds the resolver on the service thread
// (its own caches start empty; flattened answers already cached stay).
void Daemon::apply_resolver_change(const Config& next) {
  if (same_resolver(next.resolver, config_.resolver)) return;
  log_info("reload: the resolver section changed; rebuilding the resolver (its caches start empty, "
           "cached flattened answers stay)");
  resolver::ResolverSettings settings = next.resolver;
  settings.log = log_from_resolver;
  settings.traffic = ops_->resolver_traffic();  // server.dnstap changes need a restart
  flatten_service_->replace_backend([settings](uv_loop_t* loop, std::string& error) {
    return flatten::make_resolver_backend(loop, settings, error);
  });
}

bool Daemon::start() {
  std::vector<ConfigError> errors;
  if (!load_config_file(config_path_, config_, errors)) {
    log_config_errors(errors, "");
    log_error("not started: " + std::to_string(errors.size()) + " error(s) in " + config_path_);
    return false;
  }
  catalogs_.expand(config_);
  set_log_level(config_.server.log_level);
  log_info("flatns " + version_ + " starting with " + config_path_);

  // Before the flatten service: its resolver reports to dnstap.
  ops_ = std::make_unique<Operations>(*this);
  if (!start_flatten_service()) return false;
  if (const int rc = uv_async_init(&loop_, &zones_written_,
                                    [](uv_async_t* async) { static_cast<Daemon*>(async->data)->reload_zones(); });
      rc != 0) {
    log_error(std::string("not started: cannot make the zone-transfer wake-up handle: ") + uv_strerror(rc));
    return false;
  }
  zones_written_.data = this;
  zones_written_open_ = true;
  secondaries_ = std::make_unique<SecondaryService>([this] {
    if (const int rc = uv_async_send(&zones_written_); rc != 0) {
      log_warn(std::string("a transferred zone is not served until the next reload: cannot wake the main loop: ") +
               uv_strerror(rc));
    }
  });
  ZoneSetBuild build = build_zone_set(config_, nullptr);
  build.zone_set = follow_catalogs(catalogs_, config_, build.zone_set);
  log_zone_outcomes(build, "zones loaded");
  ops_->zones_loaded(build);
  release_free_memory();
  // Before any worker runs: the saved answers are there for the first query.
  cache_file_ = std::make_unique<FlattenCacheFile>(&loop_, flatten_cache_);
  // On the flatten service's thread: it is the cache's one writer (a debug
  // build aborts on a second), and it waits for requests until we listen.
  auto loaded = std::make_shared<std::promise<void>>();
  flatten_service_->post([loaded, zones = build.zone_set, file = cache_file_.get(),
                          config = &config_](flatten::ResolverBackend*) {
    file->load(*config, *zones);
    loaded->set_value();
  });
  loaded->get_future().wait();
  journals_.update(config_, nullptr, *build.zone_set);  // the IXFR histories saved beside the zones
  expanded_ = std::make_unique<ExpandedZones>(flatten_service_.get());
  const auto first_views = update_expanded_views(*build.zone_set);
  state_ = make_state(build.zone_set);
  signed_zones_.update(config_, *state_->zones, ::time(nullptr));
  start_expand_timer();
  uv_timer_init(&loop_, &resign_timer_);
  resign_timer_.data = this;
  arm_resign_timer();

  for (const auto& address : config_.server.listen) {
    for (Transport t : {Transport::Udp, Transport::Tcp}) {
      std::string error;
      if (!check_address_free(address, t, error)) {
        log_error("not started: cannot listen: " + error);
        return false;
      }
    }
  }
  for (unsigned i = 0; i < config_.server.workers; ++i) {
    auto worker =
        std::make_unique<Worker>(i, state_, flatten_service_.get(), config_.flatten.max_pending, ops_->observer(i));
    std::string error;
    if (!worker->bind(config_.server.listen, error)) {
      log_error("not started: cannot listen: " + error);
      return false;
    }
    workers_.push_back(std::move(worker));
  }
  if (std::string error; !ops_->start(error)) {
    log_error("not started: " + error);
    return false;
  }
  for (auto& worker : workers_) {
    std::string error;
    if (!worker->start(error)) {
      log_error("not started: " + error);
      return false;
    }
  }
  for (const auto& address : config_.server.listen) {
    log_info("listening on " + address.to_string() + " (UDP and TCP, " + std::to_string(workers_.size()) +
             " workers)");
  }
  log_info("serving " + std::to_string(build.outcomes.size() - build.failed()) + " zones, " +
           std::to_string(build.total_records()) + " records" +
           (build.failed() ? "; " + std::to_string(build.failed()) + " zones failed to load" : ""));
  notifier_ = std::make_unique<NotifySender>(&loop_);
  notifier_->zones_loaded(config_, *state_->zones);
  notify_expanded(first_views);
  secondaries_->configure(config_, *state_->zones);
  cache_file_->configure(config_);
  started_ = true;
  ops_->notify_ready();
  return true;
}

void Daemon::reload() {
  log_info("SIGHUP: reloading " + config_path_);
  ops_->reload_started();
  Config next;
  std::vector<ConfigError> errors;
  if (!load_config_file(config_path_, next, errors)) {
    log_config_errors(errors, "reload: ");
    std::vector<std::string> texts;
    for (const auto& e : errors) texts.push_back(e.to_string());
    ops_->reload_failed(texts);
    log_error("reload aborted: " + std::to_string(errors.size()) +
              " error(s) in the configuration; still serving the previous configuration and zones");
    return;
  }
  if (!(next.server.listen == config_.server.listen)) {
    log_warn("reload: server.listen changed; restart flatns to apply it (the old addresses stay in use)");
    next.server.listen = config_.server.listen;
  }
  if (next.server.workers != config_.server.workers) {
    log_warn("reload: server.workers changed from " + std::to_string(config_.server.workers) + " to " +
             std::to_string(next.server.workers) + "; restart flatns to apply it");
    next.server.workers = config_.server.workers;
  }
  warn_restart_needed(next);
  apply_resolver_change(next);
  next.flatten.cache_entries = config_.flatten.cache_entries;
  next.flatten.max_pending = config_.flatten.max_pending;
  catalogs_.expand(next);
  config_ = std::move(next);
  set_log_level(config_.server.log_level);
  flatten_service_->set_deadline_ms(config_.flatten.deadline_ms);
  flatten_service_->set_failure_ttl_s(config_.flatten.failure_ttl_s);
  cache_file_->configure(config_);

  ZoneSetBuild build = build_zone_set(config_, state_->zones.get());
  build.zone_set = follow_catalogs(catalogs_, config_, build.zone_set);
  publish_zones(build.zone_set);
  log_zone_outcomes(build, "reload done");
  ops_->reload_done(build);
  release_free_memory();
}

void Daemon::publish_zones(std::shared_ptr<const zones::ZoneSet> zones) {
  journals_.update(config_, state_ ? state_->zones.get() : nullptr, *zones);
  const auto views = update_expanded_views(*zones);
  state_ = make_state(std::move(zones));
  signed_zones_.update(config_, *state_->zones, ::time(nullptr));
  arm_resign_timer();
  for (auto& worker : workers_) worker->publish(state_);
  if (notifier_) notifier_->zones_loaded(config_, *state_->zones);
  notify_expanded(views);
  if (secondaries_) secondaries_->configure(config_, *state_->zones);
}

const ZoneEntry* Daemon::zone_entry(std::string_view name, dns::Name& origin, std::string& error) const {
  dns::Name root;
  if (name.empty() || !dns::Name::from_text(name, &root, origin, error)) {
    error = "'" + std::string(name) + "' is not a domain name" + (error.empty() ? "" : ": " + error);
    return nullptr;
  }
  for (const auto& entry : config_.zones) {
    if (entry.config.origin == origin) return &entry;
  }
  error = "zone " + origin.to_text() + " is not in the configuration (" + config_path_ + ")";
  return nullptr;
}

namespace {

std::string outcome_message(const ZoneOutcome& o) {
  if (o.loaded) {
    return "zone " + o.name + " loaded: serial " + std::to_string(o.serial) + ", " + std::to_string(o.records) +
           " records from " + o.file;
  }
  if (o.unchanged) return "zone " + o.zone->origin().to_text() + " unchanged: serial " + std::to_string(o.serial);
  if (o.awaiting_transfer) return "zone " + o.name + ": secondary with no copy in " + o.file + " yet";
  std::string text;
  for (const auto& e : o.errors) text += "zone " + o.name + ": " + e.to_string() + "\n";
  return text + "zone " + o.name + " failed to load" +
         (o.kept_previous ? "; still serving its previous version (serial " + std::to_string(o.serial) + ")"
                          : "; it is not served");
}

}  // namespace

ZoneCommandResult Daemon::reload_zone(std::string_view name, bool force) {
  dns::Name origin;
  std::string error;
  const ZoneEntry* entry = zone_entry(name, origin, error);
  if (!entry) return {false, error};
  ZoneOutcome outcome = load_zone_entry(*entry, state_->zones.get(), force);
  log_zone_outcome(outcome, false);
  if (outcome.loaded) publish_zones(replace_zone(*state_->zones, outcome.zone));
  if (ops_) ops_->zone_reloaded(outcome);
  return {outcome.loaded || outcome.unchanged, outcome_message(outcome)};
}

ZoneCommandResult Daemon::check_zone(std::string_view name) const {
  dns::Name origin;
  std::string error;
  const ZoneEntry* entry = zone_entry(name, origin, error);
  if (!entry) return {false, error};
  ZoneOutcome outcome = load_zone_entry(*entry, nullptr, true);
  if (!outcome.loaded) return {false, outcome_message(outcome)};
  return {true, "zone " + outcome.name + " OK: serial " + std::to_string(outcome.serial) + ", " +
                    std::to_string(outcome.records) + " records in " + outcome.file};
}

// A secondary zone's file was replaced (server/transfer_secondary.h): every
// zone is loaded again as on SIGHUP, the config stays as it is.
void Daemon::reload_zones() {
  if (stopping_) return;
  // Only the transferred zone's file changed: the others are kept unread.
  ZoneSetBuild build = build_zone_set(config_, state_->zones.get());
  build.zone_set = follow_catalogs(catalogs_, config_, build.zone_set);
  publish_zones(build.zone_set);
  log_zone_outcomes(build, "zones reloaded after a transfer");
  ops_->zones_loaded(build);
}

// Everything that answers or writes stops taking new work; the loop then
// runs until their handles are closed.
void Daemon::stop_services() {
  if (ops_) ops_->stop_listening();
  for (auto& worker : workers_) worker->stop();
  if (notifier_) notifier_->stop();
  if (secondaries_) secondaries_->stop();
  if (cache_file_) cache_file_->stop();
  if (zones_written_open_) {
    zones_written_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&zones_written_), nullptr);
  }
}

void Daemon::shutdown(int signum) {
  if (stopping_) return;
  stopping_ = true;
  log_info(std::string(signum == SIGINT ? "SIGINT" : "SIGTERM") +
           ": stopping; answering what is in flight");
  stop_services();
  for (uv_signal_t* s : {&sighup_, &sigterm_, &sigint_}) {
    uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&resign_timer_), nullptr);
  if (expand_timer_.loop) uv_close(reinterpret_cast<uv_handle_t*>(&expand_timer_), nullptr);
}

void Daemon::on_resign_timer(uv_timer_t* timer) {
  auto* self = static_cast<Daemon*>(timer->data);
  if (self->stopping_) return;
  auto zones = self->signed_zones_.resign_due(*self->state_->zones, ::time(nullptr));
  if (zones) {
    self->publish_zones(std::move(zones));  // re-arms the timer
  } else {
    self->arm_resign_timer();
  }
}

// One shot at the next pass due (a key event, a refresh), at most a pass
// interval ahead; re-armed after each pass and each new zone set.
void Daemon::arm_resign_timer() {
  if (!resign_timer_.loop || stopping_) return;
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  const int64_t now_ms = static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  uv_timer_start(&resign_timer_, on_resign_timer, signed_zones_.delay_ms(now_ms), 0);
}

void Daemon::on_signal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Daemon*>(handle->data);
  if (signum == SIGHUP) {
    self->reload();
  } else {
    self->shutdown(signum);
  }
}

// Watches SIGHUP, SIGTERM and SIGINT on the main loop; false (logged) when
// libuv refuses. `opened` counts the handles initialised, which must be
// closed whatever happens.
bool Daemon::watch_signals(int& opened) {
  const int signals[] = {SIGHUP, SIGTERM, SIGINT};
  const char* names[] = {"SIGHUP", "SIGTERM", "SIGINT"};
  uv_signal_t* handles[] = {&sighup_, &sigterm_, &sigint_};
  for (int i = 0; i < 3; ++i) {
    int rc = uv_signal_init(&loop_, handles[i]);
    if (rc == 0) {
      ++opened;
      handles[i]->data = this;
      rc = uv_signal_start(handles[i], on_signal, signals[i]);
    }
    if (rc != 0) {
      log_error(std::string("not started: cannot watch ") + names[i] + ": " + uv_strerror(rc));
      return false;
    }
  }
  return true;
}

int Daemon::run() {
  // A client closing its TCP connection while we write must not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  if (const int rc = uv_loop_init(&loop_); rc != 0) {
    log_error(std::string("not started: cannot make the main event loop: ") + uv_strerror(rc));
    return 1;
  }
  int opened = 0;
  int status = 0;
  if (watch_signals(opened) && start()) {
    (void)uv_run(&loop_, UV_RUN_DEFAULT);
  } else {
    status = 1;
    uv_signal_t* handles[] = {&sighup_, &sigterm_, &sigint_};
    for (int i = 0; i < opened; ++i) uv_close(reinterpret_cast<uv_handle_t*>(handles[i]), nullptr);
    if (resign_timer_.loop) uv_close(reinterpret_cast<uv_handle_t*>(&resign_timer_), nullptr);
    if (expand_timer_.loop) uv_close(reinterpret_cast<uv_handle_t*>(&expand_timer_), nullptr);
    stop_services();
    (void)uv_run(&loop_, UV_RUN_DEFAULT);
  }
  for (auto& worker : workers_) worker->join();
  workers_.clear();
  if (flatten_service_) flatten_service_->stop();
  // Every resolution has ended or been abandoned: the last word of the cache.
  // A start that failed half-way saves nothing (it would overwrite the file
  // with less than it holds).
  if (started_ && cache_file_) cache_file_->save();
  if (ops_) ops_->stop();
  if (const int rc = uv_loop_close(&loop_); rc != 0) {
    log_warn(std::string("the main event loop did not close: ") + uv_strerror(rc));
  }
  if (status == 0) log_info("stopped");
  return status;
}

}  // namespace flatns::server
