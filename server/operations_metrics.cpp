// The Prometheus exposition (GET /metrics) and `flatns ctl stats`: the same
// samples, summed over the workers' counters at the moment of the scrape.
#include <algorithm>
#include <cstdio>
#include <map>

#include "dns/rcode.h"
#include "flatten/service.h"
#include "server/daemon.h"
#include "server/operations.h"

namespace flatns::server {

namespace {

// Upstream servers with a label of their own (the most queried); the rest
// are summed under server="other".
constexpr std::size_t kMaxUpstreamLabels = 20;
constexpr uint32_t kScrapeUpstreamTimeoutMs = 500;

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Family {
  std::string name, type, help;
  std::vector<std::pair<Labels, double>> samples;
  Family& add(Labels labels, double value) {
    samples.emplace_back(std::move(labels), value);
    return *this;
  }
};

std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  char text[40];
  if (v == static_cast<double>(static_cast<uint64_t>(v)) && v >= 0 && v < 1e18) {
    std::snprintf(text, sizeof text, "%llu", static_cast<unsigned long long>(v));
  } else {
    std::snprintf(text, sizeof text, "%.6g", v);
  }
  return text;
}

const char* transport_name(std::size_t t) { return t == 0 ? "udp" : "tcp"; }

}  // namespace

namespace {

using Observers = std::vector<std::unique_ptr<QueryObserver>>;

// Queries, responses and RRL, summed over the workers.
void collect_queries(const Observers& observers, std::vector<Family>& out) {
  auto sum = [&](auto&& get) {
    uint64_t total = 0;
    for (const auto& o : observers) total += get(o->stats());
    return static_cast<double>(total);
  };
  Family queries{"flatns_queries_total", "counter", "DNS queries received, by transport and query type", {}};
  Family responses{"flatns_responses_total", "counter", "DNS responses sent, by transport and rcode", {}};
  Family dropped{"flatns_queries_dropped_total", "counter",
                 "queries left unanswered (malformed beyond FORMERR, or QR=1), by transport", {}};
  for (std::size_t t = 0; t < kTransports; ++t) {
    for (std::size_t s = 0; s < kTypeSlots; ++s) {
      queries.add({{"transport", transport_name(t)}, {"qtype", std::string(type_slot_name(s))}},
                  sum([&](const QueryStats& q) { return q.queries[t][s].get(); }));
    }
    for (std::size_t rc = 0; rc < kRcodeSlots; ++rc) {
      const double v = sum([&](const QueryStats& q) { return q.responses[t][rc].get(); });
      // Every transport and the common rcodes always appear (so a rate
      // starts at 0); the rare ones once they happen.
      if (v > 0 || rc <= 5) responses.add({{"transport", transport_name(t)}, {"rcode", dns::rcode_to_text(static_cast<uint16_t>(rc))}}, v);
    }
    dropped.add({{"transport", transport_name(t)}}, sum([&](const QueryStats& q) { return q.dropped[t].get(); }));
  }
  out.push_back(std::move(queries));
  out.push_back(std::move(responses));
  out.push_back(std::move(dropped));
  out.push_back(Family{"flatns_responses_truncated_total", "counter", "UDP responses sent with TC=1", {}}.add(
      {}, sum([](const QueryStats& q) { return q.truncated.get(); })));
  out.push_back(Family{"flatns_rrl_dropped_total", "counter", "UDP responses dropped by response rate limiting", {}}.add(
      {}, sum([](const QueryStats& q) { return q.rrl_dropped.get(); })));
  out.push_back(Family{"flatns_rrl_slipped_total", "counter",
                       "UDP responses sent truncated instead by response rate limiting (slip)", {}}
                    .add({}, sum([](const QueryStats& q) { return q.rrl_slipped.get(); })));

}

// The UDP listener per worker: wake-ups and datagrams per recvmmsg (how well
// the system calls are batched; issue 19).
void collect_udp_batches(const Observers& observers, std::vector<Family>& out) {
  Family wakeups{"flatns_udp_wakeups_total", "counter",
                 "times a worker's UDP socket became readable and woke it, by worker", {}};
  Family batches{"flatns_udp_receive_batch_datagrams", "histogram",
                 "datagrams taken by each recvmmsg of a worker's UDP listener (0: the queue was empty), by worker", {}};
  for (std::size_t w = 0; w < observers.size(); ++w) {
    const QueryStats& q = observers[w]->stats();
    const std::string worker = std::to_string(w);
    wakeups.add({{"worker", worker}}, static_cast<double>(q.udp_wakeups.get()));
    uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kUdpBatchBuckets; ++b) {
      cumulative += q.udp_batches[b].get();
      const std::string le = b + 1 < kUdpBatchBuckets ? number(static_cast<double>(kUdpBatchUpper[b])) : "+Inf";
      batches.add({{"__suffix", "_bucket"}, {"worker", worker}, {"le", le}}, static_cast<double>(cumulative));
    }
    batches.add({{"__suffix", "_sum"}, {"worker", worker}}, static_cast<double>(q.udp_batch_datagrams.get()));
    batches.add({{"__suffix", "_count"}, {"worker", worker}}, static_cast<double>(cumulative));
  }
  out.push_back(std::move(wakeups));
  out.push_back(std::move(batches));
}

// Per zone (sticky labels, then "other") and flattened answers by outcome.
void collect_zones(const Observers& observers, const std::vector<std::string>& slot_names, std::size_t other_slot,
                   std::vector<Family>& out) {
  auto sum = [&](auto&& get) {
    uint64_t total = 0;
    for (const auto& o : observers) total += get(o->stats());
    return static_cast<double>(total);
  };
  Family zone_queries{"flatns_zone_queries_total", "counter",
                      "queries answered from each zone (the first metrics_max_zones zones; the rest as zone=\"other\")", {}};
  Family zone_flattened{"flatns_zone_flattened_total", "counter", "flattened answers per zone (as flatns_zone_queries_total)", {}};
  for (std::size_t slot = 0; slot <= slot_names.size(); ++slot) {
    const std::size_t index = slot < slot_names.size() ? slot : other_slot;
    const std::string name = slot < slot_names.size() ? slot_names[slot] : "other";
    zone_queries.add({{"zone", name}}, sum([&](const QueryStats& q) { return q.zone_queries[index].get(); }));
    zone_flattened.add({{"zone", name}}, sum([&](const QueryStats& q) { return q.zone_flattened[index].get(); }));
  }
  out.push_back(std::move(zone_queries));
  out.push_back(std::move(zone_flattened));

  Family flattened{"flatns_flattened_total", "counter",
                   "flattened A/AAAA answers by outcome: cached (or a local target), resolved (after waiting), stale "
                   "(RFC 8767), servfail",
                   {}};
  for (std::size_t o = 0; o < kFlattenOutcomes; ++o) {
    flattened.add({{"outcome", std::string(flatten_outcome_name(o))}},
                  sum([&](const QueryStats& q) { return q.flattened[o].get(); }));
  }
  out.push_back(std::move(flattened));
  Family servfail{"flatns_flattened_servfail_total", "counter",
                  "flattened answers that were SERVFAIL, by Extended DNS Error code (RFC 8914)", {}};
  for (std::size_t e = 0; e < kEdeSlots; ++e) {
    const double v = sum([&](const QueryStats& q) { return q.flattened_servfail_ede[e].get(); });
    if (v > 0) servfail.add({{"ede", e + 1 < kEdeSlots ? std::to_string(e) : "other"}}, v);
  }
  if (!servfail.samples.empty()) out.push_back(std::move(servfail));

}

// The flatten service: resolutions and their latency histogram.
void collect_service(const flatten::FlattenService& service, std::vector<Family>& out) {
  const auto c = service.counters();
  out.push_back(Family{"flatns_flatten_resolutions_total", "counter",
                       "resolutions of external flattening targets started (prefetches included)", {}}
                    .add({}, static_cast<double>(c.resolutions)));
  out.push_back(Family{"flatns_flatten_coalesced_total", "counter",
                       "requests that joined a resolution already in flight", {}}
                    .add({}, static_cast<double>(c.coalesced)));
  out.push_back(Family{"flatns_flatten_prefetches_total", "counter", "background refreshes of cached answers", {}}
                    .add({}, static_cast<double>(c.prefetches)));
  out.push_back(Family{"flatns_flatten_failures_total", "counter", "resolutions that ended in a failure", {}}
                    .add({}, static_cast<double>(c.failures)));
  const auto latency = service.latency();
  Family histogram{"flatns_flatten_resolution_duration_seconds", "histogram",
                   "time to resolve an external flattening target", {}};
  uint64_t cumulative = 0;
  for (std::size_t b = 0; b < flatten::kResolutionLatencyBuckets; ++b) {
    cumulative += latency.buckets[b];
    const std::string le =
        b < std::size(flatten::kResolutionLatencyBoundsMs) ? number(flatten::kResolutionLatencyBoundsMs[b] / 1000.0) : "+Inf";
    histogram.add({{"__suffix", "_bucket"}, {"le", le}}, static_cast<double>(cumulative));
  }
  histogram.add({{"__suffix", "_sum"}}, latency.sum_ms / 1000.0);
  histogram.add({{"__suffix", "_count"}}, static_cast<double>(cumulative));
  out.push_back(std::move(histogram));
}

// The resolver's upstream servers, the most queried with a label each.
void collect_upstreams(const std::vector<UpstreamRow>& upstream_rows, std::vector<Family>& out) {
  std::vector<const UpstreamRow*> rows;
  for (const auto& r : upstream_rows) rows.push_back(&r);
  std::stable_sort(rows.begin(), rows.end(), [](const UpstreamRow* a, const UpstreamRow* b) {
    return a->record.answers + a->record.timeouts > b->record.answers + b->record.timeouts;
  });
  Family sent{"flatns_upstream_queries_total", "counter",
              "queries the resolver sent to each upstream server (answered or timed out; the most queried "
              "servers, the rest as server=\"other\")", {}};
  Family timeouts{"flatns_upstream_timeouts_total", "counter", "upstream queries that timed out, by server", {}};
  Family bogus{"flatns_upstream_bogus_total", "counter", "upstream answers that failed DNSSEC validation, by server", {}};
  Family backed_off{"flatns_upstream_backed_off", "gauge", "1 while the resolver avoids the server", {}};
  uint64_t other_sent = 0, other_timeouts = 0, other_bogus = 0, other_off = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i]->record;
    const bool off = r.backoff_until_ms > rows[i]->now_ms;
    if (i < kMaxUpstreamLabels) {
      Labels l = {{"server", rows[i]->server}};
      sent.add(l, static_cast<double>(r.answers + r.timeouts));
      timeouts.add(l, static_cast<double>(r.timeouts));
      bogus.add(l, static_cast<double>(r.bogus));
      backed_off.add(l, off ? 1 : 0);
    } else {
      other_sent += r.answers + r.timeouts;
      other_timeouts += r.timeouts;
      other_bogus += r.bogus;
      other_off += off ? 1 : 0;
    }
  }
  if (rows.size() > kMaxUpstreamLabels) {
    sent.add({{"server", "other"}}, static_cast<double>(other_sent));
    timeouts.add({{"server", "other"}}, static_cast<double>(other_timeouts));
    bogus.add({{"server", "other"}}, static_cast<double>(other_bogus));
    backed_off.add({{"server", "other"}}, static_cast<double>(other_off));
  }
  for (Family* f : {&sent, &timeouts, &bogus, &backed_off}) {
    if (!f->samples.empty()) out.push_back(std::move(*f));
  }
}

}  // namespace

std::string Operations::render_metrics() {
  const auto upstreams = upstream_rows(kScrapeUpstreamTimeoutMs);
  std::vector<std::string> names;
  std::size_t served = 0, failed = 0;
  uint64_t reloads = 0, failures = 0;
  {
    std::lock_guard lock(mutex_);
    names = slot_names_;
    for (const auto& z : zone_records_) {
      served += z.outcome.zone ? 1 : 0;
      failed += z.outcome.failed() ? 1 : 0;
    }
    reloads = reloads_;
    failures = reload_failures_;
  }
  const double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::vector<Family> families;
  collect_queries(observers_, families);
  collect_udp_batches(observers_, families);
  collect_zones(observers_, names, max_zone_slots_, families);
  if (daemon_.flatten_service_) collect_service(*daemon_.flatten_service_, families);
  if (upstreams) collect_upstreams(*upstreams, families);
  families.push_back(Family{"flatns_zones_loaded", "gauge", "zones being served", {}}.add({}, static_cast<double>(served)));
  families.push_back(Family{"flatns_zones_failed", "gauge", "configured zones whose last load failed", {}}.add(
      {}, static_cast<double>(failed)));
  families.push_back(Family{"flatns_reloads_total", "counter", "reloads (SIGHUP or flatns ctl reload)", {}}.add(
      {}, static_cast<double>(reloads)));
  families.push_back(Family{"flatns_reload_failures_total", "counter",
                       "reloads with a bad configuration or a zone that failed to load", {}}
                    .add({}, static_cast<double>(failures)));
  if (dnstap_) {
    const auto c = dnstap_->counters();
    families.push_back(Family{"flatns_dnstap_messages_total", "counter", "dnstap messages written", {}}.add(
        {}, static_cast<double>(c.written)));
    families.push_back(Family{"flatns_dnstap_dropped_total", "counter",
                         "dnstap messages dropped (queue full or message too large); answers never wait", {}}
                      .add({}, static_cast<double>(c.dropped)));
  }
  families.push_back(Family{"flatns_uptime_seconds", "gauge", "seconds since flatns started", {}}.add({}, uptime));

  std::string out;
  out.reserve(16384);
  for (const auto& f : families) {
    out += "# HELP " + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.type + "\n";
    for (const auto& [labels, value] : f.samples) {
      std::string name = f.name;
      std::string label_text;
      for (const auto& [k, v] : labels) {
        if (k == "__suffix") {
          name += v;
          continue;
        }
        label_text += (label_text.empty() ? "" : ",") + k + "=\"" + label_value(v) + "\"";
      }
      out += name + (label_text.empty() ? "" : "{" + label_text + "}") + " " + number(value) + "\n";
    }
  }
  return out;
}

ControlReply Operations::stats() {
  // The same samples as the endpoint, one record each.
  const std::string text = render_metrics();
  ControlReply reply;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    ControlRecord r;
    const auto brace = line.find('{');
    const auto space = line.rfind(' ');
    r.push_back(text_field("metric", line.substr(0, std::min(brace, space))));
    if (brace != std::string::npos) {
      // label="value" pairs; values here never hold '"' (names, codes).
      std::size_t at = brace + 1;
      while (at < line.size() && line[at] != '}') {
        const auto eq = line.find('=', at);
        const auto close = line.find('"', eq + 2);
        r.push_back(text_field(line.substr(at, eq - at), line.substr(eq + 2, close - eq - 2)));
        at = close + 1;
        if (at < line.size() && line[at] == ',') ++at;
      }
    }
    r.push_back({"value", line.substr(space + 1), true});
    reply.records.push_back(std::move(r));
  }
  return reply;
}

}  // namespace flatns::server
