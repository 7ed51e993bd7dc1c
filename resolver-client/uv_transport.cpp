#include "resolver-client/uv_transport.h"

#include <array>
#include <memory>
#include <vector>

#include "dns/message.h"

namespace flatns::resolver {

// Owns its uv handles; freed when the last of them (timer, socket) has closed.
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
  bool finished = false;
  int open_handles = 0;
  uv_timer_t timer{};
  uv_udp_t udp{};
  uv_tcp_t tcp{};
  uv_connect_t connect{};
  uv_write_t write{};
  uv_udp_send_t udp_send{};
};

namespace {

using Pending = UvTransport::Pending;

void on_handle_closed(uv_handle_t* h) {
  auto* p = static_cast<Pending*>(h->data);
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

}  // namespace

UvTransport::UvTransport(uv_loop_t* loop, std::size_t max_response_size)
    : loop_(loop), max_response_size_(max_response_size) {}

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
  uv_timer_stop(&p->timer);
  ReplyCallback done = std::move(p->done);
  reply.rtt_ms = elapsed_ms(p);
  uv_close(reinterpret_cast<uv_handle_t*>(&p->timer), on_handle_closed);
  if (p->query.protocol == Protocol::Udp) {
    uv_udp_recv_stop(&p->udp);
    uv_close(reinterpret_cast<uv_handle_t*>(&p->udp), on_handle_closed);
  } else {
    uv_close(reinterpret_cast<uv_handle_t*>(&p->tcp), on_handle_closed);
  }
  if (notify && done) done(std::move(reply));
}

void UvTransport::on_datagram(Pending* p, std::span<const uint8_t> data, const sockaddr* from) {
  if (p->finished) return;
  if (from != nullptr && !(ServerAddress::from_sockaddr(from) == p->query.server)) {
    ++counters_.ignored_mismatch;
    return;
  }
  if (data.size() > max_response_size_) {
    ++counters_.ignored_malformed;
    return;
  }
  UpstreamReply reply;
  std::string error;
  if (!dns::parse_message(data, reply.message, error)) {
    ++counters_.ignored_malformed;
    return;
  }
  if (!response_matches(reply.message, p->id, p->query.qname, p->query.qtype)) {
    ++counters_.ignored_mismatch;
    return;
  }
  reply.status = ReplyStatus::Answer;
  reply.size = data.size();
  finish(p, std::move(reply), true);
}

QueryHandle UvTransport::send(const UpstreamQuery& query, ReplyCallback done) {
  auto owned = std::make_unique<Pending>();
  Pending* p = owned.release();  // owned again by on_handle_closed
  p->owner = this;
  p->handle = next_handle_++;
  p->query = query;
  p->done = std::move(done);
  p->id = random_query_id();
  p->started_ns = uv_hrtime();
  pending_[p->handle] = p;
  ++counters_.sent;

  dns::QueryOptions opts;
  opts.id = p->id;
  opts.flags = static_cast<uint16_t>((query.recursion_desired ? dns::flag::RD : 0) |
                                     (query.checking_disabled ? dns::flag::CD : 0));
  opts.edns = true;
  opts.udp_size = kEdnsPayloadSize;
  opts.dnssec_ok = true;
  bool tcp = query.protocol == Protocol::Tcp;
  p->wire.resize(dns::kMaxNameLength + 64);
  std::size_t offset = tcp ? 2 : 0;
  std::size_t n = dns::write_query(std::span<uint8_t>(p->wire).subspan(offset), query.qname.wire(),
                                   query.qtype, opts);
  p->wire.resize(offset + n);
  if (tcp) {
    p->wire[0] = static_cast<uint8_t>(n >> 8);
    p->wire[1] = static_cast<uint8_t>(n);
  }

  uv_timer_init(loop_, &p->timer);
  p->timer.data = p;
  p->open_handles = 2;
  uv_timer_start(
      &p->timer,
      [](uv_timer_t* t) {
        auto* pend = static_cast<Pending*>(t->data);
        UpstreamReply r;
        r.status = ReplyStatus::Timeout;
        pend->owner->finish(pend, std::move(r), true);
      },
      query.timeout_ms, 0);

  if (!tcp) {
    uv_udp_init(loop_, &p->udp);
    p->udp.data = p;
    sockaddr_storage any{};
    any.ss_family = static_cast<sa_family_t>(query.server.family());
    int rc = uv_udp_bind(&p->udp, reinterpret_cast<const sockaddr*>(&any), 0);
    if (rc == 0) {
      p->buffer.resize(max_response_size_ < 65535 ? max_response_size_ + 1 : 65536);
      rc = uv_udp_recv_start(
          &p->udp,
          [](uv_handle_t* h, size_t, uv_buf_t* buf) {
            auto* pend = static_cast<Pending*>(h->data);
            *buf = uv_buf_init(reinterpret_cast<char*>(pend->buffer.data()),
                               static_cast<unsigned>(pend->buffer.size()));
          },
          [](uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* from,
             unsigned flags) {
            auto* pend = static_cast<Pending*>(h->data);
            if (nread <= 0 || from == nullptr || (flags & UV_UDP_PARTIAL)) return;
            pend->owner->on_datagram(
                pend, {reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)},
                from);
          });
    }
    if (rc == 0) {
      uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(p->wire.data()),
                                 static_cast<unsigned>(p->wire.size()));
      p->udp_send.data = p;
      rc = uv_udp_send(&p->udp_send, &p->udp, &buf, 1, query.server.sockaddr_ptr(),
                       [](uv_udp_send_t* req, int status) {
                         auto* pend = static_cast<Pending*>(req->data);
                         if (status != 0 && status != UV_ECANCELED && !pend->finished) {
                           pend->owner->finish(pend, error_reply("UDP send", status), true);
                         }
                       });
    }
    if (rc != 0) {
      // Reported on the next loop turn so `done` never runs inside send().
      uv_timer_start(
          &p->timer,
          [](uv_timer_t* t) {
            auto* pend = static_cast<Pending*>(t->data);
            pend->owner->finish(pend, error_reply("UDP socket", UV_EIO), true);
          },
          0, 0);
    }
    return p->handle;
  }

  uv_tcp_init(loop_, &p->tcp);
  p->tcp.data = p;
  p->connect.data = p;
  int rc = uv_tcp_connect(&p->connect, &p->tcp, query.server.sockaddr_ptr(), [](uv_connect_t* c,
                                                                               int status) {
    auto* pend = static_cast<Pending*>(c->data);
    if (pend->finished) return;
    if (status != 0) {
      pend->owner->finish(pend, error_reply("TCP connect to " + pend->query.server.to_string(),
                                            status),
                          true);
      return;
    }
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(pend->wire.data()),
                               static_cast<unsigned>(pend->wire.size()));
    pend->write.data = pend;
    uv_write(&pend->write, reinterpret_cast<uv_stream_t*>(&pend->tcp), &buf, 1,
             [](uv_write_t* w, int st) {
               auto* pw = static_cast<Pending*>(w->data);
               if (st != 0 && st != UV_ECANCELED && !pw->finished) {
                 pw->owner->finish(pw, error_reply("TCP write", st), true);
               }
             });
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&pend->tcp),
        [](uv_handle_t* h, size_t, uv_buf_t* buf) {
          auto* pr = static_cast<Pending*>(h->data);
          *buf = uv_buf_init(reinterpret_cast<char*>(pr->chunk.data()),
                             static_cast<unsigned>(pr->chunk.size()));
        },
        [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
          auto* pr = static_cast<Pending*>(s->data);
          if (pr->finished) return;
          if (nread < 0) {
            pr->owner->finish(pr, error_reply("TCP read", static_cast<int>(nread)), true);
            return;
          }
          pr->buffer.insert(pr->buffer.end(), reinterpret_cast<const uint8_t*>(buf->base),
                            reinterpret_cast<const uint8_t*>(buf->base) + nread);
          // Several messages may arrive in one read; a mismatching one is
          // skipped and the next examined.
          while (!pr->finished && pr->buffer.size() >= 2) {
            std::size_t len = static_cast<std::size_t>(pr->buffer[0] << 8 | pr->buffer[1]);
            if (pr->buffer.size() < 2 + len) return;
            std::vector<uint8_t> message(pr->buffer.begin() + 2, pr->buffer.begin() + 2 + len);
            pr->buffer.erase(pr->buffer.begin(), pr->buffer.begin() + 2 + len);
            pr->owner->on_datagram(pr, message, nullptr);
          }
        });
  });
  if (rc != 0) {
    uv_timer_start(
        &p->timer,
        [](uv_timer_t* t) {
          auto* pend = static_cast<Pending*>(t->data);
          pend->owner->finish(pend, error_reply("TCP connect", UV_EIO), true);
        },
        0, 0);
  }
  return p->handle;
}

}  // namespace flatns::resolver
