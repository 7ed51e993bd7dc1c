// DNS over UDP (RFC 1035 §4.2.1) on one socket of one worker thread.
//
// Nothing is allocated per datagram: the worker owns the receive buffer and
// the response buffer, answers synchronously and sends with uv_udp_try_send.
// When the socket's send buffer is full the response is dropped, as NSD does
// under overload; the client retries.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "server/rrl.h"
#include "server/worker_state.h"

namespace flatns::server {

// Buffers one worker thread owns; shared by all of its listeners because
// libuv calls them one at a time.
struct WorkerBuffers {
  std::array<uint8_t, 65536> receive;
  std::array<uint8_t, 65535> response;
  // This worker's response rate limiting table; null when RRL is off.
  std::unique_ptr<RateLimiter> rrl;
};

class QueryParking;

class UdpListener {
 public:
  UdpListener(const std::shared_ptr<const WorkerState>& state, WorkerBuffers& buffers)
      : state_(state), buffers_(buffers) {}
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Takes ownership of the bound socket `fd` and starts receiving.
  [[nodiscard]] bool open(uv_loop_t* loop, int fd, std::string& error);
  // Answers the datagrams already queued on the socket (the queries in
  // flight when SIGTERM came), stops receiving and closes the handle; the
  // object must outlive the loop run.
  void close();

  // Flattened queries go through `parking` (server/query_parking.h), which
  // may hold them and answer later through send_later().
  void set_parking(QueryParking* parking) { parking_ = parking; }
  // Sends a parked query's answer to `peer` now; false when it was dropped
  // (send buffer full or the listener closed), as for any other answer.
  bool send_later(const sockaddr* peer, std::span<const uint8_t> response);

 private:
  void respond(std::span<const uint8_t> query, const sockaddr* from);
  void drain();

  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_receive(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* from,
                         unsigned flags);

  uv_udp_t handle_{};
  bool open_ = false;
  // The worker's current snapshot; the worker replaces it between callbacks.
  const std::shared_ptr<const WorkerState>& state_;
  WorkerBuffers& buffers_;
  QueryParking* parking_ = nullptr;
};

}  // namespace flatns::server
