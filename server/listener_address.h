// Socket addresses as written in the configuration: "192.0.2.1:53",
// "[2001:db8::1]:53", and, where a default port applies, "192.0.2.1",
// "2001:db8::1" or "[2001:db8::1]". Only numeric addresses are accepted:
// a DNS server must not depend on name resolution to start.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flatns::server {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  [[nodiscard]] int family() const { return storage.ss_family; }
  [[nodiscard]] uint16_t port() const;
  // "192.0.2.1:53" / "[2001:db8::1]:53"
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] const sockaddr* sockaddr_ptr() const {
    return reinterpret_cast<const sockaddr*>(&storage);
  }
  friend bool operator==(const SocketAddress& a, const SocketAddress& b) {
    return a.to_string() == b.to_string();
  }
};

// Parses `text`. Without `default_port` the port is required. On failure
// returns false and sets `error` (what is wrong, e.g. "port 70000 out of range").
[[nodiscard]] bool parse_socket_address(std::string_view text, std::optional<uint16_t> default_port,
                                        SocketAddress& out, std::string& error);

}  // namespace flatns::server
