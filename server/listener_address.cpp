#include "server/listener_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace flatns::server {
namespace {

bool parse_port(std::string_view text, uint16_t& port, std::string& error) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    error = "port '" + std::string(text) + "' is not a number";
    return false;
  }
  if (value == 0 || value > 65535) {
    error = "port " + std::string(text) + " out of range 1-65535";
    return false;
  }
  port = static_cast<uint16_t>(value);
  return true;
}

bool fill(std::string_view host, uint16_t port, bool ipv6_only, SocketAddress& out, std::string& error) {
  std::string h(host);
  out = SocketAddress{};
  if (!ipv6_only) {
    sockaddr_in v4{};
    if (inet_pton(AF_INET, h.c_str(), &v4.sin_addr) == 1) {
      v4.sin_family = AF_INET;
      v4.sin_port = htons(port);
      std::memcpy(&out.storage, &v4, sizeof v4);
      out.length = sizeof v4;
      return true;
    }
  }
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    std::memcpy(&out.storage, &v6, sizeof v6);
    out.length = sizeof v6;
    return true;
  }
  error = "'" + h + "' is not a numeric " + (ipv6_only ? "IPv6" : "IPv4 or IPv6") + " address";
  return false;
}

}  // namespace

uint16_t SocketAddress::port() const {
  if (storage.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

std::string SocketAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = "?";
  if (storage.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(port());
  }
  if (storage.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(port());
  }
  return "?";
}

bool parse_socket_address(std::string_view text, std::optional<uint16_t> default_port, SocketAddress& out,
                          std::string& error) {
  if (text.empty()) {
    error = "empty address";
    return false;
  }
  std::string_view host;
  std::string_view port_text;
  bool bracketed = text.front() == '[';
  if (bracketed) {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      error = "'" + std::string(text) + "' has '[' without ']'";
      return false;
    }
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "'" + std::string(text) + "': expected ':port' after ']'";
        return false;
      }
      port_text = rest.substr(1);
      if (port_text.empty()) {
        error = "'" + std::string(text) + "': missing port after ':'";
        return false;
      }
    }
  } else {
    auto colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
      host = text.substr(0, colon);
      port_text = text.substr(colon + 1);
      if (port_text.empty()) {
        error = "'" + std::string(text) + "': missing port after ':'";
        return false;
      }
    } else {
      host = text;  // IPv4 without port, or a bare IPv6 address (which cannot carry a port)
    }
  }
  uint16_t port = 0;
  if (port_text.empty()) {
    if (!default_port) {
      error = "'" + std::string(text) + "' has no port (write host:port, or [IPv6]:port)";
      return false;
    }
    port = *default_port;
  } else if (!parse_port(port_text, port, error)) {
    return false;
  }
  return fill(host, port, bracketed, out, error);
}

}  // namespace flatns::server
