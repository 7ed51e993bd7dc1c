// Creating the listening sockets. Each worker thread binds its own UDP and
// TCP socket for every listen address with SO_REUSEPORT, so the kernel
// spreads datagrams and connections over the workers with no shared queue
// (the way NSD's reuseport option and Knot's udp-workers do). The sockets are
// made here with socket()/setsockopt()/bind() and handed to libuv, because
// libuv's own UV_UDP_REUSEADDR means SO_REUSEADDR, not SO_REUSEPORT, on Linux.
#pragma once

#include <string>

#include "server/listener_address.h"

namespace flatns::server {

enum class Transport { Udp, Tcp };

// Returns a bound, non-blocking socket (TCP: not yet listening), or -1 with
// `error` naming the address and the system error.
[[nodiscard]] int open_bound_socket(const SocketAddress& address, Transport transport, std::string& error);

// Sets IP_MTU_DISCOVER / IPV6_MTU_DISCOVER on a UDP socket of `family` to
// PMTUDISC_OMIT, or PMTUDISC_DONT where the kernel lacks OMIT: the value set,
// or -1 when neither could be (the socket is used as it is). Called by
// open_bound_socket for every UDP socket.
int omit_path_mtu(int fd, int family);

// SO_REUSEPORT would let a second flatns (or anything else run by the same
// user) share the port and silently take part of the traffic. This binds a
// probe socket without SO_REUSEPORT first: it fails with "Address already in
// use" when anyone already listens there. Returns false with `error` then.
[[nodiscard]] bool check_address_free(const SocketAddress& address, Transport transport, std::string& error);

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
