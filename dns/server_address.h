// Socket addresses (IPv4 or IPv6 with a port): the upstream servers of the
// resolver client and the server's listen addresses. Parsed from
// "192.0.2.1:53", "[2001:db8::1]:53", and where a default port applies
// "192.0.2.1", "2001:db8::1" or "[2001:db8::1]"; built from A/AAAA RDATA,
// compared and hashed so they can key the per-server health table. Numeric
// only: neither a resolver nor a DNS server may depend on name resolution.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace flatns::dns {

struct ServerAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  [[nodiscard]] int family() const { return storage.ss_family; }
  [[nodiscard]] uint16_t port() const;
  [[nodiscard]] bool valid() const { return length != 0; }
  // "192.0.2.1:53" / "[2001:db8::1]:53"
  [[nodiscard]] std::string to_string() const;
  // Address only, without the port: "192.0.2.1" / "2001:db8::1"
  [[nodiscard]] std::string host() const;
  [[nodiscard]] const sockaddr* sockaddr_ptr() const {
    return reinterpret_cast<const sockaddr*>(&storage);
  }
  // From A (4 octets) or AAAA (16 octets) RDATA; invalid() for other sizes.
  [[nodiscard]] static ServerAddress from_rdata(std::span<const uint8_t> rdata, uint16_t port);
  [[nodiscard]] static ServerAddress from_sockaddr(const sockaddr* sa);
  // Parses the textual forms above; `default_port` applies when none is
  // written, and without it the port is required. On failure returns false
  // and sets `error` to what is wrong ("port 70000 out of range 1-65535").
  [[nodiscard]] static bool parse(std::string_view text, std::optional<uint16_t> default_port,
                                  ServerAddress& out, std::string& error);

  // Same family, address and port.
  friend bool operator==(const ServerAddress& a, const ServerAddress& b);
};

struct ServerAddressHash {
  std::size_t operator()(const ServerAddress& a) const;
};

}  // namespace flatns::dns
