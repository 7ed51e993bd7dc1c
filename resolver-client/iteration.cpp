// The Iteration's zone, servers, queries and replies; see iteration.h for the
// states. Responses to the question are in iteration_response.cpp,
// referrals in referral.cpp, key finding in key_finder.cpp and QNAME
// minimisation in qname_minimiser.cpp.
#include "resolver-client/iteration.h"
#include "resolver-client/private_addresses.h"

#include <algorithm>
#include <optional>
#include <span>

#include <sys/socket.h>

#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "resolver-client/reply_scrub.h"
#include "resolver-client/resolution.h"

namespace flatns::resolver {

namespace {

// Extra rounds over a zone's servers after timeouts, before giving up: a
// silent server is asked five times in all, as Unbound does
// (outbound-msg-retry: 5), while the deadline allows.
constexpr unsigned kTimeoutRetryRounds = 4;

bool minimisation_wanted(const ResolverSettings& s) {
  return s.qname_minimisation && s.mode == ResolverMode::Recursive;
}

// resolver.do_not_query (resolver_settings.h): an address inside the NAT64
// prefix stays reachable while NAT64 is on.
bool never_asked(const ResolverSettings& settings, const dns::ServerAddress& a) {
  const auto covers = [&](const dns::AddressPrefix& p) { return p.contains(a.sockaddr_ptr()); };
  if (std::none_of(settings.do_not_query.begin(), settings.do_not_query.end(), covers)) return false;
  return !(settings.nat64 && a.family() == AF_INET6 && covers(settings.nat64_prefix));
}

}  // namespace

std::string server_label(const dns::ServerAddress& a) {
  return a.port() == 53 ? a.host() : a.to_string();
}

Iteration::Iteration(Resolution& res, dns::Name qname, uint16_t qtype, unsigned depth, Done done)
    : res_(res),
      resolver_(res.resolver),
      qname_(std::move(qname)),
      qtype_(qtype),
      depth_(depth),
      done_(std::move(done)),
      negative_anchor_(res.resolver.negative_anchor(qname_)),
      key_finder_(res.resolver, res.options.checking_disabled, negative_anchor_),
      minimiser_(minimisation_wanted(res.resolver.settings()), qname_, qtype_) {}

bool Iteration::validating() const { return res_.validating() && negative_anchor_ == nullptr; }

void Iteration::start() {
  from_cache_now_ = true;
  const bool cached = !priming_ && from_cache();
  from_cache_now_ = false;
  if (cached) return;
  if (find_cut()) next_server();
}

void Iteration::finish(IterationOutcome&& outcome) {
  if (state_ == State::Done) return;
  state_ = State::Done;
  outcome.from_cache = from_cache_now_;
  done_(std::move(outcome));
}

std::vector<Iteration::NameServer> Iteration::cached_servers(const dns::Name& zone) {
  ResolverCache& cache = resolver_.cache();
  uint64_t now = resolver_.clock().now_ms();
  std::vector<NameServer> out;
  const CachedRrset* ns = cache.find_rrset(zone, dns::rrtype::NS, Trust::ReferralAuthority, now);
  if (ns == nullptr) return out;
  for (const auto& rr : ns->records) {
    if (rr.type != dns::rrtype::NS) continue;
    auto target = dns::rdata_target_name(rr.type, rr.rdata);
    NameServer s;
    if (!target || !dns::Name::from_wire(*target, s.name)) continue;
    for (uint16_t t : {dns::rrtype::A, dns::rrtype::AAAA}) {
      if (const CachedRrset* a = cache.find_rrset(s.name, t, Trust::Additional, now)) {
        for (const auto& arr : a->records) {
          if (arr.type == t) s.addresses.push_back(dns::ServerAddress::from_rdata(arr.rdata, 53));
        }
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool Iteration::find_cut(const dns::Name* below) {
  ResolverCache& cache = resolver_.cache();
  const ResolverSettings& settings = resolver_.settings();
  uint64_t now = resolver_.clock().now_ms();
  cut_from_cache_ = false;
  fall_back_from_ = nullptr;
  dns::Name n = (qtype_ == dns::rrtype::DS && !qname_.is_root()) ? qname_.parent() : qname_;
  if (below != nullptr) n = below->parent();
  const ConfiguredZone* conf = fell_back_ ? nullptr : resolver_.configured_zone(n);
  // A forward zone takes every name below it; below a stub, cached cuts
  // are used as anywhere else.
  const bool forwarded = conf != nullptr ? conf->forward : settings.mode == ResolverMode::Forward;
  if (!forwarded) {
    for (; !n.is_root() && !(conf != nullptr && n == conf->zone); n = n.parent()) {
      const CachedRrset* cut = cache.find_rrset(n, dns::rrtype::NS, Trust::ReferralAuthority, now);
      if (cut == nullptr || (depth_ == 0 && cut->expires_ms <= now + res_.refresh_leeway_ms)) continue;
      if (cache.expired_above(n, dns::rrtype::NS, conf != nullptr ? conf->zone : dns::Name::root(), now)) {
        continue;
      }
      const DsSet* ds = resolver_.anchors().find(n);
      if (ds == nullptr) ds = cache.find_ds(n, now);
      if (validating() && ds == nullptr && cache.find_keys(n, now) == nullptr) continue;
      auto servers = cached_servers(n);
      if (servers.empty()) continue;
      forwarding_ = false;
      enter_zone(n, std::move(servers), ds);
      cut_from_cache_ = true;
      return true;
    }
  }
  // The root: its primed NS RRset, priming it first when due (RFC 8109);
  // the hints when priming failed or is under way elsewhere.
  if (conf == nullptr && !forwarded && !priming_) {
    if (enter_primed_root()) return true;
    if (start_priming(below)) return false;
  }
  // The configured zone's servers, the root from its hints, or the
  // forwarders, which answer for every zone.
  std::vector<NameServer> servers;
  NameServer given;
  given.name = conf != nullptr ? conf->zone : dns::Name::root();
  given.addresses = conf != nullptr ? conf->servers : resolver_.root_servers();
  given.looked_up = true;
  servers.push_back(std::move(given));
  forwarding_ = forwarded;
  const dns::Name zone = conf != nullptr ? conf->zone : dns::Name::root();
  const DsSet* ds = resolver_.anchors().find(zone);
  if (ds == nullptr && !zone.is_root()) ds = cache.find_ds(zone, now);
  if (settings.validate && negative_anchor_ == nullptr && ds == nullptr && !zone.is_root() &&
      cache.find_keys(zone, now) == nullptr) {
    // A stub or forward zone under a trust anchor: its chain of trust must
    // be found, never assumed away. Its DS is asked of the parent's
    // servers (a nested Iteration), then the zone is entered with it.
    if (resolver_.anchors().closest(zone) != nullptr) {
      zone_ = zone;
      servers_.clear();
      ++zone_generation_;
      awaiting_ns_.reset();
      tried_.clear();
      failures_.clear();
      state_ = State::Querying;
      if (conf != nullptr && conf->fall_back) fall_back_from_ = conf;
      const dns::ServerAddress first = servers.front().addresses.empty() ? dns::ServerAddress{}
                                                                         : servers.front().addresses.front();
      fetch_left_out_ds(first, zone, std::move(servers));
      return false;
    }
  }
  enter_zone(zone, std::move(servers), ds);
  if (conf != nullptr && conf->fall_back) fall_back_from_ = conf;
  return true;
}

ValidationContext Iteration::validation_context() {
  ValidationContext ctx = res_.validation_context();
  ctx.options.forwarded_answers = forwarding_ || asking_recursion_;
  return ctx;
}

void Iteration::enter_zone(const dns::Name& zone, std::vector<NameServer> servers,
                           const DsSet* ds) {
  zone_ = zone;
  servers_ = std::move(servers);
  ++zone_generation_;
  awaiting_ns_.reset();
  cut_from_cache_ = false;
  primed_root_ = false;
  // find_cut() never takes a cached cut at a configured zone's name: at that
  // name the servers are the configured ones.
  const ConfiguredZone* conf = fell_back_ ? nullptr : resolver_.configured_zone(zone_);
  tcp_only_ = conf != nullptr && conf->tcp && conf->zone == zone_;
  tried_.clear();
  timed_out_here_.clear();
  if (forwarding_) minimiser_.turn_off();
  minimiser_.enter_zone(zone_);
  timeouts_in_zone_ = false;
  retry_rounds_ = 0;
  bogus_in_zone_ = 0;
  first_bogus_.reset();
  bogus_servers_.clear();
  failures_.clear();
  last_resort_.reset();
  use_last_resort_ = false;
  last_resort_asks_recursion_ = false;
  asking_recursion_ = false;
  key_finder_.enter_zone(zone_, ds, forwarding_);
  state_ = key_finder_.state() == KeyFinder::State::Ready ? State::Querying : State::FindingKeys;
}

void Iteration::next_server() {
  // An NS name's lookups go on: on_ns_address() calls again when they end.
  if (state_ == State::Done || !res_.running() || awaiting_ns_) return;
  ServerHealth& health = resolver_.health();
  const ResolverLimits& lim = resolver_.settings().limits;
  uint64_t now = resolver_.clock().now_ms();
  if (res_.result.stats.queries_sent >= lim.max_queries) {
    IterationOutcome o;
    o.kind = IterationOutcome::Kind::Failed;
    o.verdict = Verdict::indeterminate("upstream query limit reached");
    o.failure = "upstream query limit (" + std::to_string(lim.max_queries) +
                ") reached while resolving " + qname_.to_text() + " at zone " + zone_.to_text();
    finish(std::move(o));
    return;
  }
  std::vector<dns::ServerAddress> fresh, avoided;
  if (state_ == State::Querying && minimiser_.will_minimise(zone_) &&
      every_server_drops(next_query_type(), now)) {
    // They dropped the last minimised queries of some other question: the
    // fallback stop_minimising() takes after timeouts, taken at once.
    minimiser_.give_up();
  }
  const uint16_t qtype = next_query_type();
  for (const auto& ns : servers_) {
    for (const auto& a : ns.addresses) {
      if (!a.valid() || std::find(tried_.begin(), tried_.end(), a) != tried_.end()) continue;
      if (never_asked(resolver_.settings(), a)) {
        note_failure_once(a.to_string() + ": not asked (resolver.do_not_query)");
        continue;
      }
      if (passed_over(a, qtype, now)) continue;
      auto& list = health.backed_off(a, now) ? avoided : fresh;
      if (std::find(list.begin(), list.end(), a) == list.end()) list.push_back(a);
    }
  }
  auto best = [&](std::vector<dns::ServerAddress>& list) {
    // Lowest expected RTT; a random pick among those within 20% of it
    // spreads load and keeps the estimates of similar servers fresh.
    double low = 1e18;
    for (const auto& a : list) low = std::min(low, health.expected_rtt_ms(a));
    std::vector<dns::ServerAddress> close;
    for (const auto& a : list) {
      if (health.expected_rtt_ms(a) <= low * 1.2 + 1) close.push_back(a);
    }
    return close[random_query_id() % close.size()];
  };
  if (!fresh.empty()) {
    send(best(fresh), Protocol::Udp);
    return;
  }
  for (auto& ns : servers_) {
    if (!ns.looked_up && ns.addresses.empty()) {
      lookup_ns_address(ns);
      return;
    }
  }
  // Every known address failed, and some NS came with IPv6 glue only: its
  // IPv4 address may still work (a host without IPv6, a referral that left
  // the A glue out), so look it up as for an NS without glue.
  for (auto& ns : servers_) {
    const bool has_ipv4 = std::any_of(ns.addresses.begin(), ns.addresses.end(),
                                      [](const dns::ServerAddress& a) { return a.family() == AF_INET; });
    if (!ns.looked_up && !has_ipv4) {
      lookup_ns_address(ns);
      return;
    }
  }
  if (!avoided.empty()) {
    send(best(avoided), Protocol::Udp);
    return;
  }
  give_up();
}

// Every server of the zone was asked.
void Iteration::give_up() {
  if (!first_bogus_ && primed_root_ && fall_back_to_hints()) {
    next_server();
    return;
  }
  // The priming query asks each hint once: the hints are the fallback.
  const unsigned retry_rounds = priming_ ? 0 : kTimeoutRetryRounds;
  if (!first_bogus_ && timeouts_in_zone_ && retry_rounds_ < retry_rounds && !tried_.empty()) {
    // Every server was tried and some timed out: a lost packet or a busy
    // server. Ask again, with the doubled timeouts their health now gives,
    // while the deadline allows (Unbound retries the same way).
    ++retry_rounds_;
    timeouts_in_zone_ = false;
    tried_.clear();
    next_server();
    return;
  }
  if (!first_bogus_ && widen_to_other_side()) {
    next_server();
    return;
  }
  if (!first_bogus_ && cut_from_cache_) {
    // The cached delegation turned useless (its glue expired, its servers
    // fail): ask the parent's servers again for a fresh referral, as
    // Unbound does when a delegation point has no usable address left.
    const dns::Name useless = zone_;
    if (find_cut(&useless)) next_server();
    return;
  }
  if (!first_bogus_ && last_resort_) {
    // Nothing better came: the answer set aside is the answer.
    auto [server, msg] = std::move(*last_resort_);
    last_resort_.reset();
    use_last_resort_ = true;
    if (last_resort_asks_recursion_) {
      asking_recursion_ = true;
      send(server, Protocol::Udp);
      return;
    }
    on_response(server, msg);
    return;
  }
  if (!first_bogus_ && fall_back_from_ != nullptr) {
    // stub-first / forward-first: the configured servers failed; resolve
    // the name as if the zone were not configured.
    resolver_.log(LogLevel::Info, "resolver: the servers of " +
                                      std::string(fall_back_from_->forward ? "forward" : "stub") +
                                      " zone " + fall_back_from_->zone.to_text() + " failed for " +
                                      qname_.to_text() + "; resolving it from the root");
    fell_back_ = true;
    if (find_cut()) next_server();
    return;
  }
  IterationOutcome o;
  std::string tried;
  for (const auto& f : failures_) tried += (tried.empty() ? "" : "; ") + f;
  if (first_bogus_) {
    o.kind = IterationOutcome::Kind::Bogus;
    o.verdict = zone_bogus_verdict();
    o.failure = "every server of zone " + zone_.to_text() + " sent data that fails validation: " +
                tried;
  } else {
    o.kind = IterationOutcome::Kind::Failed;
    const bool asking_keys = state_ == State::FindingKeys;
    const dns::Name& asked = asking_keys ? key_finder_.question_name() : qname_;
    o.failure = "no server of zone " + zone_.to_text() + " gave a usable answer for " +
                asked.to_text() + " " +
                dns::type_to_text(asking_keys ? key_finder_.question_type() : qtype_) + ": " +
                (tried.empty() ? "no server address known" : tried);
    o.verdict = Verdict::indeterminate(o.failure);
    if (asking_keys) key_fetch_failed(o);
  }
  finish(std::move(o));
}

// The chain of trust needs a DNSKEY or DS RRset that no server gave, and
// a server answered the question with an error (SERVFAIL, REFUSED) or an
// unusable answer: as in Unbound's validator, the data below is bogus, not
// merely undecided, and the EDE says which fetch failed: DNSKEY Missing (9,
// RFC 8914 §4.10: a DS exists, no DNSKEY to match it was found) or Network
// Error (23, §4.24) for the DS. When every server only timed out, the
// result stays indeterminate (flatten says No Reachable Authority, 22).
void Iteration::key_fetch_failed(IterationOutcome& o) {
  if (!key_answer_failed_) return;
  if (key_finder_.state() == KeyFinder::State::FetchDnskey) {
    const DsSet& ds = key_finder_.ds();
    if (!ds.verdict.is_secure()) return;  // nothing says the zone is signed
    o.kind = IterationOutcome::Kind::Bogus;
    o.verdict = Verdict::bogus(ds.zone, BogusReason::NoDnskey,
                               "the DNSKEY RRset of " + ds.zone.to_text() + " could not be fetched: " +
                                   o.failure);
  } else if (key_finder_.state() == KeyFinder::State::FetchDs) {
    o.kind = IterationOutcome::Kind::Bogus;
    o.verdict = Verdict::bogus(zone_, BogusReason::NoDs,
                               "the DS RRset of " + key_finder_.question_name().to_text() +
                                   " could not be fetched: " + o.failure);
  }
}

void Iteration::send(const dns::ServerAddress& server, Protocol protocol) {
  const ResolverSettings& settings = resolver_.settings();
  if (tcp_only_) protocol = Protocol::Tcp;
  if (std::find(tried_.begin(), tried_.end(), server) == tried_.end()) tried_.push_back(server);
  UpstreamQuery q;
  // A host without IPv4 reaches IPv4 servers through its NAT64 gateway.
  q.server = settings.nat64 ? dns::nat64_address(settings.nat64_prefix, server) : server;
  q.protocol = protocol;
  q.zone = zone_;
  if (state_ == State::FindingKeys) {
    q.qname = key_finder_.question_name();
    q.qtype = key_finder_.question_type();
  } else {
    minimiser_.prepare_query(zone_, protocol);
    q.qname = minimiser_.asked_name(zone_);
    q.qtype = minimiser_.asked_type();
  }
  if (forwarding_ || asking_recursion_) {
    // We validate ourselves from the trust anchor (key_finder.h): the
    // forwarder must hand over the data as it got it, bogus or not, with
    // its signatures (DO=1 is always set).
    q.recursion_desired = true;
    q.checking_disabled = true;
  }
  uint64_t left = std::max<uint64_t>(res_.remaining_ms(), 1);
  uint32_t timeout = resolver_.health().timeout_ms(server);
  if (protocol == Protocol::Tcp) timeout = std::max(timeout * 2, settings.limits.max_timeout_ms);
  q.timeout_ms = static_cast<uint32_t>(std::min<uint64_t>(timeout, left));
  auto handle = std::make_shared<QueryHandle>(0);
  std::weak_ptr<Resolution> weak = res_.weak_from_this();
  *handle = res_.send(q, [this, weak, handle, server, protocol, qtype = q.qtype](UpstreamReply&& reply) {
    auto alive = weak.lock();
    if (!alive || !alive->running()) return;
    alive->forget(*handle);
    on_reply(server, protocol, qtype, std::move(reply));
  });
  if (*handle == kQueryNotStarted) server_failed(server, "the query could not be started");
}

void Iteration::note_timeout_here(const dns::ServerAddress& server) {
  timeouts_in_zone_ = true;
  if (std::find(timed_out_here_.begin(), timed_out_here_.end(), server) == timed_out_here_.end()) {
    timed_out_here_.push_back(server);
  }
}

bool Iteration::passed_over(const dns::ServerAddress& server, uint16_t qtype, uint64_t now) {
  if (!resolver_.health().drops_type(server, qtype, now)) return false;
  // Its timeouts in this zone's retry rounds are what the rounds are for:
  // only a streak from earlier resolutions passes it over.
  if (std::find(timed_out_here_.begin(), timed_out_here_.end(), server) != timed_out_here_.end()) return false;
  // Counted as tried, so that the zone's failure names it once.
  tried_.push_back(server);
  note_failure_once(server_label(server) + " (zone " + zone_.to_text() + "): not asked, its last " +
                    std::to_string(ServerHealth::kTypeTimeoutsToSkip) + " " + dns::type_to_text(qtype) +
                    " queries timed out");
  return true;
}

void Iteration::note_failure_once(std::string text) {
  if (std::find(failures_.begin(), failures_.end(), text) != failures_.end()) return;
  failures_.push_back(text);
  res_.all_failures.push_back(std::move(text));
}

bool Iteration::every_server_drops(uint16_t qtype, uint64_t now) {
  ServerHealth& health = resolver_.health();
  bool any = false;
  for (const auto& ns : servers_) {
    for (const auto& a : ns.addresses) {
      if (!a.valid() || std::find(tried_.begin(), tried_.end(), a) != tried_.end()) continue;
      if (!health.drops_type(a, qtype, now)) return false;
      any = true;
    }
  }
  return any;
}

uint16_t Iteration::next_query_type() const {
  return state_ == State::FindingKeys ? key_finder_.question_type() : minimiser_.type_for(zone_);
}

void Iteration::on_reply(const dns::ServerAddress& server, Protocol protocol, uint16_t qtype,
                         UpstreamReply&& reply) {
  if (state_ == State::Done) return;
  ServerHealth& health = resolver_.health();
  uint64_t now = resolver_.clock().now_ms();
  if (reply.status == ReplyStatus::Timeout) {
    if (health.record_timeout(server, qtype, now)) {
      resolver_.log(LogLevel::Info, "resolver: server " + server_label(server) + " (zone " +
                                        zone_.to_text() + ") does not answer; avoiding it for a while");
    }
    if (state_ == State::Querying && minimiser_.on_timeout()) {
      stop_minimising(server);
      return;
    }
    note_timeout_here(server);
    server_failed(server, "timeout");
    return;
  }
  if (reply.status == ReplyStatus::NetworkError) {
    // A refused connection or an unreachable network may pass as a lost
    // packet does: retried in the same rounds (Unbound counts it alike).
    health.record_timeout(server, qtype, now);
    note_timeout_here(server);
    server_failed(server, reply.error);
    return;
  }
  health.record_answer(server, reply.rtt_ms, qtype);
  if (const unsigned n = remove_other_class_records(reply.message); n > 0) {
    resolver_.log(LogLevel::Debug, "resolver: " + server_label(server) + " (zone " + zone_.to_text() +
                                       ") sent " + std::to_string(n) + " record(s) of a class other than IN, ignored");
  }
  if (const unsigned n = cap_ns_rrsets(reply.message, resolver_.settings().limits.max_ns_rrset); n > 0) {
    resolver_.log(LogLevel::Debug, "resolver: " + server_label(server) + " (zone " + zone_.to_text() +
                                       ") sent more than " +
                                       std::to_string(resolver_.settings().limits.max_ns_rrset) +
                                       " NS records for one name; " + std::to_string(n) + " ignored");
  }
  std::string malformed;
  malformed_in_reply_ = remove_malformed_records(reply.message, malformed);
  if (const unsigned n = malformed_in_reply_; n > 0) {
    res_.note_malformed(n, malformed);
    resolver_.log(LogLevel::Debug, "resolver: " + server_label(server) + " (zone " + zone_.to_text() +
                                       ") sent " + std::to_string(n) +
                                       " record(s) with RDATA malformed for their type, removed: " +
                                       malformed);
  }
  const dns::Message& msg = reply.message;
  if (msg.has_flag(dns::flag::TC)) {
    // The TCP retry is one more upstream query: it counts against the limit
    // like any other (next_server() ends the iteration when the limit is hit).
    if (protocol == Protocol::Udp &&
        res_.result.stats.queries_sent < resolver_.settings().limits.max_queries) {
      send(server, Protocol::Tcp);
      return;
    }
    if (protocol == Protocol::Udp) {
      next_server();
      return;
    }
    server_failed(server, "truncated answer over TCP");
    return;
  }
  if (const std::size_t removed = remove_private_addresses(reply.message, resolver_.settings())) {
    resolver_.log(LogLevel::Debug, "resolver: removed " + std::to_string(removed) +
                                       " private-address record(s) from the answer of " +
                                       server_label(server) + " for " + qname_.to_text());
  }
  if (state_ == State::FindingKeys) {
    on_key_step(server, key_finder_.on_reply(msg, validation_context()));
  } else {
    on_response(server, msg);
  }
}

void Iteration::stop_minimising(const dns::ServerAddress& server) {
  const std::string asked = minimiser_.asked_name(zone_).to_text();
  resolver_.log(LogLevel::Debug, "resolver: the minimised query " + asked + " to the servers of zone " +
                                     zone_.to_text() + " timed out again; asking the full name " +
                                     qname_.to_text() + " instead");
  const std::string text = server_label(server) + " (zone " + zone_.to_text() + "): timeout (minimised " +
                           asked + ")";
  failures_.push_back(text);
  res_.all_failures.push_back(text);
  // A new question for the zone's servers: each is asked it once more
  // (retry rounds already spent stay spent, which bounds a dead zone).
  tried_.clear();
  timeouts_in_zone_ = false;
  next_server();
}

void Iteration::server_failed(const dns::ServerAddress& server, const std::string& why) {
  std::string text = server_label(server) + " (zone " + zone_.to_text() + "): " + why;
  failures_.push_back(text);
  res_.all_failures.push_back(text);
  next_server();
}

void Iteration::on_bogus(const dns::ServerAddress& server, Verdict verdict) {
  ServerHealth& health = resolver_.health();
  uint64_t now = resolver_.clock().now_ms();
  verdict.server = server_label(server);
  std::string reason = to_string(verdict.reason);
  health.record_bogus(server, "bogus data for zone " + zone_.to_text() + ": " + reason, now);
  const ServerRecord* rec = health.find(server);
  uint64_t for_s = rec ? (rec->backoff_until_ms - now) / 1000 : 0;
  resolver_.log(LogLevel::Warn, "resolver: server " + server_label(server) +
                                       " sent bogus data for zone " + zone_.to_text() + " (" +
                                       reason + ": " + verdict.detail +
                                       "); asking other servers, avoiding it for " +
                                       std::to_string(for_s) + " s");
  if (!first_bogus_) first_bogus_ = verdict;
  if (std::find(bogus_servers_.begin(), bogus_servers_.end(), verdict.server) == bogus_servers_.end()) {
    bogus_servers_.push_back(verdict.server);
  }
  ++bogus_in_zone_;
  std::string text = server_label(server) + " (zone " + zone_.to_text() + "): bogus, " + reason;
  failures_.push_back(text);
  res_.all_failures.push_back(text);
  if (bogus_in_zone_ > resolver_.settings().limits.bogus_retries) {
    IterationOutcome o;
    o.kind = IterationOutcome::Kind::Bogus;
    o.verdict = zone_bogus_verdict();
    o.failure = std::to_string(bogus_in_zone_) + " servers of zone " + zone_.to_text() +
                " sent data that fails validation";
    finish(std::move(o));
    return;
  }
  next_server();
}

Verdict Iteration::zone_bogus_verdict() const {
  Verdict v = *first_bogus_;
  std::string all;
  for (const auto& s : bogus_servers_) all += (all.empty() ? "" : ", ") + s;
  if (!all.empty()) v.server = all;
  return v;
}

}  // namespace flatns::resolver
