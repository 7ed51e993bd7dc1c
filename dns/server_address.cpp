#include "dns/server_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <functional>

namespace flatns::dns {
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

}  // namespace

uint16_t ServerAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

std::string ServerAddress::host() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, buf, sizeof buf);
  } else if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, buf, sizeof buf);
  } else {
    return "(no address)";
  }
  return buf;
}

std::string ServerAddress::to_string() const {
  if (family() == AF_INET6) return "[" + host() + "]:" + std::to_string(port());
  return host() + ":" + std::to_string(port());
}

ServerAddress ServerAddress::from_rdata(std::span<const uint8_t> rdata, uint16_t port) {
  ServerAddress a;
  if (rdata.size() == 4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, rdata.data(), 4);
    a.length = sizeof(sockaddr_in);
  } else if (rdata.size() == 16) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, rdata.data(), 16);
    a.length = sizeof(sockaddr_in6);
  }
  return a;
}

ServerAddress ServerAddress::from_sockaddr(const sockaddr* sa) {
  ServerAddress a;
  if (sa->sa_family == AF_INET) {
    std::memcpy(&a.storage, sa, sizeof(sockaddr_in));
    a.length = sizeof(sockaddr_in);
  } else if (sa->sa_family == AF_INET6) {
    std::memcpy(&a.storage, sa, sizeof(sockaddr_in6));
    a.length = sizeof(sockaddr_in6);
  }
  return a;
}

bool ServerAddress::parse(std::string_view text, std::optional<uint16_t> default_port, ServerAddress& out,
                          std::string& error) {
  if (text.empty()) {
    error = "empty address";
    return false;
  }
  std::string_view host;
  std::string_view port_text;
  const bool bracketed = text.front() == '[';
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
  const std::string h(host);
  uint8_t bytes[16];
  if (!bracketed && inet_pton(AF_INET, h.c_str(), bytes) == 1) {
    out = from_rdata({bytes, 4}, port);
    return true;
  }
  if (inet_pton(AF_INET6, h.c_str(), bytes) == 1) {
    out = from_rdata({bytes, 16}, port);
    return true;
  }
  error = "'" + h + "' is not a numeric " + (bracketed ? "IPv6" : "IPv4 or IPv6") + " address";
  return false;
}

bool operator==(const ServerAddress& a, const ServerAddress& b) {
  if (a.family() != b.family() || a.port() != b.port()) return false;
  if (a.family() == AF_INET) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_addr,
                       &reinterpret_cast<const sockaddr_in*>(&b.storage)->sin_addr, 4) == 0;
  }
  if (a.family() == AF_INET6) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(&b.storage)->sin6_addr, 16) == 0;
  }
  return a.length == b.length;
}

std::size_t ServerAddressHash::operator()(const ServerAddress& a) const {
  return std::hash<std::string>()(a.to_string());
}

}  // namespace flatns::dns
