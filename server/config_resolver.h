// The resolver's protection and reach keys of `resolver:`, parsed here,
// apart from server/config.cpp, which hands each of these keys to
// parse_resolver_key().
//
//   resolver.private_addresses  none; address prefixes ("10.0.0.0/8",
//                               "fd00::/8") never accepted in upstream
//                               answers (DNS-rebinding protection, as
//                               Unbound's private-address)
//   resolver.private_domains    none; names at and below which private
//                               addresses are accepted (private-domain)
//   resolver.do_not_query       none; address prefixes of servers never
//                               asked (Unbound's do-not-query-address)
//   resolver.insecure_domains   none; negative trust anchors (RFC 7646):
//                               names at and below are not validated
//                               (Unbound's domain-insecure)
//   resolver.nat64              false; reach IPv4 servers through NAT64
//                               (an IPv6-only host; RFC 6052 addresses)
//   resolver.nat64_prefix       64:ff9b::/96; the NAT64 prefix, length
//                               32, 40, 48, 56, 64 or 96
//   resolver.harden_unverified_glue
//                               false; an NS name outside the delegated
//                               zone is looked up rather than taken from
//                               the referral's glue, the glue the last
//                               resort (Unbound's harden-unverified-glue)
//   resolver.stub_zones         none; [{name, servers, fall_back: false,
//                               no_cache: false, tcp: false}]: zones below the root
//                               whose authoritative servers are given
//                               (Unbound's stub-zone, stub-first,
//                               stub-no-cache, stub-tcp-upstream)
//   resolver.forward_zones      none; the same, the servers being
//                               resolvers asked with RD=1 (forward-zone,
//                               forward-first, forward-no-cache,
//                               forward-tcp-upstream)
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "resolver-client/resolver_settings.h"
#include "server/config_ops.h"

namespace flatns::server {

inline constexpr std::string_view kResolverPolicyKeys[] = {
    "private_addresses", "private_domains", "do_not_query", "insecure_domains", "nat64", "nat64_prefix",
    "harden_unverified_glue", "stub_zones", "forward_zones"};

// Parses `resolver.<key>` (one of kResolverPolicyKeys) into `r`.
void parse_resolver_key(std::string_view key, const YAML::Node& value, const std::string& path, std::size_t line,
                        resolver::ResolverSettings& r, const OpsErrorSink& error);

}  // namespace flatns::server
