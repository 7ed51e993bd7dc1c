#include "transfer/acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace flatns::transfer {

bool AddressPrefix::parse(std::string_view text, AddressPrefix& out, std::string& error) {
  std::string_view address = text;
  std::optional<unsigned> length;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    address = text.substr(0, slash);
    std::string_view digits = text.substr(slash + 1);
    unsigned n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      error = "'" + std::string(text) + "': prefix length is not a number";
      return false;
    }
    length = n;
  }
  const std::string host(address);
  AddressPrefix p;
  if (inet_pton(AF_INET, host.c_str(), p.bytes.data()) == 1) {
    p.family = AF_INET;
    p.length = 32;
  } else if (inet_pton(AF_INET6, host.c_str(), p.bytes.data()) == 1) {
    p.family = AF_INET6;
    p.length = 128;
  } else {
    error = "'" + std::string(text) + "' is not an IPv4 or IPv6 address or prefix";
    return false;
  }
  if (length) {
    if (*length > p.length) {
      error = "'" + std::string(text) + "': prefix length above " + std::to_string(p.length);
      return false;
    }
    p.length = static_cast<uint8_t>(*length);
  }
  out = p;
  return true;
}

bool AddressPrefix::contains(const sockaddr* address) const {
  if (!address || address->sa_family != family) return false;
  const uint8_t* a = nullptr;
  if (family == AF_INET) {
    a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(address)->sin_addr);
  } else {
    a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr);
  }
  const unsigned whole = length / 8, rest = length % 8;
  if (std::memcmp(a, bytes.data(), whole) != 0) return false;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (bytes[whole] & mask);
}

std::string AddressPrefix::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, bytes.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(length);
}

const AclEntry* match_acl(const std::vector<AclEntry>& acl, const sockaddr* address, const dns::Name* key) {
  for (const auto& entry : acl) {
    if (!entry.prefix.contains(address)) continue;
    if (entry.key && (!key || !(*entry.key == *key))) continue;
    return &entry;
  }
  return nullptr;
}

}  // namespace flatns::transfer
