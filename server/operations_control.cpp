// The control channel's commands (server/operations.h).
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <future>

#include "dns/rrtype.h"
#include "flatten/flattener.h"
#include "flatten/service.h"
#include "resolver-client/resolver.h"
#include "server/daemon.h"
#include "server/flatten_cache_file.h"
#include "server/operations.h"
#include "zones/zone.h"

namespace flatns::server {

namespace {

constexpr uint32_t kServiceTimeoutMs = 2000;

std::string iso_time(std::chrono::system_clock::time_point t) {
  if (t.time_since_epoch().count() == 0) return "never";
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

ControlReply failure(std::string message, std::vector<ControlRecord> records = {}) {
  return ControlReply{false, std::move(message), std::move(records)};
}

bool parse_name(const std::string& text, dns::Name& out, std::string& error) {
  const dns::Name root;
  std::string problem;
  if (!dns::Name::from_text(text, &root, out, problem)) {
    error = "'" + text + "' is not a domain name" + (problem.empty() ? "" : ": " + problem);
    return false;
  }
  return true;
}

// The zone a health record's back-off reason names ("... for zone ZONE: ...").
std::string zone_in_reason(const std::string& reason) {
  const std::string marker = "for zone ";
  const auto at = reason.find(marker);
  if (at == std::string::npos) return "-";
  const auto start = at + marker.size();
  const auto end = reason.find(':', start);
  return reason.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// A secondary zone's transfers (server/transfer_secondary.h); "transfer=-"
// for a primary zone.
void add_transfer_state(ControlRecord& record, const std::string& zone, const std::vector<SecondaryState>& states) {
  const auto it = std::find_if(states.begin(), states.end(),
                               [&](const SecondaryState& s) { return s.origin.to_text() == zone; });
  if (it == states.end()) {
    record.push_back(text_field("transfer", "-"));
    return;
  }
  const char* state = it->transferring   ? "transferring"
                      : it->expired      ? "expired"
                      : !it->served      ? "awaiting-first-transfer"
                      : it->last_error.empty() ? "ok"
                                               : "failing";
  record.push_back(text_field("transfer", state));
  record.push_back(number_field("transfer_serial", it->served ? it->serial : 0));
  record.push_back(text_field("last_refresh", it->last_ok
                                                  ? iso_time(std::chrono::system_clock::from_time_t(it->last_ok))
                                                  : "never"));
  record.push_back(number_field("next_refresh_s", static_cast<uint64_t>(it->next_check_s)));
  record.push_back(text_field("transfer_error", it->last_error.empty() ? "-" : it->last_error));
}

}  // namespace

ControlReply Operations::handle(const std::vector<std::string>& words) {
  const std::string& command = words.at(0);
  const std::size_t max_args = command == "status" || command == "upstreams" || command == "stats" ? 1 : 2;
  if (words.size() > max_args) return failure("too many arguments to " + command);
  if (command == "status") return status();
  if (command == "reload") return reload(words);
  if (command == "zone-status") return zone_status(words);
  if (command == "flush") return flush(words);
  if (command == "upstreams") return upstreams();
  if (command == "flatten-status") return flatten_status(words);
  if (command == "stats") return stats();
  return failure("unknown command '" + command +
                 "' (expected status, reload, zone-status, flush, upstreams, flatten-status, stats)");
}

ControlReply Operations::status() {
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  std::size_t served = 0, records = 0, failed = 0;
  ControlRecord r = {text_field("version", daemon_.version_), number_field("uptime_s", static_cast<uint64_t>(uptime)),
                     number_field("workers", daemon_.workers_.size())};
  std::lock_guard lock(mutex_);
  for (const auto& z : zone_records_) {
    if (z.outcome.zone) {
      ++served;
      records += z.served_records;
    }
    if (z.outcome.failed()) ++failed;
  }
  r.push_back(number_field("zones", served));
  r.push_back(number_field("records", records));
  r.push_back(number_field("zones_failed", failed));
  r.push_back(text_field("reload", reloading_ ? "in-progress" : "idle"));
  r.push_back(text_field("last_reload", last_reload_ ? iso_time(last_reload_->when) : "never"));
  r.push_back(text_field("last_reload_result",
                         !last_reload_                ? "none"
                         : !last_reload_->config_ok   ? "failed"
                         : last_reload_->zones_failed ? "zones-failed"
                                                      : "ok"));
  return {true, "", {r}};
}

ControlReply Operations::reload(const std::vector<std::string>& words) {
  std::string zone_name;
  if (words.size() == 2) {
    dns::Name name;
    std::string error;
    if (!parse_name(words[1], name, error)) return failure(error);
    zone_name = name.to_text();
    bool configured = false;
    for (const auto& entry : daemon_.config_.zones) configured |= entry.config.origin == name;
    if (!configured) return failure("zone " + zone_name + " is not in the configuration");
  }
  if (!zone_name.empty()) return reload_one(zone_name);
  daemon_.reload();
  std::lock_guard lock(mutex_);
  const ReloadRecord& last = *last_reload_;
  std::vector<ControlRecord> errors;
  for (const auto& e : last.errors) errors.push_back({text_field("error", e)});
  if (!last.config_ok) {
    return failure("reload failed: " + std::to_string(last.errors.size()) + " error(s) in " + daemon_.config_path_ +
                       "; still serving the previous configuration and zones",
                   std::move(errors));
  }
  if (last.zones_failed) {
    return failure(std::to_string(last.zones_failed) + " zone(s) failed to load; their previous versions are kept",
                   std::move(errors));
  }
  return {true, "", {{text_field("reload", "done"), number_field("zones", zone_records_.size())}}};
}

// `reload ZONE`: that zone alone is read again (as configured now; the
// configuration file is not re-read) and swapped into the served set, the
// way `knotc zone-reload` does; the other zones are not touched.
ControlReply Operations::reload_one(const std::string& zone_name) {
  const ZoneCommandResult result = daemon_.reload_zone(zone_name, /*force=*/true);
  std::lock_guard lock(mutex_);
  for (const auto& z : zone_records_) {
    if (z.outcome.name != zone_name) continue;
    if (!result.ok) {
      std::vector<ControlRecord> zone_errors;
      for (const auto& e : z.outcome.errors) zone_errors.push_back({text_field("error", e.to_string())});
      return failure("zone " + zone_name + " failed to load" +
                         (z.outcome.zone ? "; still serving serial " + std::to_string(z.outcome.serial) : ""),
                     std::move(zone_errors));
    }
    return {true, "", {{text_field("zone", zone_name), number_field("serial", z.outcome.serial),
                        number_field("records", z.served_records)}}};
  }
  return result.ok ? ControlReply{true, result.message, {}} : failure(result.message);
}

ControlReply Operations::zone_status(const std::vector<std::string>& words) {
  std::string only;
  if (words.size() == 2) {
    dns::Name name;
    std::string error;
    if (!parse_name(words[1], name, error)) return failure(error);
    only = name.to_text();
  }
  std::vector<SecondaryState> secondaries;
  if (daemon_.secondaries_) secondaries = daemon_.secondaries_->states();
  ControlReply reply;
  std::lock_guard lock(mutex_);
  for (const auto& z : zone_records_) {
    if (!only.empty() && z.outcome.name != only) continue;
    const auto& o = z.outcome;
    const char* state = o.loaded || o.unchanged ? "loaded"
                        : o.awaiting_transfer ? "awaiting-transfer"
                        : o.zone ? "failed-kept-previous"
                                 : "failed-not-served";
    reply.records.push_back({text_field("zone", o.name), text_field("state", state),
                             number_field("serial", o.zone ? o.serial : 0),
                             number_field("records", o.zone ? z.served_records : 0),
                             text_field("signed", o.zone && o.zone->signed_zone() ? "yes" : "no"),
                             text_field("file", o.file), text_field("loaded_at", iso_time(z.loaded_at)),
                             text_field("last_error", z.last_error.empty() ? "-" : z.last_error)});
    add_transfer_state(reply.records.back(), o.name, secondaries);
  }
  if (!only.empty() && reply.records.empty()) return failure("zone " + only + " is not in the configuration");
  return reply;
}

ControlReply Operations::flush(const std::vector<std::string>& words) {
  dns::Name name;  // the root: everything
  if (words.size() == 2) {
    std::string error;
    if (!parse_name(words[1], name, error)) return failure(error);
  }
  flatten::FlattenService* service = daemon_.flatten_service_.get();
  if (!service) return failure("no flatten service is running");
  auto done = std::make_shared<std::promise<std::pair<std::size_t, std::size_t>>>();
  auto result = done->get_future();
  std::shared_ptr<flatten::FlattenCache> cache = daemon_.flatten_cache_;
  service->post([done, cache, name](flatten::ResolverBackend* backend) {
    const std::size_t flattened = cache->erase_below(name.wire());
    std::size_t resolver_entries = 0;
    if (backend && backend->resolver()) {
      resolver_entries = backend->resolver()->cache().entries();
      backend->resolver()->cache().clear();
    }
    done->set_value({flattened, resolver_entries});
  });
  if (result.wait_for(std::chrono::milliseconds(kServiceTimeoutMs)) != std::future_status::ready) {
    return failure("the flatten service did not answer within " + std::to_string(kServiceTimeoutMs) + " ms");
  }
  const auto [flattened, resolver_entries] = result.get();
  // The resolver's cache is cleared whole, even for one name: its entries
  // (delegations, keys, answers) are not indexed by the name they served.
  return {true, "", {{text_field("flushed", name.to_text()), number_field("flattened_answers", flattened),
                      number_field("resolver_entries", resolver_entries)}}};
}

std::optional<std::vector<UpstreamRow>> Operations::upstream_rows(uint32_t timeout_ms) {
  flatten::FlattenService* service = daemon_.flatten_service_.get();
  if (!service) return std::vector<UpstreamRow>{};
  auto done = std::make_shared<std::promise<std::vector<UpstreamRow>>>();
  auto result = done->get_future();
  service->post([done](flatten::ResolverBackend* backend) {
    std::vector<UpstreamRow> rows;
    if (backend && backend->resolver()) {
      resolver::Resolver& r = *backend->resolver();
      const uint64_t now = r.clock().now_ms();  // the health table's clock
      for (auto& [server, record] : r.health().snapshot()) rows.push_back({server, record, now});
    }
    done->set_value(std::move(rows));
  });
  if (result.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) return std::nullopt;
  return result.get();
}

ControlReply Operations::upstreams() {
  auto rows = upstream_rows(kServiceTimeoutMs);
  if (!rows) return failure("the flatten service did not answer within " + std::to_string(kServiceTimeoutMs) + " ms");
  // The servers to look at first: backed off, then the most bogus answers, then timeouts.
  std::stable_sort(rows->begin(), rows->end(), [](const UpstreamRow& a, const UpstreamRow& b) {
    const bool a_off = a.record.backoff_until_ms > a.now_ms, b_off = b.record.backoff_until_ms > b.now_ms;
    if (a_off != b_off) return a_off;
    if (a.record.bogus != b.record.bogus) return a.record.bogus > b.record.bogus;
    return a.record.timeouts > b.record.timeouts;
  });
  ControlReply reply;
  for (const auto& row : *rows) {
    const auto& r = row.record;
    const bool off = r.backoff_until_ms > row.now_ms;
    reply.records.push_back({text_field("server", row.server), text_field("zone", zone_in_reason(r.backoff_reason)),
                             text_field("state", off ? "backed-off" : "ok"),
                             number_field("backoff_left_s", off ? (r.backoff_until_ms - row.now_ms + 999) / 1000 : 0),
                             decimal_field("rtt_ms", r.measured ? r.srtt_ms : 0), number_field("answers", r.answers),
                             number_field("timeouts", r.timeouts), number_field("bogus", r.bogus),
                             text_field("reason", r.backoff_reason.empty() ? "-" : r.backoff_reason)});
  }
  return reply;
}

ControlReply Operations::flatten_status(const std::vector<std::string>& words) {
  dns::Name below;
  if (words.size() == 2) {
    std::string error;
    if (!parse_name(words[1], below, error)) return failure(error);
  }
  const uint64_t now = flatten::system_time().now_ms();
  const flatten::FlattenerSettings flattening = flattener_settings(daemon_.config_.flatten);
  ControlReply reply;
  daemon_.flatten_cache_->for_each([&](const flatten::CachedAnswer& e) {
    if (!dns::is_subdomain(e.target(), below.wire())) return;
    std::string answer = "none", addresses;
    switch (e.kind) {
      case flatten::AnswerKind::None: break;
      case flatten::AnswerKind::NoData: answer = "nodata"; break;
      case flatten::AnswerKind::NxDomain: answer = "nxdomain"; break;
      case flatten::AnswerKind::Addresses:
        answer = "addresses";
        for (std::size_t i = 0; i < e.address_count; ++i) {
          char text[64];
          inet_ntop(e.address_size == 4 ? AF_INET : AF_INET6, e.addresses[i], text, sizeof text);
          addresses += (addresses.empty() ? "" : ",") + std::string(text);
        }
        break;
    }
    const bool fresh = e.fresh(now);
    const bool stale = !fresh && flatten::stale_usable(flattening, e, now);
    ControlRecord r = {text_field("target", dns::name_to_text(e.target())), text_field("type", dns::type_to_text(e.qtype)),
                       text_field("answer", answer), text_field("addresses", addresses.empty() ? "-" : addresses),
                       text_field("verdict", e.kind == flatten::AnswerKind::None ? "-" : e.secure ? "secure" : "insecure"),
                       number_field("ttl_left_s", fresh ? (e.expires_ms() - now) / 1000 : 0),
                       text_field("state", fresh ? "fresh" : stale ? "stale" : e.kind == flatten::AnswerKind::None ? "failed" : "expired")};
    if (e.failure_fresh(now)) {
      r.push_back(number_field("failure_ede", e.failure_ede));
      r.push_back(text_field("failure", std::string(e.failure())));
    }
    reply.records.push_back(std::move(r));
  });
  std::sort(reply.records.begin(), reply.records.end(),
            [](const ControlRecord& a, const ControlRecord& b) { return a[0].value + a[1].value < b[0].value + b[1].value; });
  return reply;
}

}  // namespace flatns::server
