#include "server/listener_tcp.h"

#include <sys/socket.h>

#include <cstring>

#include "server/log.h"
#include "server/query_parking.h"
#include "server/responder.h"
#include "server/transfer_glue.h"

namespace flatns::server {
namespace {

constexpr std::size_t kInitialReadBuffer = 1024;
constexpr std::size_t kMaxFrame = 2 + 65535;
// Answers waiting to be written, per connection. Past this, queries already
// read stay unanswered in the input buffer and reading stops until the
// client takes its answers: a client that pipelines without reading costs
// at most this plus one answer (and the input buffer), never a whole read's
// worth of answers.
constexpr std::size_t kMaxPendingOutput = 64 * 1024;
// A zone transfer's messages are made as the socket drains, about this many
// octets at a time: several whole messages per write, and the next chunk is
// made while one is being written, so a large zone costs few system calls
// and loop turns.
constexpr std::size_t kTransferChunk = 64 * 1024;

}  // namespace

struct TcpServer::Connection {
  TcpServer* server = nullptr;
  ConnectionList::iterator self;
  uv_tcp_t tcp{};
  uv_timer_t idle{};
  uv_write_t write_req{};
  std::vector<uint8_t> input;  // received octets not yet forming a whole frame
  std::size_t input_used = 0;
  std::vector<uint8_t> pending;  // responses waiting for the write in flight
  std::vector<uint8_t> writing;  // the buffer of the write in flight
  bool write_in_flight = false;
  bool reading = false;
  bool peer_closed = false;  // EOF or read error seen
  bool closing = false;
  int open_handles = 0;

  [[nodiscard]] std::size_t queued_output() const { return pending.size() + writing.size(); }
  // A whole frame (length prefix and message) waits in the input buffer.
  [[nodiscard]] bool has_frame() const {
    if (input_used < 2) return false;
    std::size_t length = static_cast<std::size_t>(input[0]) << 8 | input[1];
    return input_used >= 2 + length;
  }
  uint64_t id = 0;
  unsigned parked = 0;  // queries waiting for a flattened answer
  sockaddr_storage peer{};  // the client, for transfer ACLs, NOTIFY checks and dnstap
  bool peer_known = false;
  const sockaddr* client() const { return peer_known ? reinterpret_cast<const sockaddr*>(&peer) : nullptr; }
  // A zone transfer being sent; queries after it wait until it is done.
  std::unique_ptr<transfer::TransferStream> transfer;
  // Nothing left to send and nothing to wait for.
  bool settled() const { return !write_in_flight && pending.empty() && parked == 0 && !transfer; }
  // Appends the transfer's next messages; drops the stream once it is sent.
  void pump_transfer() {
    if (transfer && !transfer->next(pending, kTransferChunk)) transfer.reset();
  }
};

TcpServer::TcpServer(uv_loop_t* loop, const std::shared_ptr<const WorkerState>& state, WorkerBuffers& buffers)
    : loop_(loop), state_(state), buffers_(buffers) {}

TcpServer::~TcpServer() = default;

bool TcpServer::listen(int fd, std::string& error) {
  auto listener = std::make_unique<Listener>();
  listener->server = this;
  int rc = uv_tcp_init(loop_, &listener->handle);
  if (rc != 0) {
    error = std::string("TCP socket: ") + uv_strerror(rc);
    return false;
  }
  listener->handle.data = listener.get();
  Listener* raw = listener.get();
  listeners_.push_back(std::move(listener));
  rc = uv_tcp_open(&raw->handle, fd);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&raw->handle), SOMAXCONN, on_connection);
  if (rc != 0) {
    error = std::string("TCP listen: ") + uv_strerror(rc);
    return false;
  }
  return true;
}

void TcpServer::stop(std::function<void()> on_drained) {
  stopping_ = true;
  on_drained_ = std::move(on_drained);
  for (auto& l : listeners_) {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&l->handle))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&l->handle), nullptr);
    }
  }
  for (auto it = connections_.begin(); it != connections_.end();) {
    Connection& c = *it++;
    if (c.closing) continue;
    if (c.reading) {
      (void)uv_read_stop(reinterpret_cast<uv_stream_t*>(&c.tcp));
      c.reading = false;
    }
    if (c.settled()) close_connection(c);
  }
  check_drained();
}

void TcpServer::close_all() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    Connection& c = *it++;
    close_connection(c);
  }
}

void TcpServer::check_drained() {
  if (stopping_ && connections_.empty() && on_drained_) {
    auto done = std::move(on_drained_);
    on_drained_ = nullptr;
    done();
  }
}

void TcpServer::on_connection(uv_stream_t* listener, int status) {
  auto* l = static_cast<Listener*>(listener->data);
  if (status < 0) {
    log_warn(std::string("TCP accept: ") + uv_strerror(status));
    return;
  }
  l->server->accept(listener);
}

bool TcpServer::make_room() {
  const std::size_t limit = state_->tcp_max_connections;
  std::size_t open = 0;
  for (const auto& c : connections_) open += c.closing ? 0 : 1;
  if (open < limit) return true;
  for (auto& c : connections_) {  // least recently active first
    if (!c.closing && c.settled()) {
      log_debug("TCP connection limit (" + std::to_string(limit) + ") reached: closing the oldest idle connection");
      close_connection(c);
      return true;
    }
  }
  return false;
}

void TcpServer::accept(uv_stream_t* listener) {
  if (stopping_) return;
  bool room = make_room();
  Connection& c = connections_.emplace_back();
  c.server = this;
  c.self = std::prev(connections_.end());
  c.id = next_id_++;
  by_id_[c.id] = &c;
  // Both always succeed here: without a family uv_tcp_init opens no socket.
  (void)uv_tcp_init(loop_, &c.tcp);
  c.tcp.data = &c;
  ++c.open_handles;
  (void)uv_timer_init(loop_, &c.idle);
  c.idle.data = &c;
  ++c.open_handles;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c.tcp)) != 0 || !room) {
    if (!room) log_warn("TCP connection refused: all " + std::to_string(state_->tcp_max_connections) +
                        " connections of this worker are busy");
    close_connection(c);
    return;
  }
  // Only latency depends on it: a connection without TCP_NODELAY still works.
  if (const int rc = uv_tcp_nodelay(&c.tcp, 1); rc != 0) log_debug(std::string("TCP_NODELAY: ") + uv_strerror(rc));
  int peer_length = sizeof c.peer;
  c.peer_known = uv_tcp_getpeername(&c.tcp, reinterpret_cast<sockaddr*>(&c.peer), &peer_length) == 0;
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&c.tcp), on_alloc, on_read) != 0) {
    close_connection(c);
    return;
  }
  c.reading = true;
  touch_timer(c);
}

void TcpServer::on_alloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(handle->data);
  if (c->input.empty()) c->input.resize(kInitialReadBuffer);
  if (c->input_used == c->input.size() && c->input.size() < kMaxFrame) {
    c->input.resize(std::min(kMaxFrame, c->input.size() * 2));
  }
  *buf = uv_buf_init(reinterpret_cast<char*>(c->input.data() + c->input_used),
                     static_cast<unsigned>(c->input.size() - c->input_used));
}

void TcpServer::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  auto* c = static_cast<Connection*>(stream->data);
  TcpServer* self = c->server;
  if (nread < 0) {
    // EOF or error: answers already produced are still written (a client may
    // half-close after its last query), then the connection closes.
    (void)uv_read_stop(stream);
    c->reading = false;
    c->peer_closed = true;
    if (c->settled()) self->close_connection(*c);
    return;
  }
  if (nread == 0) return;
  // Only whole queries and completed writes restart the idle timer (in
  // process_frames and on_write): a client trickling octets that never make
  // a message (slowloris) is dropped at the idle timeout.
  c->input_used += static_cast<std::size_t>(nread);
  self->process_frames(*c);
}

void TcpServer::process_frames(Connection& c) {
  const WorkerState& state = *state_;
  QueryContext ctx;
  ctx.tcp = true;
  ctx.nsid = state.nsid;
  ctx.flatten = state.flatten.get();
  ctx.transfer = state.transfer.get();  // signed queries and NOTIFY; transfers are taken below
  ctx.client = c.client();
  ctx.notify_target = state.notify_target;
  ctx.observer = buffers_.observer;
  std::size_t pos = 0;
  bool answered = false;
  while (c.input_used - pos >= 2 && c.queued_output() < kMaxPendingOutput && !c.transfer) {
    std::size_t length = static_cast<std::size_t>(c.input[pos]) << 8 | c.input[pos + 1];
    if (length == 0) {  // no DNS message is empty: the stream is out of sync
      close_connection(c);
      return;
    }
    if (c.input_used - pos < 2 + length) {
      if (c.input.size() < 2 + length) {  // make sure the whole frame fits
        std::memmove(c.input.data(), c.input.data() + pos, c.input_used - pos);
        c.input_used -= pos;
        pos = 0;
        c.input.resize(2 + length);
      }
      break;
    }
    std::span<const uint8_t> query(c.input.data() + pos + 2, length);
    bool parked = false;
    std::size_t n = 0;
    if (state.transfer && transfer::is_transfer_query(query)) {
      n = answer_transfer_tcp(*state.zones, *state.transfer, query, c.client(), buffers_.response, c.transfer);
    } else {
      n = parking_ ? parking_->answer(query, buffers_.response, ctx, ReplyRoute{nullptr, nullptr, c.id}, parked)
                   : answer_query(*state.zones, query, buffers_.response, ctx);
    }
    if (parked) ++c.parked;
    if (n > 0) {
      c.pending.push_back(static_cast<uint8_t>(n >> 8));
      c.pending.push_back(static_cast<uint8_t>(n));
      c.pending.insert(c.pending.end(), buffers_.response.begin(), buffers_.response.begin() + n);
    }
    pos += 2 + length;
    answered = true;
  }
  if (pos > 0) {
    std::memmove(c.input.data(), c.input.data() + pos, c.input_used - pos);
    c.input_used -= pos;
  }
  if (answered) touch(c);
  if (c.transfer && c.pending.size() < kMaxPendingOutput) c.pump_transfer();
  if ((c.queued_output() >= kMaxPendingOutput || c.transfer) && c.reading) {
    (void)uv_read_stop(reinterpret_cast<uv_stream_t*>(&c.tcp));
    c.reading = false;
  }
  flush(c);
  if (c.write_in_flight && c.pending.empty()) c.pump_transfer();  // the next chunk, ready when this one is written
}

void TcpServer::flush(Connection& c) {
  if (c.write_in_flight || c.pending.empty() || c.closing) return;
  c.writing.swap(c.pending);
  c.pending.clear();
  c.write_req.data = &c;
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(c.writing.data()), static_cast<unsigned>(c.writing.size()));
  if (uv_write(&c.write_req, reinterpret_cast<uv_stream_t*>(&c.tcp), &buf, 1, on_write) != 0) {
    close_connection(c);
    return;
  }
  c.write_in_flight = true;
}

void TcpServer::on_write(uv_write_t* req, int status) {
  auto* c = static_cast<Connection*>(req->data);
  TcpServer* self = c->server;
  c->write_in_flight = false;
  c->writing.clear();
  if (c->closing) return;
  if (status < 0) {
    self->close_connection(*c);
    return;
  }
  self->touch(*c);
  if (c->pending.empty()) c->pump_transfer();
  if (!c->pending.empty()) {
    self->flush(*c);
    if (c->write_in_flight && c->pending.empty()) c->pump_transfer();
    return;
  }
  // Queries left unanswered while too much output waited are answered now.
  if (!self->stopping_ && c->has_frame()) {
    self->process_frames(*c);
    if (c->closing || c->write_in_flight) return;
  }
  if (c->reading) return;
  if (self->stopping_ || c->peer_closed) {
    if (c->parked == 0) self->close_connection(*c);
    return;
  }
  // Reading was paused because the client did not read its answers; all is
  // written now, so listen to it again.
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), on_alloc, on_read) == 0) {
    c->reading = true;
  } else {
    self->close_connection(*c);
  }
}

void TcpServer::touch(Connection& c) {
  connections_.splice(connections_.end(), connections_, c.self);
  touch_timer(c);
}

// (Re)arms the idle timer. It fails only on a closing handle, and a
// connection without one would stay open for ever: close it.
void TcpServer::touch_timer(Connection& c) {
  if (uv_timer_start(&c.idle, on_idle_timeout, state_->tcp_idle_timeout_ms, 0) != 0) close_connection(c);
}

void TcpServer::on_idle_timeout(uv_timer_t* timer) {
  auto* c = static_cast<Connection*>(timer->data);
  log_debug("TCP connection idle for " + std::to_string(c->server->state_->tcp_idle_timeout_ms) + " ms: closing");
  c->server->close_connection(*c);
}

void TcpServer::close_connection(Connection& c) {
  if (c.closing) return;
  c.closing = true;
  (void)uv_timer_stop(&c.idle);
  uv_close(reinterpret_cast<uv_handle_t*>(&c.idle), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&c.tcp), on_handle_closed);
}

void TcpServer::on_handle_closed(uv_handle_t* handle) {
  auto* c = static_cast<Connection*>(handle->data);
  if (--c->open_handles > 0) return;
  TcpServer* self = c->server;
  self->by_id_.erase(c->id);
  self->connections_.erase(c->self);
  self->check_drained();
}

void TcpServer::send_parked(uint64_t id, std::span<const uint8_t> response) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;  // the connection closed meanwhile
  Connection& c = *it->second;
  if (c.parked > 0) --c.parked;
  if (c.closing) return;
  if (!response.empty()) {
    c.pending.push_back(static_cast<uint8_t>(response.size() >> 8));
    c.pending.push_back(static_cast<uint8_t>(response.size()));
    c.pending.insert(c.pending.end(), response.begin(), response.end());
    flush(c);
    return;
  }
  if (!c.reading && (stopping_ || c.peer_closed) && c.settled()) close_connection(c);
}

}  // namespace flatns::server
