#include "resolver-client/server_address.h"

#include <arpa/inet.h>

#include <cstring>
#include <algorithm>
#include <functional>

namespace flatns::resolver {

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

bool ServerAddress::parse(std::string_view text, uint16_t default_port, ServerAddress& out,
                          std::string& error) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      error = "'" + std::string(text) + "': missing ']'";
      return false;
    }
    host = std::string(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "'" + std::string(text) + "': expected ':' after ']'";
        return false;
      }
      port_text = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    auto colon = text.find(':');
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  } else {
    host = std::string(text);
  }
  uint32_t port = default_port;
  if (!port_text.empty()) {
    port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535) {
        error = "'" + std::string(text) + "': bad port";
        return false;
      }
      port = port * 10 + static_cast<uint32_t>(c - '0');
    }
    if (port == 0 || port > 65535) {
      error = "'" + std::string(text) + "': port out of range";
      return false;
    }
  }
  uint8_t bytes[16];
  if (inet_pton(AF_INET, host.c_str(), bytes) == 1) {
    out = from_rdata({bytes, 4}, static_cast<uint16_t>(port));
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), bytes) == 1) {
    out = from_rdata({bytes, 16}, static_cast<uint16_t>(port));
    return true;
  }
  error = "'" + std::string(text) + "' is not a numeric IPv4 or IPv6 address";
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

}  // namespace flatns::resolver
