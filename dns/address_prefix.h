// IPv4 and IPv6 address prefixes ("10.0.0.0/8", "2001:db8::/32", or one
// address): who may transfer a zone (transfer/acl.h), the private
// addresses the resolver keeps out of answers, and the NAT64 prefix
// (resolver_settings.h).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dns/server_address.h"

namespace flatns::dns {

struct AddressPrefix {
  int family = AF_INET;
  std::array<uint8_t, 16> bytes{};
  uint8_t length = 0;  // prefix length in bits

  // On failure returns false and sets `error` (what is wrong).
  [[nodiscard]] static bool parse(std::string_view text, AddressPrefix& out, std::string& error);
  [[nodiscard]] bool contains(const sockaddr* address) const;
  // An address in network order: 4 octets (IPv4) or 16 (IPv6), as in A and
  // AAAA RDATA; another size is never contained.
  [[nodiscard]] bool contains(std::span<const uint8_t> address) const;
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const AddressPrefix&, const AddressPrefix&) = default;
};

// RFC 6052 §2.2: the IPv4-embedded IPv6 address of `ipv4` in `prefix` (an
// IPv6 prefix of length 32, 40, 48, 56, 64 or 96; bits 64-71 stay zero),
// with the same port; anything else is returned unchanged.
[[nodiscard]] ServerAddress nat64_address(const AddressPrefix& prefix, const ServerAddress& ipv4);
[[nodiscard]] bool nat64_prefix_length_valid(unsigned length);
// 64:ff9b::/96 (RFC 6052 §2.1).
[[nodiscard]] AddressPrefix nat64_well_known_prefix();

}  // namespace flatns::dns
