// Settings of the embedded resolver (the `resolver:` section of the YAML
// config, converted by server/), its limits, the log hook it reports
// bad upstream servers through, and the observer of its upstream traffic. resolver-client knows nothing of YAML.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dns/address_prefix.h"
#include "dns/limits.h"
#include "dns/log_level.h"
#include "dns/message.h"
#include "dns/name.h"
#include "dns/server_address.h"
#include "resolver-client/traffic_observer.h"
#include "resolver-client/val_context.h"

namespace flatns::resolver {

enum class ResolverMode : uint8_t { Recursive, Forward };
using dns::LogLevel;
using LogFunction = std::function<void(LogLevel, std::string_view)>;

struct ResolverLimits {
  unsigned max_cname_chain = dns::kMaxCnameChain;  // CNAMEs followed per resolution
  unsigned max_referrals = 24;          // zone cuts descended per name
  unsigned max_queries = 64;            // upstream queries per resolution (NXNS, CVE-2020-12662)
  unsigned max_ns_lookups = 16;         // NS names resolved (A and AAAA) for missing glue per resolution
  // NS names whose lookups the servers answered without an address
  // (NXDOMAIN, NODATA, failure) per resolution; past this many no more NS
  // names are looked up (NXNS, CVE-2020-12662). Answers from the cache do
  // not count: they cost no query, and a delegation whose first names are
  // known not to exist can still be reached through its others.
  unsigned max_failed_ns_lookups = 5;
  unsigned max_sub_depth = 3;           // nesting of NS-address lookups
  unsigned max_ns_rrset = 20;           // NS records of one owner read from a reply (reply_scrub.h)
  unsigned bogus_retries = 4;           // other servers re-asked after a bogus answer
  std::size_t max_response_size = dns::kMaxMessageSize;
  uint32_t min_timeout_ms = 50;         // adaptive per-server timeout bounds
  uint32_t max_timeout_ms = 1500;
  uint32_t unknown_server_timeout_ms = 400;  // before any RTT is measured
  uint32_t bogus_backoff_s = 300;       // first back-off for a server that served bogus data
  // First back-off after repeated timeouts; also how long a query type a
  // server dropped 3 times in a row is not asked of it (server_health.h).
  uint32_t timeout_backoff_s = 30;
  uint32_t max_backoff_s = 3600;
  uint32_t max_cache_ttl_s = 86400;
  uint32_t max_negative_ttl_s = 3600;   // RFC 2308 §5
  // NSEC3 iterations above this make a denial insecure (RFC 9276 §3.2); the
  // default and its reasons are ValidatorOptions'.
  uint16_t max_nsec3_iterations = ValidatorOptions{}.max_nsec3_iterations;
};

// A zone whose servers are given instead of found (Unbound's stub-zone and
// forward-zone): names at and below `zone` start there rather than at the
// root. A stub's servers are authorities, asked with RD=0, and their
// referrals are followed; a forward zone's servers are recursive resolvers,
// asked with RD=1 and CD=1 for every name below it, their answers validated
// here from the trust anchors as in forward mode. The deepest configured
// zone enclosing a name wins. With `fall_back` (stub-first, forward-first)
// a name none of the servers answer is resolved again from the root; with
// `no_cache` (forward-no-cache, stub-no-cache) answers for names below it
// are always asked (the cache still holds server addresses and keys). With
// `tcp` (forward-tcp-upstream, stub-tcp-upstream) its servers are asked over
// TCP only; servers found below it, or the root after a fall-back, are not.
struct ConfiguredZone {
  dns::Name zone;
  std::vector<dns::ServerAddress> servers;
  bool forward = false;
  bool fall_back = false;
  bool no_cache = false;
  bool tcp = false;

  friend bool operator==(const ConfiguredZone&, const ConfiguredZone&) = default;
};

struct ResolverSettings {
  ResolverMode mode = ResolverMode::Recursive;
  std::vector<dns::ServerAddress> root_hints;  // empty: the IANA root servers (root_hints.h)
  std::vector<dns::ServerAddress> forwarders;  // forward mode
  std::vector<ConfiguredZone> zones;           // stub and forward zones below the root
  std::string trust_anchors_file;         // empty: the built-in IANA root anchors
  std::string trust_anchors_text;         // zone-file text, used instead of a file (tests)
  bool validate = true;                   // resolver.dnssec: validate | off
  bool qname_minimisation = true;         // RFC 9156, relaxed (recursive mode only)
  // resolver.aggressive_nsec: NXDOMAIN / NODATA synthesized from cached,
  // validated NSEC records (RFC 8198; nsec_cache.h), as Unbound's default.
  bool aggressive_nsec = true;
  // Validate DSA (algorithms 3, 6) instead of treating it as unsupported
  // (RFC 8624 §3.1: MUST NOT validate). Not a config key: Unbound validates
  // DSA and its test scenarios (tests/replay) are DSA-signed.
  bool accept_dsa = false;
  // Unbound's iter-scrub-promiscuous: the NS RRset in the authority section
  // of an answer (not a referral) is left out of the cache, where a zone's
  // server could otherwise rewrite its own delegation (or, spoofed, a
  // poisoner). Off, it becomes the zone's cached NS RRset, ranked above the
  // parent's referral and never outliving it (resolver_cache.h). Not a
  // config key: an operator has no reason to give up the defence; Unbound's
  // test scenarios (tests/replay) turn it off.
  bool scrub_promiscuous = true;
  // resolver.harden_unverified_glue (Unbound's harden-unverified-glue): a
  // referral's glue for a name outside the delegated zone (sibling glue:
  // ns1.examplesibling.com. in com.'s referral for example.com.) is not
  // used as given, since a stale or poisoned address would send the whole
  // zone to the wrong server: the name is looked up (A and AAAA) instead,
  // and the glue is asked only as the last resort, when that lookup found no
  // address or every address of the zone failed. Glue at or below the
  // delegated zone, which cannot be found without it, is used as given.
  bool harden_unverified_glue = false;
  std::size_t cache_max_bytes = 32u << 20;
  // DNS-rebinding protection (Unbound's private-address, private-domain):
  // A and AAAA records in an address of `private_addresses`, and SVCB/HTTPS
  // records with such an address hint (RFC 9460 §7.3), are removed from
  // every upstream response unless their owner is at or below one of
  // `private_domains`. A signed RRset losing records then fails validation.
  std::vector<dns::AddressPrefix> private_addresses;
  std::vector<dns::Name> private_domains;
  // Upstream servers never asked (Unbound's do-not-query-address): a
  // delegation naming only such addresses fails as one whose servers are
  // all unreachable. With NAT64 on, an IPv6 server inside `nat64_prefix`
  // is asked all the same (an IPv6-only host blocking ::/0 still reaches
  // its gateway), and an IPv4 server is judged by its own address, before
  // synthesis, as Unbound does (iter_utils.c).
  std::vector<dns::AddressPrefix> do_not_query;
  // Negative trust anchors (RFC 7646; Unbound's domain-insecure): names at
  // and below these are not validated (insecure), whatever the DS chain says.
  std::vector<dns::Name> insecure_domains;
  // NAT64 (RFC 6052 §2.2; Unbound's do-nat64, nat64-prefix): on a host
  // without IPv4, an IPv4 upstream server is reached at its address
  // synthesised in `nat64_prefix` (length 32, 40, 48, 56, 64 or 96).
  bool nat64 = false;
  dns::AddressPrefix nat64_prefix = dns::nat64_well_known_prefix();
  ResolverLimits limits;
  LogFunction log;  // may be empty (nothing logged)
  // Hears each upstream query and accepted response (dnstap); may be null.
  std::shared_ptr<TrafficObserver> traffic;
};

}  // namespace flatns::resolver
