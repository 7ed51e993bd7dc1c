#include "resolver-client/uv_transport.h"

#include <array>
#include <memory>
#include <vector>

#include "dns/message.h"

namespace flatns::resolver {

// Owns its uv handles; freed when the last one opened (timer, socket) has
// closed, or at once when none could be opened.
struct UvTransport::Pending {
  UvTransport* owner = nullptr;
  QueryHandle handle = 0;
  UpstreamQuery query;
  ReplyCallback done;
  uint16_t id = 0;
  std::vector<uint8_t> wire;      // the query; for TCP with the 2-octet length prefix
  std::vector<uint8_t> buffer;    // receive buffer (UDP datagram / TCP stream)
  std::array<uint8_t, 4096> chunk{};  // one TCP read
  uint64_t started_ns = 0;
  WallTime sent_at;  // for the traffic observer
  bool finished = false;
  bool timer_open = false;
  bool socket_open = false;
  int open_handles = 0;
  // Why the query failed before anything was sent, reported from the timer.
  UpstreamReply setup_error;
  uv_timer_t timer{};
  uv_udp_t udp{};
  uv_tcp_t tcp{};
  uv_connect_t connect{};
  uv_write_t write{};
  uv_udp_send_t udp_send{};
};

namespace {

using Pending = UvTransport::Pending;

Pending* pending_of(const void* data) { return static_cast<Pending*>(const_cast<void*>(data)); }

void on_handle_closed(uv_handle_t* h) {
  auto* p = pending_of(h->data);
  if (--p->open_handles == 0) std::unique_ptr<Pending> free_it(p);
}

uint32_t elapsed_ms(const Pending* p) {
  return static_cast<uint32_t>((uv_hrtime() - p->started_ns) / 1000000);
}

UpstreamReply error_reply(std::string what, int uv_status) {
  UpstreamReply r;
  r.status = ReplyStatus::NetworkError;
  r.error = what + ": " + uv_strerror(uv_status);
  return r;
}

uv_buf_t wire_buffer(Pending* p) {
  return uv_buf_init(reinterpret_cast<char*>(p->wire.data()), static_cast<unsigned>(p->wire.size()));
}

// ---- timer ----

void on_timeout(uv_timer_t* t) {
  Pending* p = pending_of(t->data);
  UpstreamReply r;
  r.status = ReplyStatus::Timeout;
  p->owner->finish(p, std::move(r), true);
}

void on_setup_failed(uv_timer_t* t) {
  Pending* p = pending_of(t->data);
  p->owner->finish(p, std::move(p->setup_error), true);
}

// ---- UDP ----

void on_udp_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  Pending* p = pending_of(h->data);
  *buf = uv_buf_init(reinterpret_cast<char*>(p->buffer.data()), static_cast<unsigned>(p->buffer.size()));
}

void on_udp_read(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* from,
                 unsigned flags) {
  Pending* p = pending_of(h->data);
  if (nread <= 0 || from == nullptr || (flags & UV_UDP_PARTIAL)) return;
  p->owner->on_datagram(p, {reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)},
                        from);
}

void on_udp_sent(uv_udp_send_t* req, int status) {
  Pending* p = pending_of(req->data);
  if (status != 0 && status != UV_ECANCELED && !p->finished) {
    p->owner->finish(p, error_reply("UDP send", status), true);
  }
}

// ---- TCP ----

void on_tcp_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  Pending* p = pending_of(h->data);
  *buf = uv_buf_init(reinterpret_cast<char*>(p->chunk.data()), static_cast<unsigned>(p->chunk.size()));
}

void on_tcp_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  Pending* p = pending_of(s->data);
  if (p->finished) return;
  if (nread < 0) {
    p->owner->finish(p, error_reply("TCP read", static_cast<int>(nread)), true);
    return;
  }
  p->buffer.insert(p->buffer.end(), reinterpret_cast<const uint8_t*>(buf->base),
                   reinterpret_cast<const uint8_t*>(buf->base) + nread);
  // Several messages may arrive in one read; a mismatching one is skipped
  // and the next examined (RFC 7766 §8 framing).
  while (!p->finished && p->buffer.size() >= 2) {
    std::size_t len = static_cast<std::size_t>(p->buffer[0] << 8 | p->buffer[1]);
    if (p->buffer.size() < 2 + len) return;
    std::vector<uint8_t> message(p->buffer.begin() + 2, p->buffer.begin() + 2 + len);
    p->buffer.erase(p->buffer.begin(), p->buffer.begin() + 2 + len);
    p->owner->on_datagram(p, message, nullptr);
  }
}

void on_tcp_written(uv_write_t* w, int status) {
  Pending* p = pending_of(w->data);
  if (status != 0 && status != UV_ECANCELED && !p->finished) {
    p->owner->finish(p, error_reply("TCP write", status), true);
  }
}

void on_tcp_connected(uv_connect_t* c, int status) {
  Pending* p = pending_of(c->data);
  if (p->finished) return;
  if (status != 0) {
    p->owner->finish(p, error_reply("TCP connect to " + p->query.server.to_string(), status), true);
    return;
  }
  auto* stream = reinterpret_cast<uv_stream_t*>(&p->tcp);
  uv_buf_t buf = wire_buffer(p);
  p->write.data = p;
  int rc = uv_write(&p->write, stream, &buf, 1, on_tcp_written);
  if (rc != 0) {
    p->owner->finish(p, error_reply("TCP write", rc), true);
    return;
  }
  rc = uv_read_start(stream, on_tcp_alloc, on_tcp_read);
  if (rc != 0) {
    p->owner->finish(p, error_reply("TCP read", rc), true);
    return;
  }
  p->owner->report_sent(p);
}

}  // namespace

UvTransport::UvTransport(uv_loop_t* loop, std::size_t max_response_size, std::shared_ptr<TrafficObserver> observer)
    : loop_(loop), max_response_size_(max_response_size), observer_(std::move(observer)) {}

void UvTransport::report_sent(Pending* p) {
  if (!observer_) return;
  p->sent_at = WallTime::now();
  const std::size_t prefix = p->query.protocol == Protocol::Tcp ? 2 : 0;
  observer_->query_sent({p->query.server, p->query.protocol, p->query.zone.wire(), p->sent_at},
                        std::span<const uint8_t>(p->wire).subspan(prefix));
}

UvTransport::~UvTransport() {
  while (!pending_.empty()) finish(pending_.begin()->second, UpstreamReply{}, false);
}

void UvTransport::cancel(QueryHandle handle) {
  auto it = pending_.find(handle);
  if (it != pending_.end()) finish(it->second, UpstreamReply{}, false);
}

void UvTransport::finish(Pending* p, UpstreamReply&& reply, bool notify) {
  if (p->finished) return;
  p->finished = true;
  pending_.erase(p->handle);
  ReplyCallback done = std::move(p->done);
  reply.rtt_ms = elapsed_ms(p);
  if (p->timer_open) {
    (void)uv_timer_stop(&p->timer);  // always 0: it only unlinks the timer
    uv_close(reinterpret_cast<uv_handle_t*>(&p->timer), on_handle_closed);
  }
  if (p->socket_open) {
    if (p->query.protocol == Protocol::Udp) {
      (void)uv_udp_recv_stop(&p->udp);  // always 0 on an open handle
      uv_close(reinterpret_cast<uv_handle_t*>(&p->udp), on_handle_closed);
    } else {
      uv_close(reinterpret_cast<uv_handle_t*>(&p->tcp), on_handle_closed);
    }
  }
  if (notify && done) done(std::move(reply));
}

void UvTransport::on_datagram(Pending* p, std::span<const uint8_t> data, const sockaddr* from) {
  if (p->finished) return;
  if (from != nullptr && !(dns::ServerAddress::from_sockaddr(from) == p->query.server)) {
    ++counters_.ignored_mismatch;
    return;
  }
  if (data.size() > max_response_size_) {
    ++counters_.ignored_malformed;
    return;
  }
  UpstreamReply reply;
  std::string error;
  if (!dns::parse_message(data, reply.message, error, dns::MalformedRdata::KeepRaw)) {
    ++counters_.ignored_malformed;
    return;
  }
  if (!response_matches(reply.message, p->id, p->query.qname, p->query.qtype)) {
    ++counters_.ignored_mismatch;
    return;
  }
  reply.status = ReplyStatus::Answer;
  reply.size = data.size();
  if (observer_) {
    observer_->response_received({p->query.server, p->query.protocol, p->query.zone.wire(), p->sent_at},
                                 WallTime::now(), data);
  }
  finish(p, std::move(reply), true);
}

void UvTransport::encode_query(Pending* p) {
  const UpstreamQuery& query = p->query;
  dns::QueryOptions opts;
  opts.id = p->id;
  opts.flags = static_cast<uint16_t>((query.recursion_desired ? dns::flag::RD : 0) |
                                     (query.checking_disabled ? dns::flag::CD : 0));
  opts.edns = true;
  opts.udp_size = dns::kEdnsPayloadSize;
  opts.dnssec_ok = true;
  const bool tcp = query.protocol == Protocol::Tcp;
  p->wire.resize(dns::kMaxNameLength + 64);
  const std::size_t offset = tcp ? 2 : 0;
  const std::size_t n = dns::write_query(std::span<uint8_t>(p->wire).subspan(offset),
                                         query.qname.wire(), query.qtype, opts);
  p->wire.resize(offset + n);
  if (tcp) {
    p->wire[0] = static_cast<uint8_t>(n >> 8);
    p->wire[1] = static_cast<uint8_t>(n);
  }
}

QueryHandle UvTransport::send(const UpstreamQuery& query, ReplyCallback done) {
  auto owned = std::make_unique<Pending>();
  owned->owner = this;
  owned->query = query;
  owned->done = std::move(done);
  owned->id = random_query_id();
  owned->started_ns = uv_hrtime();
  encode_query(owned.get());
  // libuv documents uv_timer_init as unable to fail; if it ever does, no
  // handle is open, nothing can report later, and the caller hears at once.
  if (uv_timer_init(loop_, &owned->timer) != 0) return kQueryNotStarted;
  Pending* p = owned.release();  // owned again by on_handle_closed
  p->timer.data = p;
  p->timer_open = true;
  p->open_handles = 1;
  p->handle = next_handle_++;
  pending_[p->handle] = p;
  ++counters_.sent;
  int rc = uv_timer_start(&p->timer, on_timeout, query.timeout_ms, 0);
  if (rc == 0) {
    rc = query.protocol == Protocol::Tcp ? send_tcp(p) : send_udp(p);
  } else {
    p->setup_error = error_reply("query timer", rc);
  }
  if (rc != 0 && uv_timer_start(&p->timer, on_setup_failed, 0, 0) != 0) {
    // Reported on the next loop turn so `done` never runs inside send();
    // without a timer it cannot be, and the caller hears at once.
    finish(p, UpstreamReply{}, false);
    return kQueryNotStarted;
  }
  return p->handle;
}

// A socket of its own bound to port 0 (a random source port, RFC 5452 §4.5).
int UvTransport::send_udp(Pending* p) {
  int rc = uv_udp_init(loop_, &p->udp);
  if (rc != 0) {
    p->setup_error = error_reply("UDP socket", rc);
    return rc;
  }
  p->udp.data = p;
  p->socket_open = true;
  ++p->open_handles;
  sockaddr_storage any{};
  any.ss_family = static_cast<sa_family_t>(p->query.server.family());
  rc = uv_udp_bind(&p->udp, reinterpret_cast<const sockaddr*>(&any), 0);
  if (rc == 0) {
    p->buffer.resize(max_response_size_ < dns::kMaxMessageSize ? max_response_size_ + 1 : dns::kMaxMessageSize + 1);
    rc = uv_udp_recv_start(&p->udp, on_udp_alloc, on_udp_read);
  }
  if (rc == 0) {
    uv_buf_t buf = wire_buffer(p);
    p->udp_send.data = p;
    rc = uv_udp_send(&p->udp_send, &p->udp, &buf, 1, p->query.server.sockaddr_ptr(), on_udp_sent);
  }
  if (rc == 0) report_sent(p);
  if (rc != 0) p->setup_error = error_reply("UDP socket", rc);
  return rc;
}

// A connection of its own; the query is written once it is up.
int UvTransport::send_tcp(Pending* p) {
  int rc = uv_tcp_init(loop_, &p->tcp);
  if (rc != 0) {
    p->setup_error = error_reply("TCP socket", rc);
    return rc;
  }
  p->tcp.data = p;
  p->socket_open = true;
  ++p->open_handles;
  p->connect.data = p;
  rc = uv_tcp_connect(&p->connect, &p->tcp, p->query.server.sockaddr_ptr(), on_tcp_connected);
  if (rc != 0) p->setup_error = error_reply("TCP connect to " + p->query.server.to_string(), rc);
  return rc;
}

}  // namespace flatns::resolver
