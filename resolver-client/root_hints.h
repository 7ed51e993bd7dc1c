// The IANA root server addresses (https://www.iana.org/domains/root/servers,
// root hints file named.root), used when `resolver.root_hints` is not set.
#pragma once

#include <vector>

#include "resolver-client/server_address.h"

namespace flatns::resolver {

[[nodiscard]] std::vector<ServerAddress> builtin_root_hints();

}  // namespace flatns::resolver
