// Socket addresses as written in the configuration ("192.0.2.1:53",
// "[2001:db8::1]:53"; "192.0.2.1", "2001:db8::1" or "[2001:db8::1]" where a
// default port applies) are the resolver client's addresses: one type, one
// parser (resolver-client/server_address.h). The configuration prefixes each
// error with its key path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "resolver-client/server_address.h"

namespace flatns::server {

using SocketAddress = resolver::ServerAddress;

// Without `default_port` the port is required. On failure returns false and
// sets `error` (what is wrong, e.g. "port 70000 out of range 1-65535").
[[nodiscard]] inline bool parse_socket_address(std::string_view text, std::optional<uint16_t> default_port,
                                               SocketAddress& out, std::string& error) {
  return SocketAddress::parse(text, default_port, out, error);
}

}  // namespace flatns::server
