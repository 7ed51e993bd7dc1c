// Who may transfer a zone (`allow_transfer`): address prefixes, each with an
// optional TSIG key that the request must be signed with (RFC 8945) and the
// `expand` flag for foreign secondaries. Like BIND's allow-transfer and
// Knot's acl: the first entry whose prefix holds the client and whose key
// (when it names one) signed the request allows it; anything else is refused.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/address_prefix.h"
#include "dns/name.h"

namespace flatns::transfer {

// An IPv4 or IPv6 prefix: "127.0.0.0/8", "2001:db8::/32", or one address.
using dns::AddressPrefix;

struct AclEntry {
  AddressPrefix prefix;
  std::optional<dns::Name> key;  // the TSIG key the request must be signed with
  bool expand = false;           // send flattened A/AAAA instead of apex CNAME/ALIAS
};

// The first entry that allows a client at `address` whose request was
// signed with `key` (null: unsigned); null when none does.
[[nodiscard]] const AclEntry* match_acl(const std::vector<AclEntry>& acl, const sockaddr* address,
                                        const dns::Name* key);

}  // namespace flatns::transfer
