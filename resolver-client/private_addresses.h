// DNS-rebinding protection, as Unbound's private-address and private-domain
// do it: upstream responses lose the A and AAAA records whose address lies
// in ResolverSettings::private_addresses, and the SVCB and HTTPS records
// with such an address in an ipv4hint or ipv6hint (RFC 9460 §7.3), in
// every section, unless the record's owner is at or below one of
// ResolverSettings::private_domains. Only those records go: the rest of an
// RRset stays, and an RRset left empty makes the answer NODATA. Applied
// before validation, so a signed RRset that loses records is bogus.
#pragma once

#include <cstddef>

#include "dns/message_parser.h"
#include "resolver-client/resolver_settings.h"

namespace flatns::resolver {

// Removes the private records from `msg`; returns how many went.
std::size_t remove_private_addresses(dns::Message& msg, const ResolverSettings& settings);

}  // namespace flatns::resolver
