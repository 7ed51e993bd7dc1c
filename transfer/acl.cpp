#include "transfer/acl.h"

namespace flatns::transfer {

const AclEntry* match_acl(const std::vector<AclEntry>& acl, const sockaddr* address, const dns::Name* key) {
  for (const auto& entry : acl) {
    if (!entry.prefix.contains(address)) continue;
    if (entry.key && (!key || !(*entry.key == *key))) continue;
    return &entry;
  }
  return nullptr;
}

}  // namespace flatns::transfer
