#include "server/listener_udp.h"

#include <sys/socket.h>

#include "server/log.h"
#include "server/query_parking.h"
#include "server/responder.h"

namespace flatns::server {

bool UdpListener::open(uv_loop_t* loop, int fd, std::string& error) {
  int rc = uv_udp_init(loop, &handle_);
  if (rc == 0) {
    handle_.data = this;
    open_ = true;
    rc = uv_udp_open(&handle_, fd);
  }
  if (rc == 0) rc = uv_udp_recv_start(&handle_, on_alloc, on_receive);
  if (rc != 0) {
    error = std::string("UDP socket: ") + uv_strerror(rc);
    return false;
  }
  return true;
}

void UdpListener::close() {
  if (!open_) return;
  open_ = false;
  uv_udp_recv_stop(&handle_);
  drain();
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), nullptr);
}

void UdpListener::on_alloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<UdpListener*>(handle->data);
  *buf = uv_buf_init(reinterpret_cast<char*>(self->buffers_.receive.data()),
                     static_cast<unsigned>(self->buffers_.receive.size()));
}

void UdpListener::on_receive(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* from,
                             unsigned flags) {
  auto* self = static_cast<UdpListener*>(handle->data);
  if (nread < 0) {
    if (log_enabled(LogLevel::Debug)) log_debug(std::string("UDP receive: ") + uv_strerror(static_cast<int>(nread)));
    return;
  }
  if (nread == 0 || from == nullptr || (flags & UV_UDP_PARTIAL)) return;  // nothing, or truncated datagram
  self->respond({reinterpret_cast<const uint8_t*>(buf->base), static_cast<std::size_t>(nread)}, from);
}

void UdpListener::respond(std::span<const uint8_t> query, const sockaddr* from) {
  const WorkerState& state = *state_;
  QueryContext ctx;
  ctx.tcp = false;
  ctx.nsid = state.nsid;
  ctx.flatten = state.flatten.get();
  bool parked = false;
  std::size_t length = parking_ ? parking_->answer(query, buffers_.response, ctx, ReplyRoute{this, from, 0}, parked)
                                : answer_query(*state.zones, query, buffers_.response, ctx);
  if (buffers_.rrl) length = buffers_.rrl->filter(from, buffers_.response, length, uv_now(handle_.loop));
  if (length == 0) return;
  uv_buf_t out = uv_buf_init(reinterpret_cast<char*>(buffers_.response.data()), static_cast<unsigned>(length));
  int rc = uv_udp_try_send(&handle_, &out, 1, from);
  if (rc < 0 && log_enabled(LogLevel::Debug)) log_debug(std::string("UDP send dropped: ") + uv_strerror(rc));
}

void UdpListener::drain() {
  // Bounded, so that a flood cannot hold a stopping worker forever.
  constexpr int kMaxDrained = 4096;
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&handle_), &fd) != 0) return;
  for (int i = 0; i < kMaxDrained; ++i) {
    sockaddr_storage from{};
    socklen_t from_length = sizeof from;
    ssize_t n = ::recvfrom(fd, buffers_.receive.data(), buffers_.receive.size(), MSG_DONTWAIT | MSG_TRUNC,
                           reinterpret_cast<sockaddr*>(&from), &from_length);
    if (n < 0) break;  // EAGAIN: nothing left (or an error: nothing to do about it now)
    if (n == 0 || static_cast<std::size_t>(n) > buffers_.receive.size()) continue;  // empty or truncated
    respond({buffers_.receive.data(), static_cast<std::size_t>(n)}, reinterpret_cast<const sockaddr*>(&from));
  }
}

bool UdpListener::send_later(const sockaddr* peer, std::span<const uint8_t> response) {
  if (!open_) return false;
  uv_buf_t out = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(response.data())),
                             static_cast<unsigned>(response.size()));
  int rc = uv_udp_try_send(&handle_, &out, 1, peer);
  if (rc < 0 && log_enabled(LogLevel::Debug)) log_debug(std::string("UDP send of a parked answer dropped: ") + uv_strerror(rc));
  return rc >= 0;
}

}  // namespace flatns::server
