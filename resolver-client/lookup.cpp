// The iterator: one Lookup per (name, type); see resolution.h for the states.
// Referrals are in referral.cpp, the chain walk in chain_walk.cpp, QNAME
// minimisation in qname_minimisation.cpp.
#include <algorithm>
#include <optional>

#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "resolver-client/resolution.h"

namespace flatns::resolver {

namespace {

// Extra rounds over a zone's servers after timeouts, before giving up.
constexpr unsigned kTimeoutRetryRounds = 2;

std::vector<dns::ResourceRecord> without_rrsigs(const std::vector<dns::ResourceRecord>& in,
                                                uint32_t ttl_cap) {
  std::vector<dns::ResourceRecord> out;
  for (const auto& rr : in) {
    if (rr.type == dns::rrtype::RRSIG) continue;
    out.push_back(rr);
    if (ttl_cap > 0 && out.back().ttl > ttl_cap) out.back().ttl = ttl_cap;
  }
  return out;
}

// The target of the (first readable) CNAME owned by `owner` in `answer`.
std::optional<dns::Name> cname_target(const std::vector<dns::ResourceRecord>& answer, const dns::Name& owner) {
  for (const auto& rr : answer) {
    if (rr.type != dns::rrtype::CNAME || !(rr.owner == owner)) continue;
    auto target = dns::rdata_target_name(rr.type, rr.rdata);
    dns::Name t;
    if (target && dns::Name::from_wire(*target, t)) return t;
  }
  return std::nullopt;
}

// Where the CNAMEs of an answer section starting at `qname` lead.
dns::Name chain_end(const std::vector<dns::ResourceRecord>& answer, const dns::Name& qname) {
  dns::Name at = qname;
  for (std::size_t hops = 0; hops <= answer.size(); ++hops) {
    auto next = cname_target(answer, at);
    if (!next) break;
    at = std::move(*next);
  }
  return at;
}

// The owners along the CNAME chain from `qname` in `answer`, stopping
// before `exit` when given.
std::vector<dns::Name> chain_names(const std::vector<dns::ResourceRecord>& answer,
                                   const dns::Name& qname, const std::optional<dns::Name>& exit) {
  std::vector<dns::Name> out;
  dns::Name at = qname;
  for (std::size_t hops = 0; hops <= answer.size(); ++hops) {
    if (exit && at == *exit) break;
    if (std::find(out.begin(), out.end(), at) != out.end()) break;
    out.push_back(at);
    auto next = cname_target(answer, at);
    if (!next) break;
    at = std::move(*next);
  }
  return out;
}

}  // namespace

std::string server_label(const ServerAddress& a) {
  return a.port() == 53 ? a.host() : a.to_string();
}

Lookup::Lookup(Resolution& res, dns::Name qname, uint16_t qtype, unsigned depth, Done done)
    : res_(res), qname_(std::move(qname)), qtype_(qtype), depth_(depth), done_(std::move(done)) {
  const ResolverSettings& s = res_.resolver.settings_;
  minimise_ = s.qname_minimisation && s.mode == ResolverMode::Recursive;
}

void Lookup::start() {
  if (from_cache()) return;
  find_cut();
  next_server();
}

void Lookup::finish(LookupOutcome&& outcome) {
  if (finished_) return;
  finished_ = true;
  done_(std::move(outcome));
}

bool Lookup::from_cache() {
  // A refresh asks the servers for every step of the chain (depth 0); the
  // lookups of server addresses below it may still be answered from the cache.
  if (res_.options.refresh && depth_ == 0) return false;
  Resolver& r = res_.resolver;
  uint64_t now = r.clock_.now_ms();
  auto hit = [&](const CachedRrset& e, LookupOutcome::Kind kind) {
    LookupOutcome o;
    o.kind = kind;
    o.ttl = e.ttl_left(now);
    o.answer = without_rrsigs(e.records, std::max<uint32_t>(o.ttl, 1));
    for (auto& rr : o.answer) rr.ttl = o.ttl;
    o.verdict = e.verdict;
    ++res_.result.stats.cache_hits;
    return o;
  };
  // Data with less than a second left is asked again rather than given out
  // with TTL 0, which a caller would round up and keep past its expiry.
  if (const CachedRrset* e = r.cache_.find_rrset(qname_, qtype_, Trust::NonAuthAnswer, now);
      e && e->ttl_left(now) > 0) {
    finish(hit(*e, LookupOutcome::Kind::Answer));
    return true;
  }
  if (qtype_ != dns::rrtype::CNAME) {
    if (const CachedRrset* e = r.cache_.find_rrset(qname_, dns::rrtype::CNAME,
                                                   Trust::NonAuthAnswer, now);
        e && e->ttl_left(now) > 0) {
      LookupOutcome o = hit(*e, LookupOutcome::Kind::CnameExit);
      o.next_name = chain_end(o.answer, qname_);
      finish(std::move(o));
      return true;
    }
  }
  if (const CachedNegative* n = r.cache_.find_negative(qname_, qtype_, now);
      n && n->ttl_left(now) > 0) {
    LookupOutcome o;
    o.kind = n->rcode == dns::rcode::NXDOMAIN ? LookupOutcome::Kind::NxDomain
                                              : LookupOutcome::Kind::NoData;
    o.ttl = n->ttl_left(now);
    o.verdict = n->verdict;
    ++res_.result.stats.cache_hits;
    finish(std::move(o));
    return true;
  }
  return false;
}

std::vector<Lookup::NameServer> Lookup::cached_servers(const dns::Name& zone) {
  Resolver& r = res_.resolver;
  uint64_t now = r.clock_.now_ms();
  std::vector<NameServer> out;
  const CachedRrset* ns = r.cache_.find_rrset(zone, dns::rrtype::NS, Trust::ReferralAuthority, now);
  if (ns == nullptr) return out;
  for (const auto& rr : ns->records) {
    if (rr.type != dns::rrtype::NS) continue;
    auto target = dns::rdata_target_name(rr.type, rr.rdata);
    NameServer s;
    if (!target || !dns::Name::from_wire(*target, s.name)) continue;
    for (uint16_t t : {dns::rrtype::A, dns::rrtype::AAAA}) {
      if (const CachedRrset* a = r.cache_.find_rrset(s.name, t, Trust::Additional, now)) {
        for (const auto& arr : a->records) {
          if (arr.type == t) s.addresses.push_back(ServerAddress::from_rdata(arr.rdata, 53));
        }
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool Lookup::find_cut() {
  Resolver& r = res_.resolver;
  uint64_t now = r.clock_.now_ms();
  if (r.settings_.mode == ResolverMode::Recursive) {
    dns::Name n = (qtype_ == dns::rrtype::DS && !qname_.is_root()) ? qname_.parent() : qname_;
    for (; !n.is_root(); n = n.parent()) {
      if (r.cache_.find_rrset(n, dns::rrtype::NS, Trust::ReferralAuthority, now) == nullptr) continue;
      const DsSet* ds = r.anchors_.find(n);
      if (ds == nullptr) ds = r.cache_.find_ds(n, now);
      if (r.settings_.validate && ds == nullptr && r.cache_.find_keys(n, now) == nullptr) continue;
      auto servers = cached_servers(n);
      if (servers.empty()) continue;
      enter_zone(n, std::move(servers), ds);
      return true;
    }
  }
  // The root from its hints (no priming query: the hints are addresses), or
  // the forwarders, which answer for every zone.
  std::vector<NameServer> servers;
  NameServer hints;
  hints.name = dns::Name::root();
  hints.addresses = r.root_servers_;
  hints.looked_up = true;
  servers.push_back(std::move(hints));
  enter_zone(dns::Name::root(), std::move(servers), r.anchors_.find(dns::Name::root()));
  return true;
}

void Lookup::enter_zone(const dns::Name& zone, std::vector<NameServer> servers, const DsSet* ds) {
  Resolver& r = res_.resolver;
  zone_ = zone;
  servers_ = std::move(servers);
  tried_.clear();
  known_labels_ = static_cast<unsigned>(zone_.labels());
  timeouts_in_zone_ = false;
  retry_rounds_ = 0;
  bogus_in_zone_ = 0;
  first_bogus_.reset();
  bogus_servers_.clear();
  failures_.clear();
  phase_ = Phase::Query;
  if (!r.settings_.validate) {
    keys_ = insecure_keys(zone_, InsecureReason::NoTrustAnchor, "validation is off");
    return;
  }
  if (const ZoneKeys* k = r.cache_.find_keys(zone_, r.clock_.now_ms())) {
    keys_ = *k;
    return;
  }
  if (ds == nullptr) {
    keys_ = insecure_keys(zone_, InsecureReason::NoTrustAnchor,
                          "no trust anchor or DS covers " + zone_.to_text());
    return;
  }
  ds_ = *ds;
  if (ds_.verdict.is_secure()) {
    phase_ = Phase::Keys;
    return;
  }
  keys_ = insecure_keys(zone_, ds_.verdict.insecure_reason, ds_.verdict.detail);
  keys_.verdict = ds_.verdict;
}

void Lookup::next_server() {
  if (finished_ || !res_.running()) return;
  Resolver& r = res_.resolver;
  const ResolverLimits& lim = r.settings_.limits;
  uint64_t now = r.clock_.now_ms();
  if (res_.result.stats.queries_sent >= lim.max_queries) {
    LookupOutcome o;
    o.kind = LookupOutcome::Kind::Failed;
    o.verdict = Verdict::indeterminate("upstream query limit reached");
    o.failure = "upstream query limit (" + std::to_string(lim.max_queries) +
                ") reached while resolving " + qname_.to_text() + " at zone " + zone_.to_text();
    finish(std::move(o));
    return;
  }
  std::vector<ServerAddress> fresh, avoided;
  for (const auto& ns : servers_) {
    for (const auto& a : ns.addresses) {
      if (!a.valid() || std::find(tried_.begin(), tried_.end(), a) != tried_.end()) continue;
      auto& list = r.health_.backed_off(a, now) ? avoided : fresh;
      if (std::find(list.begin(), list.end(), a) == list.end()) list.push_back(a);
    }
  }
  auto best = [&](std::vector<ServerAddress>& list) {
    // Lowest expected RTT; a random pick among those within 20% of it
    // spreads load and keeps the estimates of similar servers fresh.
    double low = 1e18;
    for (const auto& a : list) low = std::min(low, r.health_.expected_rtt_ms(a));
    std::vector<ServerAddress> close;
    for (const auto& a : list) {
      if (r.health_.expected_rtt_ms(a) <= low * 1.2 + 1) close.push_back(a);
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
  if (!avoided.empty()) {
    send(best(avoided), Protocol::Udp);
    return;
  }
  if (!first_bogus_ && timeouts_in_zone_ && retry_rounds_ < kTimeoutRetryRounds && !tried_.empty()) {
    // Every server was tried and some timed out: a lost packet or a busy
    // server. Ask again, with the doubled timeouts their health now gives,
    // while the deadline allows (Unbound retries the same way).
    ++retry_rounds_;
    timeouts_in_zone_ = false;
    tried_.clear();
    next_server();
    return;
  }
  LookupOutcome o;
  std::string tried;
  for (const auto& f : failures_) tried += (tried.empty() ? "" : "; ") + f;
  if (first_bogus_) {
    o.kind = LookupOutcome::Kind::Bogus;
    o.verdict = zone_bogus_verdict();
    o.failure = "every server of zone " + zone_.to_text() + " sent data that fails validation: " +
                tried;
  } else {
    o.kind = LookupOutcome::Kind::Failed;
    o.failure = "no server of zone " + zone_.to_text() + " gave a usable answer for " +
                qname_.to_text() + " " + dns::type_to_text(qtype_) + ": " +
                (tried.empty() ? "no server address known" : tried);
    o.verdict = Verdict::indeterminate(o.failure);
  }
  finish(std::move(o));
}

void Lookup::send(const ServerAddress& server, Protocol protocol) {
  Resolver& r = res_.resolver;
  if (std::find(tried_.begin(), tried_.end(), server) == tried_.end()) tried_.push_back(server);
  UpstreamQuery q;
  q.server = server;
  q.protocol = protocol;
  switch (phase_) {
    case Phase::Keys:
      q.qname = ds_.zone;
      q.qtype = dns::rrtype::DNSKEY;
      break;
    case Phase::Ds:
      q.qname = ds_name_;
      q.qtype = dns::rrtype::DS;
      break;
    case Phase::Query:
      asked_minimised_ = minimising();
      q.qname = question_name();
      q.qtype = asked_minimised_ ? dns::rrtype::A : qtype_;
      if (asked_minimised_ && protocol == Protocol::Udp) ++minimised_sent_;
      break;
  }
  if (r.settings_.mode == ResolverMode::Forward) {
    // We validate ourselves from the trust anchor (chain_walk.cpp): the
    // forwarder must hand over the data as it got it, bogus or not, with
    // its signatures (DO=1 is always set).
    q.recursion_desired = true;
    q.checking_disabled = true;
  }
  uint64_t left = std::max<uint64_t>(res_.remaining_ms(), 1);
  uint32_t timeout = r.health_.timeout_ms(server);
  if (protocol == Protocol::Tcp) timeout = std::max(timeout * 2, r.settings_.limits.max_timeout_ms);
  q.timeout_ms = static_cast<uint32_t>(std::min<uint64_t>(timeout, left));
  auto handle = std::make_shared<QueryHandle>(0);
  std::weak_ptr<Resolution> weak = res_.weak_from_this();
  *handle = res_.send(q, [this, weak, handle, server, protocol](UpstreamReply&& reply) {
    auto alive = weak.lock();
    if (!alive || !alive->running()) return;
    alive->forget(*handle);
    on_reply(server, protocol, std::move(reply));
  });
}

void Lookup::on_reply(const ServerAddress& server, Protocol protocol, UpstreamReply&& reply) {
  if (finished_) return;
  Resolver& r = res_.resolver;
  uint64_t now = r.clock_.now_ms();
  if (reply.status == ReplyStatus::Timeout) {
    if (r.health_.record_timeout(server, now)) {
      r.log(LogLevel::Info, "resolver: server " + server_label(server) + " (zone " +
                                zone_.to_text() + ") does not answer; avoiding it for a while");
    }
    timeouts_in_zone_ = true;
    server_failed(server, "timeout");
    return;
  }
  if (reply.status == ReplyStatus::NetworkError) {
    r.health_.record_timeout(server, now);
    server_failed(server, reply.error);
    return;
  }
  r.health_.record_answer(server, reply.rtt_ms);
  const dns::Message& msg = reply.message;
  if (msg.has_flag(dns::flag::TC)) {
    // The TCP retry is one more upstream query: it counts against the limit
    // like any other (next_server() ends the lookup when the limit is hit).
    if (protocol == Protocol::Udp && res_.result.stats.queries_sent < r.settings_.limits.max_queries) {
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
  switch (phase_) {
    case Phase::Keys: on_keys(server, msg); break;
    case Phase::Ds: on_ds(server, msg); break;
    case Phase::Query: on_response(server, msg); break;
  }
}

void Lookup::server_failed(const ServerAddress& server, const std::string& why) {
  std::string text = server_label(server) + " (zone " + zone_.to_text() + "): " + why;
  failures_.push_back(text);
  res_.all_failures.push_back(text);
  next_server();
}

void Lookup::on_bogus(const ServerAddress& server, Verdict verdict) {
  Resolver& r = res_.resolver;
  verdict.server = server_label(server);
  std::string reason = to_string(verdict.reason);
  r.health_.record_bogus(server, "bogus data for zone " + zone_.to_text() + ": " + reason,
                         r.clock_.now_ms());
  const ServerRecord* rec = r.health_.find(server);
  uint64_t for_s = rec ? (rec->backoff_until_ms - r.clock_.now_ms()) / 1000 : 0;
  r.log(LogLevel::Warning, "resolver: server " + server_label(server) + " sent bogus data for zone " +
                               zone_.to_text() + " (" + reason + ": " + verdict.detail +
                               "); asking other servers, avoiding it for " + std::to_string(for_s) +
                               " s");
  if (!first_bogus_) first_bogus_ = verdict;
  if (std::find(bogus_servers_.begin(), bogus_servers_.end(), verdict.server) == bogus_servers_.end()) {
    bogus_servers_.push_back(verdict.server);
  }
  ++bogus_in_zone_;
  std::string text = server_label(server) + " (zone " + zone_.to_text() + "): bogus, " + reason;
  failures_.push_back(text);
  res_.all_failures.push_back(text);
  if (bogus_in_zone_ > r.settings_.limits.bogus_retries) {
    LookupOutcome o;
    o.kind = LookupOutcome::Kind::Bogus;
    o.verdict = zone_bogus_verdict();
    o.failure = std::to_string(bogus_in_zone_) + " servers of zone " + zone_.to_text() +
                " sent data that fails validation";
    finish(std::move(o));
    return;
  }
  next_server();
}

Verdict Lookup::zone_bogus_verdict() const {
  Verdict v = *first_bogus_;
  std::string all;
  for (const auto& s : bogus_servers_) all += (all.empty() ? "" : ", ") + s;
  if (!all.empty()) v.server = all;
  return v;
}

void Lookup::on_keys(const ServerAddress& server, const dns::Message& msg) {
  Resolver& r = res_.resolver;
  if (msg.rcode() != dns::rcode::NOERROR) {
    server_failed(server, "DNSKEY query answered " + dns::rcode_to_text(msg.rcode()));
    return;
  }
  ValidationContext ctx = res_.validation_context();
  ZoneKeys keys = validate_dnskey_response(msg, ds_, ctx);
  if (keys.verdict.is_bogus()) {
    on_bogus(server, keys.verdict);
    return;
  }
  if (keys.verdict.security == Security::Indeterminate) {
    server_failed(server, "DNSKEY answer unusable: " + keys.verdict.detail);
    return;
  }
  keys_ = std::move(keys);
  r.cache_.store_keys(keys_, r.clock_.now_ms());
  if (walk_target_) {
    walk_at_ = keys_.zone;
    walk_step();
    return;
  }
  phase_ = Phase::Query;
  tried_.clear();
  next_server();
}

void Lookup::on_response(const ServerAddress& server, const dns::Message& msg) {
  Resolver& r = res_.resolver;
  uint64_t now = r.clock_.now_ms();
  const dns::Name asked = question_name();
  const uint16_t asked_type = asked_minimised_ ? dns::rrtype::A : qtype_;
  if (r.settings_.mode == ResolverMode::Forward && r.settings_.validate) {
    // Forwarders never refer: the signer names which keys validate this.
    dns::Name target = response_zone(msg, asked);
    if (!(target == keys_.zone) && !(walk_done_for_ && target == *walk_done_for_)) {
      start_walk(server, msg, target);
      return;
    }
  }
  ValidationContext ctx = res_.validation_context();
  ValidatedResponse vr = validate_response(msg, asked, asked_type, keys_, ctx);
  if (asked_minimised_) {
    // Only a referral is used from a minimised query (followed below, with
    // its DS validated); any other answer just says "no cut here", and is
    // not validated, as in Unbound.
    if (on_minimised_response(server, msg, vr)) return;
  }
  if (vr.verdict.is_bogus() &&
      (vr.verdict.reason == BogusReason::MissingRrsig ||
       vr.verdict.reason == BogusReason::MissingDenial) &&
      r.settings_.mode == ResolverMode::Recursive && !asked_minimised_) {
    // Unsigned data from a zone's servers may come from an unsigned child
    // they serve too (no referral showed the cut): the DS records between
    // decide, as for a signer below the zone.
    dns::Name owner_zone = response_zone(msg, asked);
    if (!(owner_zone == keys_.zone) && owner_zone.is_subdomain_of(keys_.zone) &&
        !(walk_done_for_ && owner_zone == *walk_done_for_)) {
      start_walk(server, msg, owner_zone);
      return;
    }
  }
  if (vr.verdict.is_bogus()) {
    on_bogus(server, vr.verdict);
    return;
  }
  if (!asked_minimised_ && vr.needs_keys_for && vr.kind != ResponseKind::Unusable) {
    start_walk(server, msg, *vr.needs_keys_for);
    return;
  }
  if (vr.kind == ResponseKind::Unusable) {
    server_failed(server, "unusable answer (" + dns::rcode_to_text(msg.rcode()) +
                              (msg.has_flag(dns::flag::AA) ? ", AA" : ", no AA") + ")");
    return;
  }
  if (vr.kind == ResponseKind::Referral) {
    on_referral(server, msg, vr);
    return;
  }
  Trust trust = msg.has_flag(dns::flag::AA) ? Trust::AuthAnswer : Trust::NonAuthAnswer;
  uint32_t ttl_cap = vr.verdict.is_secure() ? vr.ttl : 0;
  // Cache the answer section's RRsets that this validation covered: in the
  // zone's bailiwick and the keys' zone, on the chain before any exit.
  const auto covered = chain_names(msg.answer, qname_, vr.kind == ResponseKind::CnameExit
                                                           ? std::optional<dns::Name>(vr.next_name)
                                                           : std::nullopt);
  for (const auto& set : group_rrsets(msg.answer)) {
    if (set.rdatas.empty() || !set.owner.is_subdomain_of(zone_) ||
        !set.owner.is_subdomain_of(keys_.zone)) {
      continue;
    }
    if (set.type != dns::rrtype::DNAME &&
        std::find(covered.begin(), covered.end(), set.owner) == covered.end()) {
      continue;
    }
    std::vector<dns::ResourceRecord> records;
    append_records(set, records);
    uint32_t ttl = ttl_cap > 0 ? std::min(set.ttl, ttl_cap) : set.ttl;
    r.cache_.store_rrset(set.owner, set.type, std::move(records), ttl, trust, vr.verdict, now);
  }
  LookupOutcome o;
  o.verdict = vr.verdict;
  o.ttl = vr.ttl;
  o.answer = without_rrsigs(msg.answer, ttl_cap);
  switch (vr.kind) {
    case ResponseKind::Answer: o.kind = LookupOutcome::Kind::Answer; break;
    case ResponseKind::CnameExit:
      o.kind = LookupOutcome::Kind::CnameExit;
      o.next_name = vr.next_name;
      break;
    default: {
      o.kind = vr.kind == ResponseKind::NxDomain ? LookupOutcome::Kind::NxDomain
                                                 : LookupOutcome::Kind::NoData;
      CachedNegative neg;
      neg.rcode = vr.kind == ResponseKind::NxDomain ? dns::rcode::NXDOMAIN : dns::rcode::NOERROR;
      neg.authority = msg.authority;
      neg.verdict = vr.verdict;
      // Stored even with TTL 0: the positive data it denies goes either way.
      r.cache_.store_negative(chain_end(msg.answer, qname_), qtype_, neg, vr.ttl, now);
      break;
    }
  }
  finish(std::move(o));
}

}  // namespace flatns::resolver
