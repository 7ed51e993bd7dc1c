// DNS over TCP (RFC 1035 §4.2.2, RFC 7766) for one worker thread.
//
// - Each message carries a 2-octet length prefix; frames may arrive split
//   over several reads or several in one read.
// - Several queries per connection; pipelined queries are answered in the
//   order received (answering is synchronous, so order is kept for free).
// - An idle connection is closed after tcp_idle_timeout_ms (RFC 7766 §6.2.3);
//   the timer restarts when a whole query has arrived and when a write
//   completes, not on every read: a client trickling octets that never form a
//   message (slowloris) is dropped at the timeout, as is one that never reads
//   its answers.
// - Memory per connection is bounded: the input buffer holds at most one
//   frame (2 + 65535 octets), and once 64 KiB of answers wait to be written
//   no further query is answered or read until the client takes them.
// - At most tcp_max_connections per worker. When a new connection arrives at
//   the limit, the least recently active connection that has nothing left to
//   send is closed to make room (Knot does the same under pressure); if every
//   connection is busy the new one is refused (accepted and closed at once).
// - Stopping closes the listening sockets, stops reading, lets responses
//   already produced be written, then closes every connection.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/listener_udp.h"
#include "server/worker_state.h"

namespace flatns::server {

class TcpServer {
 public:
  TcpServer(uv_loop_t* loop, const std::shared_ptr<const WorkerState>& state, WorkerBuffers& buffers);
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  // Takes ownership of the bound socket `fd` and starts listening.
  [[nodiscard]] bool listen(int fd, std::string& error);
  // Closes listeners; lets connections finish their writes, then close.
  // `on_drained` runs once no connection is left.
  void stop(std::function<void()> on_drained);
  // Closes every connection now (drain deadline passed).
  void close_all();
  [[nodiscard]] std::size_t connection_count() const { return connections_.size(); }

  // Flattened queries go through `parking` (server/query_parking.h), which
  // may hold them; their answers come back through send_parked().
  void set_parking(QueryParking* parking) { parking_ = parking; }
  // The answer to a query parked from connection `id` (empty: none to send).
  // Dropped silently when that connection has closed meanwhile.
  void send_parked(uint64_t id, std::span<const uint8_t> response);

 private:
  struct Listener {
    uv_tcp_t handle{};
    TcpServer* server = nullptr;
  };
  struct Connection;
  using ConnectionList = std::list<Connection>;

  static void on_connection(uv_stream_t* listener, int status);
  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_idle_timeout(uv_timer_t* timer);
  static void on_handle_closed(uv_handle_t* handle);

  void accept(uv_stream_t* listener);
  bool make_room();
  void process_frames(Connection& c);
  void flush(Connection& c);
  void touch(Connection& c);
  void touch_timer(Connection& c);
  void close_connection(Connection& c);
  void check_drained();

  uv_loop_t* loop_;
  const std::shared_ptr<const WorkerState>& state_;
  WorkerBuffers& buffers_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  ConnectionList connections_;  // least recently active first
  bool stopping_ = false;
  std::function<void()> on_drained_;
  QueryParking* parking_ = nullptr;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Connection*> by_id_;  // for answers of parked queries
};

}  // namespace flatns::server
