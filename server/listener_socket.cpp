#include "server/listener_socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace flatns::server {

SocketFd& SocketFd::operator=(SocketFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

SocketFd::~SocketFd() {
  if (fd_ >= 0) ::close(fd_);
}

int open_bound_socket(const dns::ServerAddress& address, Transport transport, std::string& error) {
  const char* proto = transport == Transport::Udp ? "UDP" : "TCP";
  auto fail = [&](const char* what, int fd) {
    error = std::string(proto) + " " + address.to_string() + ": " + what + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return -1;
  };
  int type = (transport == Transport::Udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
  int fd = ::socket(address.family(), type, 0);
  if (fd < 0) return fail("socket", -1);
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) return fail("SO_REUSEPORT", fd);
  if (transport == Transport::Tcp && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    return fail("SO_REUSEADDR", fd);
  }
  // "[::]:53" must not take the IPv4 port too, so that "0.0.0.0:53" can bind beside it.
  if (address.family() == AF_INET6 && ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
    return fail("IPV6_V6ONLY", fd);
  }
  if (transport == Transport::Udp) {
    // Bursts of queries queue in the kernel while a worker is busy; the
    // default (about 200 KiB) overflows early. Best effort, like NSD: the
    // kernel caps it at net.core.rmem_max / wmem_max.
    int size = 1 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  if (transport == Transport::Udp) omit_path_mtu(fd, address.family());
  if (transport == Transport::Udp && is_wildcard(address)) {
    const bool v6 = address.family() == AF_INET6;
    if (::setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_RECVPKTINFO : IP_PKTINFO, &one, sizeof one) != 0) {
      return fail(v6 ? "IPV6_RECVPKTINFO" : "IP_PKTINFO", fd);
    }
  }
  if (::bind(fd, address.sockaddr_ptr(), address.length) != 0) return fail("bind", fd);
  return fd;
}

bool is_wildcard(const dns::ServerAddress& address) {
  if (address.family() == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(&address.storage)->sin_addr.s_addr == htonl(INADDR_ANY);
  }
  if (address.family() == AF_INET6) {
    return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&address.storage)->sin6_addr);
  }
  return false;
}

bool packet_info_enabled(int fd) {
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) return false;
  const bool v6 = bound.ss_family == AF_INET6;
  int value = 0;
  socklen_t value_length = sizeof value;
  if (::getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_RECVPKTINFO : IP_PKTINFO, &value,
                   &value_length) != 0) {
    return false;
  }
  return value != 0;
}

UdpDestination destination_of(const msghdr& received) {
  UdpDestination d;
  // CMSG_NXTHDR takes a non-const msghdr; nothing is written through it.
  auto& message = const_cast<msghdr&>(received);
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(in_pktinfo))) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      d.family = AF_INET;
      d.ifindex = static_cast<unsigned>(info.ipi_ifindex);
      // ipi_spec_dst: the header's destination for unicast, and a local
      // address of the interface for a broadcast (which must not be a source).
      d.v4 = info.ipi_spec_dst;
      return d;
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
        c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      d.family = AF_INET6;
      d.ifindex = info.ipi6_ifindex;
      d.v6 = info.ipi6_addr;
      return d;
    }
  }
  return d;
}

void set_source(msghdr& message, const UdpDestination& destination, PacketInfoBuffer& buffer) {
  if (destination.family == 0) {
    message.msg_control = nullptr;
    message.msg_controllen = 0;
    return;
  }
  std::memset(buffer.bytes, 0, sizeof buffer.bytes);
  message.msg_control = buffer.bytes;
  message.msg_controllen = sizeof buffer.bytes;
  cmsghdr* c = CMSG_FIRSTHDR(&message);
  if (destination.family == AF_INET) {
    in_pktinfo info{};
    // The source address only; interface 0 lets the route choose the way out
    // (asymmetric routing), as Unbound does.
    info.ipi_spec_dst = destination.v4;
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    message.msg_controllen = CMSG_SPACE(sizeof info);
    return;
  }
  in6_pktinfo info{};
  info.ipi6_addr = destination.v6;
  // A link-local address means nothing without its interface; any other
  // leaves the way out to the route, as for IPv4.
  info.ipi6_ifindex = IN6_IS_ADDR_LINKLOCAL(&destination.v6) ? destination.ifindex : 0;
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof info);
  std::memcpy(CMSG_DATA(c), &info, sizeof info);
  message.msg_controllen = CMSG_SPACE(sizeof info);
}

int omit_path_mtu(int fd, int family) {
  // IP_PMTUDISC_OMIT (Linux 3.15+): answers are sized by the interface MTU
  // and sent without DF, whatever path MTU an ICMP "fragmentation needed"
  // (easily forged) claims, so nobody can make us fragment our answers into
  // pieces a spoofed fragment could replace (NSD, Knot and BIND do the same;
  // draft-ietf-dnsop-avoid-fragmentation). Where the kernel lacks it,
  // IP_PMTUDISC_DONT at least keeps DF off; failing both changes nothing.
  const int level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
  const int option = family == AF_INET6 ? IPV6_MTU_DISCOVER : IP_MTU_DISCOVER;
#if defined(IP_PMTUDISC_OMIT) && defined(IPV6_PMTUDISC_OMIT)
  int omit = family == AF_INET6 ? IPV6_PMTUDISC_OMIT : IP_PMTUDISC_OMIT;
  if (::setsockopt(fd, level, option, &omit, sizeof omit) == 0) return omit;
#endif
  int dont = family == AF_INET6 ? IPV6_PMTUDISC_DONT : IP_PMTUDISC_DONT;
  if (::setsockopt(fd, level, option, &dont, sizeof dont) == 0) return dont;
  return -1;
}

bool check_address_free(const dns::ServerAddress& address, Transport transport, std::string& error) {
  const char* proto = transport == Transport::Udp ? "UDP" : "TCP";
  int type = (transport == Transport::Udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC;
  SocketFd probe(::socket(address.family(), type, 0));
  if (probe.get() < 0) {
    error = std::string(proto) + " " + address.to_string() + ": socket: " + std::strerror(errno);
    return false;
  }
  int one = 1;
  // TCP: SO_REUSEADDR so that connections in TIME_WAIT from a previous run
  // do not count, while a listening socket still does.
  if (transport == Transport::Tcp) ::setsockopt(probe.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (address.family() == AF_INET6) ::setsockopt(probe.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(probe.get(), address.sockaddr_ptr(), address.length) != 0) {
    error = std::string(proto) + " " + address.to_string() + ": bind: " + std::strerror(errno) +
            (errno == EADDRINUSE ? " (is another server running there?)" : "");
    return false;
  }
  if (transport == Transport::Tcp && ::listen(probe.get(), 1) != 0) {
    error = std::string(proto) + " " + address.to_string() + ": listen: " + std::strerror(errno) +
            (errno == EADDRINUSE ? " (is another server running there?)" : "");
    return false;
  }
  return true;
}

}  // namespace flatns::server
