// One worker thread: its own uv_loop, its own UDP and TCP sockets for every
// listen address (SO_REUSEPORT), its own buffers and its own pointer to the
// current WorkerState. Other threads talk to it only through publish() and
// stop(), which hand over under a mutex and wake the loop with uv_async_send;
// the loop picks the new state up between packets.
#pragma once

#include <uv.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dns/server_address.h"
#include "server/listener_socket.h"
#include "server/listener_tcp.h"
#include "server/listener_udp.h"
#include "server/query_parking.h"
#include "server/worker_state.h"

namespace flatns::server {

class Worker {
 public:
  // How long stop() lets TCP connections finish writing before closing them.
  static constexpr uint64_t kDrainTimeoutMs = 3000;

  // `flatten_service` (may be null) resolves external flattening targets;
  // `max_parked` bounds this worker's parked queries (flatten.max_pending).
  Worker(unsigned index, std::shared_ptr<const WorkerState> state,
         flatten::FlattenService* flatten_service = nullptr, std::size_t max_parked = 1024,
         QueryObserver* observer = nullptr);
  ~Worker();  // stops and joins
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // On the caller's thread: creates and binds this worker's sockets, so
  // that bind errors are reported before anything runs.
  [[nodiscard]] bool bind(const std::vector<dns::ServerAddress>& listen, std::string& error);
  // Starts the thread; it listens on the sockets made by bind().
  [[nodiscard]] bool start(std::string& error);
  // Thread-safe: the worker answers from `state` from its next packet on.
  void publish(std::shared_ptr<const WorkerState> state);
  // Thread-safe: stop accepting, finish writing what was answered, exit.
  void stop();
  void join();

 private:
  void run();
  static void on_wake(uv_async_t* async);
  void begin_stop();
  // With an observer: a copy of `state` whose flatten stage counts outcomes.
  [[nodiscard]] std::shared_ptr<const WorkerState> observed(std::shared_ptr<const WorkerState> state);

  unsigned index_;
  std::vector<SocketFd> udp_fds_;
  std::vector<SocketFd> tcp_fds_;

  std::mutex mutex_;  // guards the hand-over fields below
  std::shared_ptr<const WorkerState> next_state_;
  bool stop_requested_ = false;
  bool loop_ready_ = false;

  // Owned by the worker thread once it runs.
  std::shared_ptr<const WorkerState> state_;
  std::unique_ptr<WorkerBuffers> buffers_;
  uv_loop_t loop_{};
  uv_async_t wake_{};
  uv_timer_t drain_timer_{};
  std::vector<std::unique_ptr<UdpListener>> udp_;
  std::unique_ptr<TcpServer> tcp_;
  std::unique_ptr<QueryParking> parking_;
  flatten::FlattenService* flatten_service_;
  std::size_t max_parked_;
  QueryObserver* observer_;
  bool stopping_ = false;
  std::thread thread_;
  std::string start_error_;
};

}  // namespace flatns::server
