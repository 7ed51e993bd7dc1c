// Unbound options of the scenarios, mapped to our resolver settings or
// classified (see replay_config.h).
#include "tests/replay/replay_config.h"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dns/address_prefix.h"
#include "dns/dnssec.h"
#include "dns/rrtype.h"
#include "flatten/defaults.h"

namespace flatns::replay {

namespace {

// Options that cannot change what the harness compares (rcode, AD, the
// answer section, EDE), with the reason.
const std::map<std::string, const char*>& ignored_options() {
  static const std::map<std::string, const char*> m = {
      {"target-fetch-policy", "only which NS addresses are fetched ahead; the answer is the same"},
      {"fake-sha1", "Unbound's test switch that skips SHA-1/DSA crypto; we verify it (accept_dsa)"},
      {"trust-anchor-signaling", "RFC 8145 key-tag queries upstream; answers unchanged"},
      {"minimal-responses", "shapes authority/additional, which the harness does not compare"},
      {"rrset-roundrobin", "record order; answers are compared as sets"},
      {"access-control", "client access rules; the harness has no client"},
      {"log-servfail", "logging"},
      {"log-queries", "logging"},
      {"log-replies", "logging"},
      {"verbosity", "logging"},
      {"val-log-level", "logging"},
      {"stub-prime", "we never prime a stub; the root stub is our root hints"},
      {"directory", "file locations"},
      {"chroot", "file locations"},
      {"use-syslog", "logging"},
      {"num-threads", "one loop here"},
      {"num-queries-per-thread",
       "Unbound's client query slots; flatns bounds parked queries in the flatten layer "
       "(flatten.max_pending), the resolver takes every query"},
      {"outbound-msg-retry",
       "tries per upstream query; ours are fixed (differences.txt lists where a scenario counts them)"},
      {"msg-cache-slabs",
       "Unbound splits its message cache into slabs, each an LRU of its share; ours is one LRU (as with 1 slab)"},
      {"harden-referral-path",
       "Unbound's extra NS RRset validation on the referral path; answers are compared as they come"},
      {"ede", "compared when the scenario sets it: EDE codes are then checked"},
      {"prefetch-key", "keys are fetched again when they expire rather than ahead of it; the answers are the same"},
      {"harden-unknown-additional", "scrubs unknown types from the additional section, which the harness does not compare"},
  };
  return m;
}

// Options whose value equals what our resolver does anyway.
bool value_is_our_behaviour(const std::string& key, const std::string& v) {
  static const std::map<std::string, std::string> same = {
      {"harden-referral-path", "no"},      {"harden-glue", "yes"},
      {"harden-dnssec-stripped", "yes"},
      {"harden-algo-downgrade", "no"},     {"harden-unknown-additional", "no"},
      {"do-not-query-localhost", "no"},    {"prefetch", "no"},
      {"serve-expired", "no"},
      // 0: Unbound never drops a request that waits long; ours are answered by flatten.deadline_ms
      {"discard-timeout", "0"},
      {"tcp-upstream", "no"},              {"do-ip4", "yes"},
      {"do-ip6", "yes"},
      {"qname-minimisation-strict", "no"}, {"prefetch-key", "no"},
  };
  // "local-zone: NAME nodefault" turns off Unbound's built-in blocking zone
  // for NAME: names are resolved as usual, which is all we do.
  if (key == "local-zone" && v.size() > 10 && v.compare(v.size() - 10, 10, " nodefault") == 0) return true;
  auto it = same.find(key);
  return it != same.end() && it->second == v;
}

// Option values that are not our behaviour and are not built (the scenario
// is skipped), with why: our fixed behaviour is the other value.
const char* not_built_reason(const std::string& key, const std::string& v) {
  static const std::map<std::pair<std::string, std::string>, const char*> m = {
      {{"harden-glue", "no"},
       "flatns always drops out-of-bailiwick glue (RFC 2181 §5.4.1; harden-glue: yes is mapped)"},
      {{"discard-timeout", "86400"},
       "Unbound's limit on how long a client's reply may take (86400: no limit); flatns has "
       "none in the resolver, flatten.deadline_ms bounds a flattened answer. Run anyway, "
       "iter_ghost_timewindow fails at STEP 120 (its ns.example.com. A query is not sent)"},
  };
  auto it = m.find({key, v});
  return it == m.end() ? nullptr : it->second;
}

bool parse_date(const std::string& text, int64_t& out) {
  if (text.size() != 14) return false;
  std::tm tm{};
  try {
    tm.tm_year = std::stoi(text.substr(0, 4)) - 1900;
    tm.tm_mon = std::stoi(text.substr(4, 2)) - 1;
    tm.tm_mday = std::stoi(text.substr(6, 2));
    tm.tm_hour = std::stoi(text.substr(8, 2));
    tm.tm_min = std::stoi(text.substr(10, 2));
    tm.tm_sec = std::stoi(text.substr(12, 2));
  } catch (const std::exception&) {
    return false;
  }
  out = static_cast<int64_t>(timegm(&tm));
  return true;
}

// `val-override-date: -1` turns Unbound's signature date checks off. Ours
// stay on, with the clock at a moment inside every RRSIG validity window the
// scenario holds (the latest inception): the same verdicts, as long as the
// windows overlap. False when they do not (or there is no RRSIG).
bool date_inside_every_signature(const Scenario& s, int64_t& out) {
  int64_t latest_inception = 0, earliest_expiration = INT64_MAX;
  bool any = false;
  auto scan = [&](const dns::Message& m) {
    for (const auto* section : {&m.answer, &m.authority, &m.additional}) {
      for (const auto& rr : *section) {
        dns::RrsigRdata sig;
        if (rr.type != dns::rrtype::RRSIG || !dns::parse_rrsig(rr.rdata, sig)) continue;
        any = true;
        latest_inception = std::max<int64_t>(latest_inception, sig.inception);
        earliest_expiration = std::min<int64_t>(earliest_expiration, sig.expiration);
      }
    }
  };
  for (const auto& r : s.ranges) {
    for (const auto& e : r.entries) scan(e.message);
  }
  for (const auto& st : s.steps) {
    if (st.entry) scan(st.entry->message);
  }
  if (!any || latest_inception > earliest_expiration) return false;
  out = latest_inception;
  return true;
}

// `val-nsec3-keysize-iterations`: "150" (Unbound 1.19.1 on), or pairs of key
// size and limit ("1024 100 2048 200"). Our limit does not depend on the key
// size: the smallest limit given (that of the smallest keys) applies to all.
bool nsec3_iteration_limit(const std::string& value, uint16_t& out) {
  std::vector<unsigned long> numbers;
  std::size_t at = 0;
  while (at < value.size()) {
    const std::size_t end = value.find(' ', at);
    const std::string word = value.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? value.size() : end + 1;
    if (word.empty()) continue;
    try {
      numbers.push_back(std::stoul(word));
    } catch (const std::exception&) {
      return false;
    }
  }
  if (numbers.empty() || (numbers.size() > 1 && numbers.size() % 2 != 0)) return false;
  unsigned long limit = numbers.size() == 1 ? numbers.front() : UINT16_MAX;
  for (std::size_t i = 1; numbers.size() > 1 && i < numbers.size(); i += 2) {
    limit = std::min(limit, numbers[i]);
  }
  if (limit > UINT16_MAX) return false;
  out = static_cast<uint16_t>(limit);
  return true;
}

bool parse_name(const std::string& text, dns::Name& out) {
  try {
    out = dns::Name::parse(!text.empty() && text.back() == '.' ? text : text + ".");
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

bool parse_addr(const std::string& text, dns::ServerAddress& a) {
  std::string t = text;
  if (auto at = t.find('@'); at != std::string::npos) {
    const std::string port = t.substr(at + 1);
    t = t.substr(0, at);
    t = t.find(':') != std::string::npos ? "[" + t + "]:" + port : t + ":" + port;
  }
  std::string error;
  return dns::ServerAddress::parse(t, 53, a, error);
}

}  // namespace

bool map_config(const Scenario& s, ReplayConfig& out, std::string& skip) {
  out = ReplayConfig{};
  out.settings.qname_minimisation = true;  // Unbound's default too
  // Unbound validates DSA (its default build); the scenarios are DSA-signed.
  out.settings.accept_dsa = true;
  // Zones of stub-zone / forward-zone blocks, by (section, block).
  std::map<std::pair<std::string, int>, std::string> zone_of;
  for (const auto& o : s.config) {
    if (o.key == "name") zone_of[{o.section, o.block}] = o.value;
  }
  // Stub and forward zones below the root become ResolverSettings::zones,
  // by block; those of the root are the root hints / forwarders.
  std::map<std::pair<std::string, int>, std::size_t> zone_index;
  // A forward zone for the root is kept there too when it needs what only
  // a configured zone has (forward-first, forward-no-cache, forward-tcp-upstream).
  std::set<std::pair<std::string, int>> root_as_zone;
  for (const auto& o : s.config) {
    if (o.section == "forward-zone" &&
        (o.key == "forward-first" || o.key == "forward-no-cache" || o.key == "forward-tcp-upstream") &&
        o.value == "yes") {
      root_as_zone.insert({o.section, o.block});
    }
  }
  for (const auto& [key, name] : zone_of) {
    if ((name == "." || name.empty()) && root_as_zone.count(key) == 0) continue;
    resolver::ConfiguredZone z;
    try {
      z.zone = dns::Name::parse(name.back() == '.' ? name : name + ".");
    } catch (const std::exception&) {
      skip = key.first + " name: " + name;
      return false;
    }
    z.forward = key.first == "forward-zone";
    zone_index[key] = out.settings.zones.size();
    out.settings.zones.push_back(std::move(z));
  }
  auto unsupported = [&](const ConfigOption& o) {
    skip = (o.section == "server" ? "" : o.section + " ") + o.key + ": " + o.value;
    if (const char* why = not_built_reason(o.key, o.value)) skip += " -- " + std::string(why);
    return false;
  };
  for (const auto& o : s.config) {
    const std::string& k = o.key;
    if (o.section == "server") {
      if (k == "trust-anchor") {
        out.settings.trust_anchors_text += o.value + "\n";
      } else if (k == "val-override-date") {
        int64_t t = 0;
        if (o.value == "-1" ? !date_inside_every_signature(s, t) : !parse_date(o.value, t)) {
          return unsupported(o);
        }
        out.wall_seconds = t;
      } else if (k == "qname-minimisation") {
        out.settings.qname_minimisation = o.value == "yes";
      } else if (k == "aggressive-nsec" && (o.value == "yes" || o.value == "no")) {
        out.settings.aggressive_nsec = o.value == "yes";  // absent: yes, Unbound's default too
      } else if (k == "module-config") {
        if (o.value == "iterator") {
          out.settings.validate = false;
        } else if (o.value != "validator iterator") {
          return unsupported(o);
        }
      } else if (k == "val-max-restart") {
        // Unbound's re-fetches from other servers after a bogus answer:
        // our limits.bogus_retries.
        try {
          out.settings.limits.bogus_retries = static_cast<unsigned>(std::stoul(o.value));
        } catch (const std::exception&) {
          return unsupported(o);
        }
      } else if (k == "max-query-restarts") {
        // Unbound restarts the query once per CNAME (or DNAME) it follows:
        // our limits.max_cname_chain counts the same links.
        try {
          out.settings.limits.max_cname_chain = static_cast<unsigned>(std::stoul(o.value));
        } catch (const std::exception&) {
          return unsupported(o);
        }
      } else if (k == "val-nsec3-keysize-iterations") {
        if (!nsec3_iteration_limit(o.value, out.settings.limits.max_nsec3_iterations)) {
          return unsupported(o);
        }
      } else if (k == "msg-cache-size") {
        // Unbound's answer cache: our cache budget (resolver.cache_size),
        // which also holds RRsets, keys and DS; least recently used entries
        // go first in both, and an entry larger than the budget is not kept.
        std::size_t unit_at = 0;
        unsigned long n = 0;
        try {
          n = std::stoul(o.value, &unit_at);
        } catch (const std::exception&) {
          return unsupported(o);
        }
        const std::string unit = o.value.substr(unit_at);
        const unsigned shift = unit.empty() ? 0 : unit == "k" ? 10 : unit == "m" ? 20 : unit == "g" ? 30 : 99;
        if (shift == 99) return unsupported(o);
        out.settings.cache_max_bytes = static_cast<std::size_t>(n) << shift;
      } else if (k == "iter-scrub-ns") {
        // NS records kept per owner and section (the default is Unbound's too: 20).
        try {
          out.settings.limits.max_ns_rrset = static_cast<unsigned>(std::stoul(o.value));
        } catch (const std::exception&) {
          return unsupported(o);
        }
      } else if (k == "max-global-quota") {
        // Unbound's upstream query budget per client query: our limits.max_queries.
        try {
          out.settings.limits.max_queries = static_cast<unsigned>(std::stoul(o.value));
        } catch (const std::exception&) {
          return unsupported(o);
        }
      } else if (k == "private-address" || k == "nat64-prefix" || k == "do-not-query-address") {
        dns::AddressPrefix prefix;
        std::string error;
        if (!dns::AddressPrefix::parse(o.value, prefix, error)) return unsupported(o);
        if (k == "private-address") {
          out.settings.private_addresses.push_back(prefix);
        } else if (k == "do-not-query-address") {
          out.settings.do_not_query.push_back(prefix);
        } else if (dns::nat64_prefix_length_valid(prefix.length) && prefix.family == AF_INET6) {
          out.settings.nat64_prefix = prefix;  // the default is Unbound's too: 64:ff9b::/96
        } else {
          return unsupported(o);
        }
      } else if (k == "private-domain" || k == "domain-insecure") {
        dns::Name name;
        if (!parse_name(o.value, name)) return unsupported(o);
        (k == "private-domain" ? out.settings.private_domains : out.settings.insecure_domains).push_back(name);
      } else if (k == "do-nat64" && (o.value == "yes" || o.value == "no")) {
        out.settings.nat64 = o.value == "yes";
      } else if (k == "do-ip4" && o.value == "no") {
        out.do_ip4 = false;  // the harness's transport: a host without IPv4
      } else if (k == "do-ip6" && o.value == "no") {
        out.do_ip6 = false;  // the harness's transport: a host without IPv6
      } else if (k == "serve-expired" && o.value == "yes") {
        if (!out.stale) out.stale = FlattenStale{};
        // serve-expired-ttl-reset stays unsupported (the scenario skips): it
        // restarts the stale window after every failed refresh, so stale
        // data lives as long as the outage and the queries do, which RFC 8767
        // §5's maximum stale timer (flatten.stale_max_s) exists to bound.
      } else if (k == "serve-expired-ttl" || k == "serve-expired-client-timeout" ||
                 k == "serve-expired-reply-ttl") {
        uint32_t v = 0;
        try {
          v = static_cast<uint32_t>(std::stoul(o.value));
        } catch (const std::exception&) {
          return unsupported(o);
        }
        if (!out.stale) out.stale = FlattenStale{};
        if (k == "serve-expired-ttl") out.stale->stale_max_s = v == 0 ? UINT32_MAX / 1000 : v;
        // Both in ms; testbound's clock stands still while servers answer,
        // so a non-zero timeout fires only while a server stays silent.
        if (k == "serve-expired-client-timeout") out.stale->client_timeout_ms = v;
        if (k == "serve-expired-reply-ttl") {
          if (v == 0) return unsupported(o);  // flatten.stale_reply_ttl_s is at least 1
          out.stale->reply_ttl_s = v;
        }
      } else if (k == "ede-serve-expired" && o.value == "yes") {
        // flatns' stale answers always carry EDE 3 (Stale Answer).
      } else if (k == "ede") {
        out.ede = o.value == "yes";
      } else if (k == "harden-unverified-glue" && (o.value == "yes" || o.value == "no")) {
        out.settings.harden_unverified_glue = o.value == "yes";
      } else if (k == "iter-scrub-promiscuous" && (o.value == "yes" || o.value == "no")) {
        out.settings.scrub_promiscuous = o.value == "yes";
      } else if (k == "prefetch" && o.value == "yes") {
        out.prefetch = true;
      } else if (ignored_options().count(k) == 0 && !value_is_our_behaviour(k, o.value)) {
        return unsupported(o);
      }
      continue;
    }
    if (o.section == "stub-zone" || o.section == "forward-zone") {
      if (k == "name") continue;
      auto below_root = zone_index.find({o.section, o.block});
      resolver::ConfiguredZone* zone =
          below_root == zone_index.end() ? nullptr : &out.settings.zones[below_root->second];
      dns::ServerAddress a;
      if ((k == "stub-addr" || k == "forward-addr") && parse_addr(o.value, a)) {
        if (zone != nullptr) {
          zone->servers.push_back(a);
        } else if (k == "stub-addr") {
          out.settings.root_hints.push_back(a);
        } else {
          out.settings.mode = resolver::ResolverMode::Forward;
          out.settings.forwarders.push_back(a);
        }
      } else if (k == "stub-prime") {
      } else if ((k == "forward-first" || k == "stub-first") && (o.value == "no" || o.value == "yes")) {
        if (o.value == "yes" && zone == nullptr) return unsupported(o);  // a root stub: nothing to fall back to
        if (zone != nullptr) zone->fall_back = o.value == "yes";
      } else if ((k == "forward-tcp-upstream" || k == "stub-tcp-upstream") && (o.value == "no" || o.value == "yes")) {
        if (o.value == "yes" && zone == nullptr) return unsupported(o);
        if (zone != nullptr) zone->tcp = o.value == "yes";
      } else if ((k == "forward-no-cache" || k == "stub-no-cache") && (o.value == "no" || o.value == "yes")) {
        if (o.value == "yes" && zone == nullptr) return unsupported(o);
        if (zone != nullptr) zone->no_cache = o.value == "yes";
      } else {
        return unsupported(o);
      }
      continue;
    }
    return unsupported(o);
  }
  // Unbound has no built-in anchor: without trust-anchor nothing is validated.
  if (out.settings.trust_anchors_text.empty()) out.settings.validate = false;
  if (!s.unsupported.empty()) {
    skip = s.unsupported.front();
    return false;
  }
  return true;
}

}  // namespace flatns::replay
