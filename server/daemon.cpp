#include "server/daemon.h"

#include <sys/resource.h>

#include <algorithm>
#include <csignal>

#include "flatten/flattener.h"
#include "server/daemon_zones.h"
#include "server/listener_socket.h"
#include "server/log.h"
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

}  // namespace

std::shared_ptr<const WorkerState> Daemon::make_state(std::shared_ptr<const zones::ZoneSet> zones) const {
  auto state = std::make_shared<WorkerState>();
  state->zones = std::move(zones);
  state->nsid = config_.server.nsid;
  flatten::Settings flatten_settings;
  flatten_settings.max_ttl = config_.flatten.max_ttl;
  flatten_settings.min_ttl = config_.flatten.min_ttl;
  flatten_settings.serve_stale = config_.flatten.serve_stale;
  flatten_settings.stale_max_s = config_.flatten.stale_max_s;
  state->flatten = std::make_shared<flatten::Flattener>(flatten_settings, flatten_cache_);
  state->flatten_deadline_ms = config_.flatten.deadline_ms;
  state->tcp_idle_timeout_ms = config_.server.tcp_idle_timeout_ms;
  state->tcp_max_connections = std::min(config_.server.tcp_max_connections, tcp_connections_possible(config_.server));
  state->rrl = config_.server.rrl;
  return state;
}

namespace {

// The resolver's lines already say "resolver: " (flatns resolve prints them as they are).
void log_from_resolver(resolver::LogLevel level, std::string_view text) {
  const std::string line(text);
  switch (level) {
    case resolver::LogLevel::Debug: log_debug(line); break;
    case resolver::LogLevel::Info: log_info(line); break;
    case resolver::LogLevel::Warning: log_warn(line); break;
    case resolver::LogLevel::Error: log_error(line); break;
  }
}

bool same_resolver(const ResolverSettings& a, const ResolverSettings& b) {
  return a.mode == b.mode && a.root_hints == b.root_hints && a.forwarders == b.forwarders &&
         a.trust_anchors == b.trust_anchors && a.dnssec_validate == b.dnssec_validate &&
         a.cache_size == b.cache_size && a.qname_minimisation == b.qname_minimisation;
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
  resolver::ResolverSettings resolver_settings = to_resolver_settings(config_.resolver);
  resolver_settings.log = log_from_resolver;
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
  resolver::ResolverSettings settings = to_resolver_settings(next.resolver);
  settings.log = log_from_resolver;
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
  set_log_level(config_.server.log_level);
  log_info("flatns " + version_ + " starting with " + config_path_);

  if (!start_flatten_service()) return false;
  ZoneSetBuild build = build_zone_set(config_, nullptr);
  log_zone_outcomes(build);
  signed_zones_.update(config_, build);
  state_ = make_state(build.zone_set);
  uv_timer_init(&loop_, &resign_timer_);
  resign_timer_.data = this;
  const uint64_t pass_ms = signed_zones_.pass_interval() * 1000;
  uv_timer_start(&resign_timer_, on_resign_timer, pass_ms, pass_ms);

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
    auto worker = std::make_unique<Worker>(i, state_, flatten_service_.get(), config_.flatten.max_pending);
    std::string error;
    if (!worker->bind(config_.server.listen, error)) {
      log_error("not started: cannot listen: " + error);
      return false;
    }
    workers_.push_back(std::move(worker));
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
  return true;
}

void Daemon::reload() {
  log_info("SIGHUP: reloading " + config_path_);
  Config next;
  std::vector<ConfigError> errors;
  if (!load_config_file(config_path_, next, errors)) {
    log_config_errors(errors, "reload: ");
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
  config_ = std::move(next);
  set_log_level(config_.server.log_level);
  flatten_service_->set_deadline_ms(config_.flatten.deadline_ms);
  flatten_service_->set_failure_ttl_s(config_.flatten.failure_ttl_s);

  ZoneSetBuild build = build_zone_set(config_, state_->zones.get());
  log_zone_outcomes(build);
  signed_zones_.update(config_, build);
  for (const auto& old : state_->zones->zones()) {
    bool still_configured = false;
    for (const auto& entry : config_.zones) still_configured |= entry.config.origin == old->origin();
    if (!still_configured) log_info("zone " + old->origin().to_text() + " removed from the configuration; no longer served");
  }
  state_ = make_state(build.zone_set);
  for (auto& worker : workers_) worker->publish(state_);
  log_info("reload done: " + std::to_string(build.zone_set->zones().size()) + " zones served" +
           (build.failed() ? ", " + std::to_string(build.failed()) + " failed to load" : ""));
}

void Daemon::shutdown(int signum) {
  if (stopping_) return;
  stopping_ = true;
  log_info(std::string(signum == SIGINT ? "SIGINT" : "SIGTERM") +
           ": stopping; answering what is in flight");
  for (auto& worker : workers_) worker->stop();
  for (uv_signal_t* s : {&sighup_, &sigterm_, &sigint_}) {
    uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&resign_timer_), nullptr);
}

void Daemon::on_resign_timer(uv_timer_t* timer) {
  auto* self = static_cast<Daemon*>(timer->data);
  if (self->stopping_) return;
  auto zones = self->signed_zones_.resign_due(*self->state_->zones, ::time(nullptr));
  if (!zones) return;
  self->state_ = self->make_state(std::move(zones));
  for (auto& worker : self->workers_) worker->publish(self->state_);
}

void Daemon::on_signal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Daemon*>(handle->data);
  if (signum == SIGHUP) {
    self->reload();
  } else {
    self->shutdown(signum);
  }
}

int Daemon::run() {
  // A client closing its TCP connection while we write must not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  uv_loop_init(&loop_);
  int signals[] = {SIGHUP, SIGTERM, SIGINT};
  uv_signal_t* handles[] = {&sighup_, &sigterm_, &sigint_};
  for (int i = 0; i < 3; ++i) {
    uv_signal_init(&loop_, handles[i]);
    handles[i]->data = this;
    uv_signal_start(handles[i], on_signal, signals[i]);
  }
  int status = 0;
  if (start()) {
    uv_run(&loop_, UV_RUN_DEFAULT);
  } else {
    status = 1;
    for (auto* h : handles) uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
    if (resign_timer_.loop) uv_close(reinterpret_cast<uv_handle_t*>(&resign_timer_), nullptr);
    for (auto& worker : workers_) worker->stop();
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  for (auto& worker : workers_) worker->join();
  workers_.clear();
  if (flatten_service_) flatten_service_->stop();
  uv_loop_close(&loop_);
  if (status == 0) log_info("stopped");
  return status;
}

}  // namespace flatns::server
