// A small DNS client for the flattening tests of the server: queries with
// EDNS (so Extended DNS Errors come back) over UDP and TCP on 127.0.0.1,
// answers parsed with dns::parse_message, and the EDE option read out.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "daemon_test_support.h"
#include "dns/message_parser.h"
#include "dns/rrtype.h"
#include "tests/support/ede.h"

namespace flatns::test {

using testing::ede_code_of;
using testing::ede_text_of;

inline std::vector<uint8_t> edns_query(const std::string& name, uint16_t type, uint16_t id) {
  std::vector<uint8_t> query(512);
  dns::QueryOptions o;
  o.id = id;
  o.edns = true;
  query.resize(dns::write_query(query, dns::Name::parse(name).wire(), type, o));
  return query;
}

inline std::optional<dns::Message> parse_reply(const std::vector<uint8_t>& bytes) {
  dns::Message m;
  std::string error;
  if (!dns::parse_message(bytes, m, error)) return std::nullopt;
  return m;
}

// A UDP socket of its own (its own source port), so several can be in flight.
class UdpAsker {
 public:
  explicit UdpAsker(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    to_.sin_family = AF_INET;
    to_.sin_port = htons(port);
    to_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  ~UdpAsker() {
    if (fd_ >= 0) close(fd_);
  }
  UdpAsker(const UdpAsker&) = delete;
  UdpAsker& operator=(const UdpAsker&) = delete;

  bool send(const std::vector<uint8_t>& query) {
    return sendto(fd_, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&to_), sizeof to_) ==
           static_cast<ssize_t>(query.size());
  }
  std::optional<dns::Message> receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    std::vector<uint8_t> reply(65535);
    const ssize_t n = recv(fd_, reply.data(), reply.size(), 0);
    if (n <= 0) return std::nullopt;
    reply.resize(static_cast<std::size_t>(n));
    return parse_reply(reply);
  }
  std::optional<dns::Message> ask(const std::string& name, uint16_t type, std::chrono::milliseconds timeout) {
    if (!send(edns_query(name, type, 4711))) return std::nullopt;
    return receive(timeout);
  }

 private:
  int fd_ = -1;
  sockaddr_in to_{};
};

inline std::optional<dns::Message> tcp_ask(TcpClient& tcp, const std::string& name, uint16_t type,
                                           std::chrono::milliseconds timeout) {
  if (!tcp.send_bytes(tcp_frame(edns_query(name, type, 4712)))) return std::nullopt;
  auto bytes = tcp.read_message(timeout);
  if (!bytes) return std::nullopt;
  return parse_reply(*bytes);
}

inline std::vector<std::string> addresses(const dns::Message& m) {
  std::vector<std::string> out;
  for (const auto& rr : m.answer) {
    if (rr.type != dns::rrtype::A || rr.rdata.size() != 4) continue;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, rr.rdata.data(), text, sizeof text);
    out.emplace_back(text);
  }
  return out;
}

}  // namespace flatns::test
