// DNS over UDP (RFC 1035 §4.2.1) on one socket of one worker thread.
//
// The per-datagram cost is the system calls, not the answer: libuv's UDP
// handle makes one recvmsg and one sendmsg per query. So the socket is
// watched with uv_poll, and when it is readable the listener takes up to
// UdpBatch::kSize datagrams with one recvmmsg, answers each into its own
// response slot, and sends all the answers with one sendmmsg (Linux), as
// NSD and Knot do. Nothing is allocated per datagram: the worker owns the
// batch buffers. When the socket's send buffer is full (EAGAIN) the rest of
// the batch is dropped, as NSD does under overload; the client retries.
// On a socket bound to a wildcard address each datagram's destination comes
// with it (IP_PKTINFO / IPV6_RECVPKTINFO) and its answer leaves from that
// address (server/listener_socket.h, UdpDestination); other sockets skip
// the control messages altogether.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>
#include <uv.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "server/listener_socket.h"
#include "server/rrl.h"
#include "server/worker_state.h"

namespace flatns::server {

// Receive and response slots for one batch of datagrams. Slot i of each
// array belongs to the i-th datagram of the batch.
struct UdpBatch {
  static constexpr std::size_t kSize = 64;
  // A UDP query may be as large as a datagram can be.
  static constexpr std::size_t kReceiveSize = 65535;
  // UDP answers are capped at 1232 octets by the responder
  // (kMaxUdpResponse, checked in listener_udp.cpp).
  static constexpr std::size_t kResponseSize = 4096;
  // Slots are a cache line further apart than their size so that the
  // headers of a batch do not all fall into the same cache set.
  static constexpr std::size_t kReceiveStride = kReceiveSize + 1 + 64;
  static constexpr std::size_t kResponseStride = kResponseSize + 64;

  UdpBatch();
  std::span<uint8_t> receive_slot(std::size_t i) {
    return {receive.get() + i * kReceiveStride, kReceiveSize};
  }
  std::span<uint8_t> response_slot(std::size_t i) {
    return {response.get() + i * kResponseStride, kResponseSize};
  }

  // Left uninitialised: the kernel and the responder write before reading.
  std::unique_ptr<uint8_t[]> receive;
  std::unique_ptr<uint8_t[]> response;
  std::array<mmsghdr, kSize> in{};
  std::size_t used = 0;  // slots of `in` the last recvmmsg filled
  std::array<iovec, kSize> in_iov{};
  std::array<sockaddr_storage, kSize> peers{};
  std::array<mmsghdr, kSize> out{};
  std::array<iovec, kSize> out_iov{};
  // Wildcard sockets only: what the kernel said about each datagram, where
  // it was sent, and the source each answer is sent from.
  std::array<PacketInfoBuffer, kSize> in_control;
  std::array<UdpDestination, kSize> destinations{};
  std::array<PacketInfoBuffer, kSize> out_control;
  bool control_armed = false;  // `in` points at in_control (a wildcard socket used it last)
};

// Buffers one worker thread owns; shared by all of its listeners because
// libuv calls them one at a time.
struct WorkerBuffers {
  std::array<uint8_t, 65535> response;  // TCP answers, and parked queries' answers
  UdpBatch udp;
  // This worker's response rate limiting table; null when RRL is off.
  std::unique_ptr<RateLimiter> rrl;
  // Counts and logs each query (server/query_observer.h); null: nobody asked.
  QueryObserver* observer = nullptr;
};

class QueryParking;

class UdpListener {
 public:
  UdpListener(const std::shared_ptr<const WorkerState>& state, WorkerBuffers& buffers)
      : state_(state), buffers_(buffers) {}
  ~UdpListener();
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Takes ownership of the bound non-blocking socket `fd` and starts receiving.
  [[nodiscard]] bool open(uv_loop_t* loop, int fd, std::string& error);
  // Answers the datagrams already queued on the socket (the queries in
  // flight when SIGTERM came), stops receiving and closes the handle and the
  // socket; the object must outlive the loop run.
  void close();

  // Flattened queries go through `parking` (server/query_parking.h), which
  // may hold them and answer later through send_later().
  void set_parking(QueryParking* parking) { parking_ = parking; }
  // Sends one answer now, outside a batch (a parked query's, when its target
  // resolved or its deadline passed): the first `length` octets of
  // `response`. Response rate limiting applies as in a batch (a slipped
  // answer is rewritten in place). False when it was dropped (rate limited,
  // send buffer full or the listener closed), as for any other answer.
  // `destination`: where the query was sent (family 0 when not known).
  bool send_later(const sockaddr* peer, const UdpDestination& destination, std::span<uint8_t> response,
                  std::size_t length);
  // Whether answers leave from the address each query was sent to (the
  // socket is bound to a wildcard address).
  [[nodiscard]] bool answers_from_destination() const { return packet_info_; }

  // Most batches taken per readiness callback before the loop gets a turn
  // (TCP, timers and the reload wake-up share the thread).
  static constexpr int kBatchesPerWakeup = 8;

 private:
  static void on_readable(uv_poll_t* handle, int status, int events);
  // Receives, answers and sends one batch; returns the datagrams received.
  std::size_t run_batch();
  // Answers what is queued, at most kMaxDrained datagrams, so that a flood
  // cannot hold a stopping worker forever.
  void drain();
  static constexpr std::size_t kMaxDrained = 4096;
  void send_batch(std::size_t count);
  // Points the receive slots at the control buffers, or away from them.
  void prepare_receive(UdpBatch& batch) const;

  uv_poll_t handle_{};
  int fd_ = -1;
  bool open_ = false;
  bool packet_info_ = false;  // IP_PKTINFO / IPV6_RECVPKTINFO on: a wildcard socket
  // The worker's current snapshot; the worker replaces it between callbacks.
  const std::shared_ptr<const WorkerState>& state_;
  WorkerBuffers& buffers_;
  QueryParking* parking_ = nullptr;
};

}  // namespace flatns::server
