#include "dns/address_prefix.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <optional>

namespace flatns::dns {

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

bool AddressPrefix::contains(std::span<const uint8_t> a) const {
  if (a.size() != (family == AF_INET ? 4u : 16u)) return false;
  const unsigned whole = length / 8, rest = length % 8;
  if (std::memcmp(a.data(), bytes.data(), whole) != 0) return false;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (bytes[whole] & mask);
}

bool AddressPrefix::contains(const sockaddr* address) const {
  if (!address || address->sa_family != family) return false;
  if (family == AF_INET) {
    const auto* in = &reinterpret_cast<const sockaddr_in*>(address)->sin_addr;
    return contains(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(in), 4));
  }
  const auto* in6 = &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
  return contains(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(in6), 16));
}

std::string AddressPrefix::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, bytes.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(length);
}

bool nat64_prefix_length_valid(unsigned length) {
  return length == 32 || length == 40 || length == 48 || length == 56 || length == 64 || length == 96;
}

AddressPrefix nat64_well_known_prefix() {
  AddressPrefix p;
  p.family = AF_INET6;
  p.bytes = {0x00, 0x64, 0xff, 0x9b};
  p.length = 96;
  return p;
}

ServerAddress nat64_address(const AddressPrefix& prefix, const ServerAddress& ipv4) {
  if (ipv4.family() != AF_INET || prefix.family != AF_INET6 || !nat64_prefix_length_valid(prefix.length)) {
    return ipv4;
  }
  const auto* in = reinterpret_cast<const sockaddr_in*>(&ipv4.storage);
  const auto* v4 = reinterpret_cast<const uint8_t*>(&in->sin_addr);
  sockaddr_in6 out{};
  out.sin6_family = AF_INET6;
  out.sin6_port = in->sin_port;
  auto* v6 = reinterpret_cast<uint8_t*>(&out.sin6_addr);
  std::memcpy(v6, prefix.bytes.data(), prefix.length / 8);
  std::size_t at = prefix.length / 8;
  for (int i = 0; i < 4; ++i, ++at) {
    if (at == 8) ++at;  // the "u" octet (bits 64-71) is zero
    v6[at] = v4[i];
  }
  ServerAddress result;
  std::memcpy(&result.storage, &out, sizeof out);
  result.length = sizeof out;
  return result;
}

}  // namespace flatns::dns
