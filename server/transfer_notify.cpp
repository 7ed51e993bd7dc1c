#include "server/transfer_notify.h"

#include <ctime>
#include <random>

#include "server/log.h"
#include "transfer/notify.h"
#include "zones/zone.h"

namespace flatns::server {

NotifySender::~NotifySender() { stop(); }

void NotifySender::zones_loaded(const Config& config, const zones::ZoneSet& zones) {
  if (stopped_) return;
  for (const auto& entry : config.zones) {
    if (entry.transfer.notify.empty()) continue;
    const auto zone = zones.find_exact(entry.config.origin);
    if (!zone) continue;
    Announced* announced = nullptr;
    for (auto& a : announced_) {
      if (a.origin == zone->origin()) announced = &a;
    }
    if (announced && announced->serial == zone->serial()) continue;
    if (announced) {
      announced->serial = zone->serial();
    } else {
      announced_.push_back({zone->origin(), zone->serial()});
    }
    announce(config, entry, zone, false);
  }
}

void NotifySender::expanded_changed(const Config& config, const std::shared_ptr<const zones::Zone>& expanded) {
  if (stopped_) return;
  for (const auto& entry : config.zones) {
    if (entry.config.origin == expanded->origin()) announce(config, entry, expanded, true);
  }
}

void NotifySender::announce(const Config& config, const ZoneEntry& entry,
                            const std::shared_ptr<const zones::Zone>& zone, bool expanded) {
  // A NOTIFY for an older serial of this view is no longer worth sending.
  for (auto& job : jobs_) {
    if (!job.done && job.expanded == expanded && job.zone->origin() == zone->origin()) finish(job);
  }
  for (const auto& peer : entry.transfer.notify) {
    if (peer.expand != expanded) continue;
    Job& job = jobs_.emplace_back();
    job.owner = this;
    job.self = std::prev(jobs_.end());
    job.zone = zone;
    job.expanded = expanded;
    job.peer = peer.address;
    if (peer.key) {
      for (const auto& k : config.keys) {
        if (k.name == *peer.key) job.key = k;
      }
    }
    start(job);
  }
}

void NotifySender::start(Job& job) {
  static thread_local std::mt19937 random{std::random_device{}()};
  job.id = static_cast<uint16_t>(random());
  // Both always succeed here: without a family uv_udp_init opens no socket.
  (void)uv_udp_init(loop_, &job.udp);
  job.udp.data = &job;
  ++job.open_handles;
  (void)uv_timer_init(loop_, &job.timer);
  job.timer.data = &job;
  ++job.open_handles;
  // Connected, so that only the secondary's answers arrive.
  int rc = uv_udp_connect(&job.udp, job.peer.sockaddr_ptr());
  if (rc == 0) rc = uv_udp_recv_start(&job.udp, on_alloc, on_receive);
  if (rc != 0) {
    log_warn(job.what() + ": " + uv_strerror(rc));
    finish(job);
    return;
  }
  send(job);
}

void NotifySender::send(Job& job) {
  const uint64_t now = static_cast<uint64_t>(std::time(nullptr));
  const std::vector<uint8_t> message =
      transfer::make_notify(*job.zone, job.id, job.key ? &*job.key : nullptr, now, job.request_mac);
  ++job.attempts;
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(const_cast<uint8_t*>(message.data())),
                             static_cast<unsigned>(message.size()));
  const int sent = uv_udp_try_send(&job.udp, &buf, 1, nullptr);
  if (sent < 0) log_debug(job.what() + ": send failed: " + uv_strerror(sent));
  const uint64_t delay = kFirstRetryMs << (job.attempts - 1);
  if (const int rc = uv_timer_start(&job.timer, on_timer, delay, 0); rc != 0) {
    log_warn(job.what() + ": no retry timer: " + uv_strerror(rc));
    finish(job);
  }
}

void NotifySender::on_timer(uv_timer_t* timer) {
  Job& job = *static_cast<Job*>(timer->data);
  if (job.done) return;
  if (job.attempts >= kAttempts) {
    log_warn(job.what() + ": no answer after " + std::to_string(job.attempts) + " attempts; giving up");
    job.owner->finish(job);
    return;
  }
  job.owner->send(job);
}

void NotifySender::on_alloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  Job& job = *static_cast<Job*>(handle->data);
  *buf = uv_buf_init(reinterpret_cast<char*>(job.receive_buffer.data()),
                     static_cast<unsigned>(job.receive_buffer.size()));
}

void NotifySender::on_receive(uv_udp_t* udp, ssize_t nread, const uv_buf_t* buf, const sockaddr*, unsigned) {
  Job& job = *static_cast<Job*>(udp->data);
  if (job.done || nread <= 0) return;
  std::string detail;
  const auto verdict = transfer::check_notify_reply(
      {reinterpret_cast<const uint8_t*>(buf->base), static_cast<std::size_t>(nread)}, job.id,
      job.zone->origin().wire(), job.key ? &*job.key : nullptr, job.request_mac,
      static_cast<uint64_t>(std::time(nullptr)), detail);
  switch (verdict) {
    case transfer::NotifyReply::NotOurs: return;
    case transfer::NotifyReply::Acknowledged:
      log_info(job.what() + ": acknowledged");
      break;
    case transfer::NotifyReply::Malformed:
    case transfer::NotifyReply::Error:
      log_warn(job.what() + ": " + detail + "; not retried");
      break;
  }
  job.owner->finish(job);
}

void NotifySender::finish(Job& job) {
  if (job.done) return;
  job.done = true;
  (void)uv_timer_stop(&job.timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&job.timer), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&job.udp), on_closed);
}

void NotifySender::on_closed(uv_handle_t* handle) {
  Job& job = *static_cast<Job*>(handle->data);
  if (--job.open_handles > 0) return;
  job.owner->jobs_.erase(job.self);
}

void NotifySender::stop() {
  stopped_ = true;
  for (auto& job : jobs_) finish(job);
}

}  // namespace flatns::server
