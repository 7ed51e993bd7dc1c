#include "server/worker.h"

#include <condition_variable>

#include "server/log.h"

namespace flatns::server {

Worker::Worker(unsigned index, std::shared_ptr<const WorkerState> state,
               flatten::FlattenService* flatten_service, std::size_t max_parked, QueryObserver* observer)
    : index_(index),
      buffers_(std::make_unique<WorkerBuffers>()),
      flatten_service_(flatten_service),
      max_parked_(max_parked),
      observer_(observer) {
  buffers_->observer = observer;
  state_ = observed(std::move(state));
}

std::shared_ptr<const WorkerState> Worker::observed(std::shared_ptr<const WorkerState> state) {
  if (observer_ && state) observer_->set_zone_slots(state->zone_slots.get());
  return state;
}

Worker::~Worker() {
  stop();
  join();
}

bool Worker::bind(const std::vector<dns::ServerAddress>& listen, std::string& error) {
  for (const auto& address : listen) {
    int udp = open_bound_socket(address, Transport::Udp, error);
    if (udp < 0) return false;
    udp_fds_.emplace_back(udp);
    int tcp = open_bound_socket(address, Transport::Tcp, error);
    if (tcp < 0) return false;
    tcp_fds_.emplace_back(tcp);
  }
  return true;
}

bool Worker::start(std::string& error) {
  int rc = uv_loop_init(&loop_);
  if (rc == 0) {
    rc = uv_async_init(&loop_, &wake_, on_wake);
    wake_.data = this;
  }
  if (rc == 0) {
    rc = uv_timer_init(&loop_, &drain_timer_);
    drain_timer_.data = this;
  }
  if (rc != 0) {
    error = "worker " + std::to_string(index_) + ": " + uv_strerror(rc);
    return false;
  }
  update_rate_limiter(buffers_->rrl, state_->rrl);
  tcp_ = std::make_unique<TcpServer>(&loop_, state_, *buffers_);
  parking_ = std::make_unique<QueryParking>(index_, flatten_service_, state_, *buffers_, max_parked_);
  if (!parking_->open(&loop_, error)) {
    error = "worker " + std::to_string(index_) + ": " + error;
    return false;
  }
  parking_->set_tcp(tcp_.get());
  tcp_->set_parking(parking_.get());
  for (auto& fd : udp_fds_) {
    auto listener = std::make_unique<UdpListener>(state_, *buffers_);
    listener->set_parking(parking_.get());
    if (!listener->open(&loop_, fd.release(), error)) {
      error = "worker " + std::to_string(index_) + ": " + error;
      udp_.push_back(std::move(listener));
      return false;
    }
    udp_.push_back(std::move(listener));
  }
  for (auto& fd : tcp_fds_) {
    if (!tcp_->listen(fd.release(), error)) {
      error = "worker " + std::to_string(index_) + ": " + error;
      return false;
    }
  }
  {
    std::lock_guard lock(mutex_);
    loop_ready_ = true;
  }
  thread_ = std::thread([this] { run(); });
  return true;
}

void Worker::run() {
  (void)uv_run(&loop_, UV_RUN_DEFAULT);  // returns once stop() closed every handle
  // Every handle is closed by now; anything left would be a bug, so close
  // it rather than leak the loop.
  uv_walk(&loop_, [](uv_handle_t* h, void*) { if (!uv_is_closing(h)) uv_close(h, nullptr); }, nullptr);
  (void)uv_run(&loop_, UV_RUN_DEFAULT);
  if (const int rc = uv_loop_close(&loop_); rc != 0) {
    log_warn("worker " + std::to_string(index_) + ": its event loop did not close: " + uv_strerror(rc));
  }
  log_debug("worker " + std::to_string(index_) + " stopped");
}

void Worker::publish(std::shared_ptr<const WorkerState> state) {
  std::lock_guard lock(mutex_);
  next_state_ = std::move(state);
  if (loop_ready_ && !stop_requested_) {
    if (const int rc = uv_async_send(&wake_); rc != 0) {
      log_warn("worker " + std::to_string(index_) + ": cannot wake it for the new zones: " + uv_strerror(rc));
    }
  }
}

void Worker::stop() {
  std::lock_guard lock(mutex_);
  if (stop_requested_) return;
  stop_requested_ = true;
  if (loop_ready_) uv_async_send(&wake_);
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::on_wake(uv_async_t* async) {
  auto* self = static_cast<Worker*>(async->data);
  std::shared_ptr<const WorkerState> next;
  bool stop = false;
  {
    std::lock_guard lock(self->mutex_);
    next = std::move(self->next_state_);
    stop = self->stop_requested_;
  }
  // The old snapshot is released here, between packets; the listeners hold
  // a reference to state_, so they see the new one from the next callback.
  if (next) {
    self->state_ = self->observed(std::move(next));
    update_rate_limiter(self->buffers_->rrl, self->state_->rrl);
  }
  if (stop && !self->stopping_) self->begin_stop();
}

void Worker::begin_stop() {
  stopping_ = true;
  parking_->close();  // answers what is parked while the sockets are still open
  for (auto& udp : udp_) udp->close();
  {
    std::lock_guard lock(mutex_);
    loop_ready_ = false;  // no more uv_async_send on a closing handle
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
  const int rc = uv_timer_start(
      &drain_timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<Worker*>(timer->data);
        log_warn("worker " + std::to_string(self->index_) + ": " + std::to_string(self->tcp_->connection_count()) +
                 " TCP connections still writing after " + std::to_string(kDrainTimeoutMs) + " ms: closing them");
        self->tcp_->close_all();
      },
      kDrainTimeoutMs, 0);
  // Only a closing handle or a null callback fail here; without the drain
  // timer a TCP client that never reads would hold stop(), so say so.
  if (rc != 0) {
    log_warn("worker " + std::to_string(index_) + ": no drain timer for TCP connections still writing: " +
             uv_strerror(rc));
  }
  tcp_->stop([this] {
    (void)uv_timer_stop(&drain_timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(&drain_timer_), nullptr);
  });
}

}  // namespace flatns::server
