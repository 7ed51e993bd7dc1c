#include "server/listener_udp.h"

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
  const WorkerState& state = *self->state_;
  std::span<const uint8_t> query(reinterpret_cast<const uint8_t*>(buf->base), static_cast<std::size_t>(nread));
  QueryContext ctx;
  ctx.tcp = false;
  ctx.nsid = state.nsid;
  ctx.flatten = state.flatten.get();
  bool parked = false;
  std::size_t length = self->parking_ ? self->parking_->answer(query, self->buffers_.response, ctx,
                                                               ReplyRoute{self, from, 0}, parked)
                                      : answer_query(*state.zones, query, self->buffers_.response, ctx);
  if (length == 0) return;
  uv_buf_t out = uv_buf_init(reinterpret_cast<char*>(self->buffers_.response.data()), static_cast<unsigned>(length));
  int rc = uv_udp_try_send(handle, &out, 1, from);
  if (rc < 0 && log_enabled(LogLevel::Debug)) log_debug(std::string("UDP send dropped: ") + uv_strerror(rc));
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
