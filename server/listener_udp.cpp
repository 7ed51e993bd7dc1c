#include "server/listener_udp.h"

#include <netinet/in.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "server/log.h"
#include "server/query_parking.h"
#include "server/responder.h"

namespace flatns::server {

namespace {

// Smaller batches gain nothing from warming: one query's misses have nothing
// to overlap with.
constexpr std::size_t kMinWarmedBatch = 4;

// Loads the zone-index entries a batch's queries will read before the first
// of them is answered, one step at a time over the whole batch, so that their
// cache misses overlap instead of following one another (a large zone does
// not fit in the cache, and the name lookup waited on memory: bench/RESULTS.md,
// issue 19). The queries are not trusted here: a malformed one warms nothing.
void warm_zone_index(UdpBatch& b, std::size_t count, const zones::ZoneSet& zones) {
  if (count < kMinWarmedBatch) return;
  struct Lookup {
    const zones::Zone* zone;
    uint64_t hash;
  };
  std::array<Lookup, UdpBatch::kSize> lookups;
  dns::NameHashes hashes;
  for (std::size_t i = 0; i < count; ++i) {
    lookups[i].zone = nullptr;
    const dns::NameView name = dns::question_name({b.receive_slot(i).data(), b.in[i].msg_len});
    if (name.empty()) continue;
    hashes.compute(name);
    lookups[i] = {zones.find(hashes), hashes.hash(0)};
    if (lookups[i].zone) lookups[i].zone->prefetch_slot(lookups[i].hash);
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (lookups[i].zone) lookups[i].zone->prefetch_node(lookups[i].hash);
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (lookups[i].zone) lookups[i].zone->prefetch_records(lookups[i].hash);
  }
}

}  // namespace

static_assert(UdpBatch::kResponseSize >= kMaxUdpResponse,
              "a UDP response slot must hold the largest UDP answer the responder writes");

UdpBatch::UdpBatch()
    : receive(std::make_unique_for_overwrite<uint8_t[]>(kSize * kReceiveStride)),
      response(std::make_unique_for_overwrite<uint8_t[]>(kSize * kResponseStride)) {
  for (std::size_t i = 0; i < kSize; ++i) {
    const std::span<uint8_t> slot = receive_slot(i);
    in_iov[i] = {slot.data(), slot.size()};
    in[i].msg_hdr.msg_iov = &in_iov[i];
    in[i].msg_hdr.msg_iovlen = 1;
    in[i].msg_hdr.msg_name = &peers[i];
    in[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    out[i].msg_hdr.msg_iov = &out_iov[i];
    out[i].msg_hdr.msg_iovlen = 1;
  }
}

UdpListener::~UdpListener() {
  if (fd_ >= 0 && !open_) ::close(fd_);
}

bool UdpListener::open(uv_loop_t* loop, int fd, std::string& error) {
  fd_ = fd;
  packet_info_ = packet_info_enabled(fd);
  int rc = uv_poll_init_socket(loop, &handle_, fd);
  if (rc == 0) {
    handle_.data = this;
    open_ = true;
    rc = uv_poll_start(&handle_, UV_READABLE, on_readable);
  }
  if (rc != 0) {
    error = std::string("UDP socket: ") + uv_strerror(rc);
    return false;
  }
  return true;
}

void UdpListener::close() {
  if (!open_) return;
  drain();
  open_ = false;
  (void)uv_poll_stop(&handle_);
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), nullptr);
  // The poll handle is stopped, so libuv no longer watches the descriptor.
  ::close(fd_);
  fd_ = -1;
}

bool UdpListener::send_later(const sockaddr* peer, const UdpDestination& destination, std::span<uint8_t> response,
                             std::size_t length) {
  if (!open_ || length == 0) return false;
  if (buffers_.rrl) {
    const std::size_t before = length;
    length = buffers_.rrl->filter(peer, response, length, uv_now(handle_.loop));
    if (length != before && buffers_.observer) buffers_.observer->rrl(length != 0);
    if (length == 0) return false;
  }
  iovec iov{response.data(), length};
  msghdr message{};
  message.msg_name = const_cast<sockaddr*>(peer);
  message.msg_namelen = peer->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  PacketInfoBuffer control;
  set_source(message, packet_info_ ? destination : UdpDestination{}, control);
  while (true) {
    const ssize_t rc = ::sendmsg(fd_, &message, MSG_DONTWAIT);
    if (rc >= 0) return true;
    if (errno == EINTR) continue;
    if (log_enabled(LogLevel::Debug)) {
      log_debug(std::string("UDP send of a parked answer dropped: ") + std::strerror(errno));
    }
    return false;
  }
}

void UdpListener::on_readable(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<UdpListener*>(handle->data);
  if (status < 0) {
    if (log_enabled(LogLevel::Debug)) log_debug(std::string("UDP poll: ") + uv_strerror(status));
    return;
  }
  if (self->buffers_.observer) self->buffers_.observer->udp_wakeup();
  for (int i = 0; i < kBatchesPerWakeup && self->open_; ++i) {
    // A short batch means the socket queue is empty.
    if (self->run_batch() < UdpBatch::kSize) break;
  }
}

std::size_t UdpListener::run_batch() {
  UdpBatch& b = buffers_.udp;
  // The kernel overwrote the address lengths of the slots it filled last time.
  for (std::size_t i = 0; i < b.used; ++i) b.in[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  prepare_receive(b);
  b.used = 0;
  int received;
  do {
    received = ::recvmmsg(fd_, b.in.data(), UdpBatch::kSize, MSG_DONTWAIT, nullptr);
  } while (received < 0 && errno == EINTR);
  if (buffers_.observer) buffers_.observer->udp_batch(received > 0 ? static_cast<std::size_t>(received) : 0);
  if (received <= 0) {
    if (received < 0 && errno != EAGAIN && errno != EWOULDBLOCK && log_enabled(LogLevel::Debug)) {
      log_debug(std::string("UDP receive: ") + std::strerror(errno));
    }
    return 0;
  }
  b.used = static_cast<std::size_t>(received);
  const WorkerState& state = *state_;
  warm_zone_index(b, b.used, *state.zones);
  QueryContext ctx;
  ctx.tcp = false;
  ctx.nsid = state.nsid;
  ctx.flatten = state.flatten.get();
  ctx.transfer = state.transfer.get();
  ctx.notify_target = state.notify_target;
  ctx.observer = buffers_.observer;
  std::size_t answers = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(received); ++i) {
    const msghdr& in = b.in[i].msg_hdr;
    if (in.msg_flags & MSG_TRUNC) continue;  // cannot happen with 64 KiB slots; never answer a part
    const std::span<const uint8_t> query(b.receive_slot(i).data(), b.in[i].msg_len);
    const std::span<uint8_t> slot = b.response_slot(i);
    ctx.client = reinterpret_cast<const sockaddr*>(&b.peers[i]);
    bool parked = false;
    const UdpDestination* destination = nullptr;
    if (packet_info_) {
      b.destinations[i] = destination_of(in);
      destination = &b.destinations[i];
    }
    std::size_t length =
        parking_ ? parking_->answer(query, slot, ctx,
                                    ReplyRoute{this, reinterpret_cast<const sockaddr*>(&b.peers[i]), 0, destination},
                                    parked)
                 : answer_query(*state.zones, query, slot, ctx);
    if (length != 0 && buffers_.rrl) {
      const std::size_t before = length;
      length = buffers_.rrl->filter(reinterpret_cast<const sockaddr*>(&b.peers[i]), slot, length,
                                    uv_now(handle_.loop));
      if (length != before && buffers_.observer) buffers_.observer->rrl(length != 0);
    }
    if (length == 0) continue;  // dropped (or rate limited), or parked: answered later through send_later()
    b.out_iov[answers] = {slot.data(), length};
    msghdr& out = b.out[answers].msg_hdr;
    out.msg_name = &b.peers[i];
    out.msg_namelen = in.msg_namelen;
    if (destination) {
      set_source(out, *destination, b.out_control[answers]);
    } else {
      out.msg_control = nullptr;
      out.msg_controllen = 0;
    }
    ++answers;
  }
  send_batch(answers);
  return static_cast<std::size_t>(received);
}

void UdpListener::prepare_receive(UdpBatch& b) const {
  if (packet_info_ == b.control_armed) {
    // The kernel overwrote the control lengths of the slots it filled last time.
    if (packet_info_) {
      for (std::size_t i = 0; i < b.used; ++i) b.in[i].msg_hdr.msg_controllen = sizeof(PacketInfoBuffer);
    }
    return;
  }
  // The batch is shared by the worker's listeners: switch every slot.
  for (std::size_t i = 0; i < UdpBatch::kSize; ++i) {
    msghdr& in = b.in[i].msg_hdr;
    in.msg_control = packet_info_ ? b.in_control[i].bytes : nullptr;
    in.msg_controllen = packet_info_ ? sizeof(PacketInfoBuffer) : 0;
  }
  b.control_armed = packet_info_;
}

void UdpListener::drain() {
  for (std::size_t taken = 0; taken < kMaxDrained; taken += UdpBatch::kSize) {
    if (run_batch() < UdpBatch::kSize) return;
  }
}

void UdpListener::send_batch(std::size_t count) {
  UdpBatch& b = buffers_.udp;
  std::size_t done = 0;
  while (done < count) {
    const int sent = ::sendmmsg(fd_, b.out.data() + done, static_cast<unsigned>(count - done), MSG_DONTWAIT);
    if (sent > 0) {
      done += static_cast<std::size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      // Overload: drop what is left of this batch; the clients retry.
      if (log_enabled(LogLevel::Debug)) {
        log_debug("UDP send buffer full: dropped " + std::to_string(count - done) + " answers");
      }
      return;
    }
    // Only this datagram failed (e.g. an unreachable peer address): skip it.
    if (log_enabled(LogLevel::Debug)) {
      log_debug(std::string("UDP send dropped: ") + (sent < 0 ? std::strerror(errno) : "nothing sent"));
    }
    ++done;
  }
}

}  // namespace flatns::server
