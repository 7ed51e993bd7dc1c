// The IANA root server addresses (https://www.iana.org/domains/root/servers,
// root hints file named.root), used when `resolver.root_hints` is not set.
#pragma once

#include <vector>

#include "dns/server_address.h"

namespace flatns::resolver {

[[nodiscard]] std::vector<dns::ServerAddress> builtin_root_hints();

}  // namespace flatns::resolver
