// `flatns resolve`: one resolution with the configured resolver settings, on
// a private event loop, printed for an operator (compare BIND's delv): the
// CNAME chain and records as dig prints them, then the rcode, the verdict
// word (secure, insecure, bogus, indeterminate) and, for bogus answers, the
// reason with its RFC 8914 EDE code, the zone and the upstream server.
#pragma once

#include <cstdint>
#include <iostream>
#include <string>

#include "resolver-client/resolver_settings.h"

namespace flatns::resolver {

// Exit status: 0 for secure or insecure answers (NXDOMAIN and NODATA
// included), 1 for bogus, indeterminate or failure, 2 for bad arguments.
// Warnings from the resolver (bad upstream servers) go to `err`.
[[nodiscard]] int run_resolve_command(const ResolverSettings& settings, const std::string& name,
                                      const std::string& type, uint32_t deadline_ms,
                                      std::ostream& out = std::cout, std::ostream& err = std::cerr);

}  // namespace flatns::resolver
