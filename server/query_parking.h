// One worker's side of flattening through the resolver (DESIGN.md "The path
// of one query", step 5; "Flattening rules"):
//   - answers each query through the responder with a FlattenCall; when the
//     flatten stage parks the query (its external target is not cached), the
//     query is stored in the worker's ParkedQueries and a request goes to the
//     FlattenService (lock-free queue + uv_async_send);
//   - when the service reports the target completed (its own uv_async), or at
//     the deadline (flatten.deadline_ms from arrival, one uv timer; with a
//     stale answer ready, flatten.stale_client_timeout_ms if shorter), the query
//     is answered again in "final" mode, which never parks, and the answer is
//     sent over UDP (UdpListener::send_later, through the worker's response
//     rate limiting like any UDP answer) or TCP (TcpServer::send_parked; a
//     connection closed meanwhile drops it silently);
//   - when the table is full, the query is too large to keep, or the service
//     queue is full, the query is answered at once in final mode (a stale
//     answer or SERVFAIL with EDE 22): nothing grows, every query is answered;
//   - a stage that asks for a background refresh (prefetch) gets its request
//     sent, and the query is answered from the cache as usual; a stale answer
//     given at once (stale_client_timeout_ms 0) sends a resolution request,
//     at most one per target per deadline from this worker.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "flatten/service.h"
#include "flatten/time_source.h"
#include "server/listener_udp.h"
#include "server/parked_queries.h"
#include "server/requested_targets.h"
#include "server/responder.h"
#include "server/worker_state.h"

namespace flatns::server {

class TcpServer;

// Where the answer to a query goes.
struct ReplyRoute {
  UdpListener* udp = nullptr;      // UDP: the listener it came in on ...
  const sockaddr* peer = nullptr;  // ... and the client
  uint64_t tcp_connection = 0;     // TCP: TcpServer's id of the connection
  // UDP on a wildcard socket: where the query was sent, the answer's source.
  const UdpDestination* destination = nullptr;
};

struct ParkingCounters {
  uint64_t parked = 0;
  uint64_t answered_on_completion = 0;
  uint64_t answered_at_deadline = 0;
  uint64_t answered_at_once = 0;  // table or queue full, query too large
  uint64_t requests = 0;          // requests sent to the service (prefetches included)
};

class QueryParking {
 public:
  // `service` may be null: flattened queries are then answered at once.
  // `time` gives the deadlines; it must be the clock the flatten cache and
  // service use (tests inject a manual one).
  QueryParking(unsigned worker, flatten::FlattenService* service,
               const std::shared_ptr<const WorkerState>& state, WorkerBuffers& buffers,
               std::size_t capacity, const flatten::TimeSource& time = flatten::system_time());
  QueryParking(const QueryParking&) = delete;
  QueryParking& operator=(const QueryParking&) = delete;

  // Makes the timer and the completion async on `loop`, attaches to the service.
  [[nodiscard]] bool open(uv_loop_t* loop, std::string& error);
  void set_tcp(TcpServer* tcp) { tcp_ = tcp; }
  // Answers every parked query now (final mode), detaches from the service
  // and closes the handles; the object must outlive the loop run.
  void close();

  // The packet path: the response length to send now, or 0 (dropped, or
  // parked: then `parked` is true and the answer is sent later by route).
  [[nodiscard]] std::size_t answer(std::span<const uint8_t> query, std::span<uint8_t> out,
                                   const QueryContext& context, const ReplyRoute& route, bool& parked);

  [[nodiscard]] std::size_t parked() const { return table_.size(); }
  [[nodiscard]] const ParkingCounters& counters() const { return counters_; }

 private:
  static void on_completed(uv_async_t* handle);
  static void on_deadline(uv_timer_t* handle);
  void answer_completed();
  void answer_due();
  // Answers `entry` again (final or not) and sends; true when it was answered.
  bool reanswer(ParkedQuery& entry, bool final);
  void send(const ParkedQuery& entry, std::span<uint8_t> response, std::size_t length);
  void arm_timer(uint64_t deadline_ms);
  void set_request_qname(std::span<const uint8_t> query);
  // Asks the service to resolve call_'s target unless this worker already
  // did within the deadline; false when the service's queue is full.
  bool request_resolution(std::span<const uint8_t> query, uint64_t key_hash, uint64_t now);
  std::size_t answer_now(std::span<const uint8_t> query, std::span<uint8_t> out, const QueryContext& context,
                         const char* why);

  unsigned worker_;
  flatten::FlattenService* service_;
  const flatten::TimeSource& time_;
  const std::shared_ptr<const WorkerState>& state_;
  WorkerBuffers& buffers_;
  ParkedQueries table_;
  RequestedTargets requested_;
  uint64_t last_full_log_ms_ = 0;
  uint64_t unlogged_full_ = 0;
  TcpServer* tcp_ = nullptr;
  flatten::FlattenCall call_;  // one per worker: reset per query, not rebuilt
  flatten::FlattenRequest request_;
  uv_async_t completed_{};
  uv_timer_t timer_{};
  bool open_ = false;
  uint64_t timer_due_ms_ = UINT64_MAX;
  ParkingCounters counters_;
};

}  // namespace flatns::server
