// Socket options of the UDP listening sockets (server/listener_socket.h),
// read back from the sockets the server would listen on.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "dns/server_address.h"
#include "server/listener_socket.h"

using namespace flatns;
using namespace flatns::server;

namespace {

dns::ServerAddress address_of(const std::string& text) {
  dns::ServerAddress a;
  std::string error;
  REQUIRE(dns::ServerAddress::parse(text, std::nullopt, a, error));
  return a;
}

int int_option(int fd, int level, int option) {
  int value = -1;
  socklen_t length = sizeof value;
  REQUIRE(::getsockopt(fd, level, option, &value, &length) == 0);
  return value;
}

}  // namespace

// A forged ICMP "fragmentation needed" must not make us fragment answers
// (fragments can be spoofed into a cache): the sockets ignore path MTU.
TEST_CASE("UDP sockets ignore path MTU discovery (PMTUDISC_OMIT), IPv4 and IPv6", "[udp][socket]") {
  std::string error;
  SocketFd v4(open_bound_socket(address_of("127.0.0.1:29010"), Transport::Udp, error));
  REQUIRE(v4.get() >= 0);
  CHECK(int_option(v4.get(), IPPROTO_IP, IP_MTU_DISCOVER) == IP_PMTUDISC_OMIT);

  SocketFd v6(open_bound_socket(address_of("[::1]:29010"), Transport::Udp, error));
  if (v6.get() < 0) {
    WARN("no IPv6 loopback here (" + error + "): the IPv6 half is not checked");
    return;
  }
  CHECK(int_option(v6.get(), IPPROTO_IPV6, IPV6_MTU_DISCOVER) == IPV6_PMTUDISC_OMIT);
}

TEST_CASE("omit_path_mtu falls back quietly when the option cannot be set", "[udp][socket]") {
  // A TCP socket takes the option too; a descriptor that is no socket takes
  // none: -1 and nothing else happens.
  SocketFd tcp(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(tcp.get() >= 0);
  CHECK(omit_path_mtu(tcp.get(), AF_INET) == IP_PMTUDISC_OMIT);
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  SocketFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  CHECK(omit_path_mtu(read_end.get(), AF_INET) == -1);
  CHECK(omit_path_mtu(read_end.get(), AF_INET6) == -1);
}
