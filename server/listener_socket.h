// Creating the listening sockets. Each worker thread binds its own UDP and
// TCP socket for every listen address with SO_REUSEPORT, so the kernel
// spreads datagrams and connections over the workers with no shared queue
// (the way NSD's reuseport option and Knot's udp-workers do). The sockets are
// made here with socket()/setsockopt()/bind() and handed to libuv, because
// libuv's own UV_UDP_REUSEADDR means SO_REUSEADDR, not SO_REUSEPORT, on Linux.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "dns/server_address.h"

namespace flatns::server {

enum class Transport { Udp, Tcp };

// The address a datagram was sent to. A UDP socket bound to a wildcard
// address (0.0.0.0, ::) receives for every address of the host, and the
// kernel would pick the source of an answer by the route to the client, so
// on a host with several addresses the answer could leave from an address
// the client did not ask and be dropped. Such sockets get IP_PKTINFO /
// IPV6_RECVPKTINFO (open_bound_socket), each datagram's destination is kept,
// and the answer goes out with it as source (IP_PKTINFO / IPV6_PKTINFO), as
// NSD, Knot and Unbound do. Sockets bound to one address need none of this.
struct UdpDestination {
  int family = 0;        // AF_INET or AF_INET6; 0: not known, the kernel picks
  unsigned ifindex = 0;  // the interface it came in on (IPv6: link-local scope)
  in_addr v4{};
  in6_addr v6{};
};

// Room for the one control message of a datagram (in6_pktinfo is the larger).
inline constexpr std::size_t kPacketInfoSpace = CMSG_SPACE(sizeof(in6_pktinfo));
struct alignas(cmsghdr) PacketInfoBuffer {
  uint8_t bytes[kPacketInfoSpace];
};

[[nodiscard]] bool is_wildcard(const dns::ServerAddress& address);
// Whether the kernel gives `fd` (a UDP socket) each datagram's destination.
[[nodiscard]] bool packet_info_enabled(int fd);
// The destination read from a received message's control messages (family 0
// when there is none).
[[nodiscard]] UdpDestination destination_of(const msghdr& received);
// Points msg_control of `message` at `buffer` holding the IP_PKTINFO or
// IPV6_PKTINFO that makes `destination` the source of the datagram sent; no
// control message when the destination is not known.
void set_source(msghdr& message, const UdpDestination& destination, PacketInfoBuffer& buffer);

// Returns a bound, non-blocking socket (TCP: not yet listening), or -1 with
// `error` naming the address and the system error. UDP sockets on a wildcard
// address deliver each datagram's destination (UdpDestination).
[[nodiscard]] int open_bound_socket(const dns::ServerAddress& address, Transport transport, std::string& error);

// Sets IP_MTU_DISCOVER / IPV6_MTU_DISCOVER on a UDP socket of `family` to
// PMTUDISC_OMIT, or PMTUDISC_DONT where the kernel lacks OMIT: the value set,
// or -1 when neither could be (the socket is used as it is). Called by
// open_bound_socket for every UDP socket.
int omit_path_mtu(int fd, int family);

// SO_REUSEPORT would let a second flatns (or anything else run by the same
// user) share the port and silently take part of the traffic. This binds a
// probe socket without SO_REUSEPORT first: it fails with "Address already in
// use" when anyone already listens there. Returns false with `error` then.
[[nodiscard]] bool check_address_free(const dns::ServerAddress& address, Transport transport, std::string& error);

// Owns one file descriptor until it is released to libuv.
class SocketFd {
 public:
  SocketFd() = default;
  explicit SocketFd(int fd) : fd_(fd) {}
  SocketFd(SocketFd&& other) noexcept : fd_(other.release()) {}
  SocketFd& operator=(SocketFd&& other) noexcept;
  SocketFd(const SocketFd&) = delete;
  SocketFd& operator=(const SocketFd&) = delete;
  ~SocketFd();
  [[nodiscard]] int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace flatns::server
