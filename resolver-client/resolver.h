// The embedded resolver's public API: resolve(name, type, deadline, callback)
// on an event loop, iterating from the root (primed from the hints, RFC
// 8109: priming.cpp) or asking forwarders, and
// validating with resolver-client/validator.h, with caches, per-server health
// and hard limits. See resolution.h for how one resolution proceeds.
//
// Threading: a Resolver, its Transport and Clock belong to one event loop and
// are used from that loop's thread only; a server with several worker loops
// creates one Resolver per loop (caches are per loop, no locks). The callback
// always runs on the loop, never from inside resolve(), and always by the
// deadline: when the deadline passes first, the result is SERVFAIL with an
// indeterminate verdict naming the servers tried.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dns/message_parser.h"
#include "dns/name.h"
#include "dns/rcode.h"
#include "resolver-client/clock.h"
#include "resolver-client/resolver_cache.h"
#include "resolver-client/resolver_settings.h"
#include "resolver-client/server_health.h"
#include "resolver-client/transport.h"
#include "resolver-client/val_anchor.h"
#include "resolver-client/verdict.h"

namespace flatns::resolver {

struct ResolutionStats {
  unsigned queries_sent = 0;
  unsigned cache_hits = 0;
  std::vector<std::string> servers_tried;  // addresses, in first-use order, no repeats
  uint32_t elapsed_ms = 0;
};

struct Result {
  dns::Name qname;
  uint16_t qtype = 0;
  // NOERROR (answer or NODATA), NXDOMAIN, YXDOMAIN (a DNAME substitution
  // too long, RFC 6672 §2.2: the server's rcode, passed on) or SERVFAIL.
  uint16_t rcode = dns::rcode::SERVFAIL;
  // The CNAMEs followed from qname, in order (RFC 1034 §3.6.2), then the
  // final RRset of qtype at final_name (empty for NXDOMAIN / NODATA).
  // qtype ANY: every RRset the server gave at qname (RFC 8482 allows a
  // subset; a CNAME there is one of them and is not followed), RRSIGs left
  // out. qtype RRSIG: the RRSIG records at qname (after any CNAMEs), which
  // are not validated (an RRSIG RRset has no signature of its own): the
  // verdict is insecure, InsecureReason::NotValidated, as in Unbound.
  std::vector<dns::ResourceRecord> cname_chain;
  std::vector<dns::ResourceRecord> answer;
  dns::Name final_name;
  // NXDOMAIN / NODATA: the proof, as an authority section (SOA and
  // NSEC/NSEC3 records with their RRSIGs), whether from the servers, the
  // negative cache or synthesized from cached NSECs (RFC 8198).
  std::vector<dns::ResourceRecord> authority;
  // Smallest TTL over the chain and the answer (or the negative TTL).
  uint32_t ttl = 0;
  // Combined verdict of every step; for bogus, the zone, server and reason.
  Verdict verdict;
  bool deadline_reached = false;
  std::string failure;  // for SERVFAIL: what went wrong, naming servers
  // Records the servers sent whose RDATA does not fit their type (an A
  // record of 3 octets), removed from the responses before use, as
  // Unbound's scrubber does; the first one's owner and type in
  // malformed_example.
  unsigned malformed_removed = 0;
  std::string malformed_example;
  ResolutionStats stats;

  // RFC 8914 INFO-CODE of the answer: Other (0) when malformed records were
  // removed (the cause of whatever followed, as Unbound reports it), else
  // the verdict's (Verdict::ede_code()).
  [[nodiscard]] std::optional<uint16_t> ede_code() const;

  [[nodiscard]] bool nxdomain() const { return rcode == dns::rcode::NXDOMAIN; }
  [[nodiscard]] bool nodata() const { return rcode == dns::rcode::NOERROR && answer.empty(); }
};

using ResultCallback = std::function<void(Result&&)>;

// Added to the remaining TTL of the answer a refresh renews (Unbound's
// PREFETCH_EXPIRY_ADD): delegations expiring within it are asked again.
inline constexpr uint32_t kRefreshLeewayS = 60;

struct ResolveOptions {
  // A refresh (a prefetch, as Unbound's): the CNAMEs from the query name and
  // the final answer (or its NXDOMAIN / NODATA) are asked from the servers
  // even when cached, so the result carries fresh data and its full TTL;
  // delegations, server addresses, DNSKEY and DS still come from the cache.
  // A positive answer replaces the cached RRset. A delegation that expires
  // within the cached answer's remaining TTL plus kRefreshLeewayS counts
  // as expired (Unbound's prefetch leeway): the parent is asked for it
  // again, so a refresh never renews an answer from servers a zone is
  // about to leave (a moved domain is found before the answer expires).
  bool refresh = false;
  // Checking disabled (a client's CD=1, RFC 4035 §3.2.2, RFC 6840 §5.9):
  // the data is returned as the servers gave it, bogus or not, without
  // asking for DNSKEY or DS; the verdict is insecure (NotValidated) unless
  // validated data came from the cache. Nothing it fetched is cached as an
  // answer, so a later validating query never takes unchecked data.
  bool checking_disabled = false;
};

class Resolution;

class Resolver {
 public:
  Resolver(ResolverSettings settings, Transport& transport, Clock& clock);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Loads the trust anchors. False with `error` naming the file and line.
  [[nodiscard]] bool init(std::string& error);

  // Resolves (name, qtype, IN). `deadline_ms` from now bounds everything.
  void resolve(const dns::Name& name, uint16_t qtype, uint32_t deadline_ms, ResultCallback done);
  void resolve(const dns::Name& name, uint16_t qtype, uint32_t deadline_ms, ResolveOptions options,
               ResultCallback done);

  [[nodiscard]] ResolverCache& cache() { return cache_; }
  [[nodiscard]] ServerHealth& health() { return health_; }
  [[nodiscard]] const ResolverSettings& settings() const { return settings_; }
  [[nodiscard]] std::size_t active() const { return active_.size(); }

  // What the resolutions share (resolution.h, iteration.h, key_finder.h).
  [[nodiscard]] Clock& clock() { return clock_; }
  [[nodiscard]] Transport& transport() { return transport_; }
  [[nodiscard]] const TrustAnchors& anchors() const { return anchors_; }
  [[nodiscard]] const std::vector<dns::ServerAddress>& root_servers() const { return root_servers_; }
  // Root priming (RFC 8109, priming.cpp): whether an Iteration that needs
  // the root should prime it now, or take the hints (a priming query is in
  // flight, or the last one failed and its hold has not run out).
  [[nodiscard]] bool priming_due(uint64_t now_ms) const { return now_ms >= priming_hold_until_ms_; }
  void hold_priming(uint64_t until_ms) { priming_hold_until_ms_ = until_ms; }
  // The deepest stub or forward zone (settings().zones) at or above `name`,
  // or null.
  [[nodiscard]] const ConfiguredZone* configured_zone(const dns::Name& name) const;
  // The deepest negative trust anchor (settings().insecure_domains) at or
  // above `name`, or null.
  [[nodiscard]] const dns::Name* negative_anchor(const dns::Name& name) const;
  // To settings().log, when set.
  void log(LogLevel level, const std::string& text) const;

 private:

  ResolverSettings settings_;
  Transport& transport_;
  Clock& clock_;
  ResolverCache cache_;
  ServerHealth health_;
  TrustAnchors anchors_;
  std::vector<dns::ServerAddress> root_servers_;
  uint64_t priming_hold_until_ms_ = 0;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<Resolution>> active_;
};

}  // namespace flatns::resolver
