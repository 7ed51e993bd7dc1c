#include "server/query_parking.h"

#include <algorithm>
#include <cstring>

#include "dns/message.h"
#include "flatten/answer_cache.h"
#include "flatten/time_source.h"
#include "server/listener_tcp.h"
#include "server/log.h"

namespace flatns::server {

QueryParking::QueryParking(unsigned worker, flatten::FlattenService* service,
                           const std::shared_ptr<const WorkerState>& state, WorkerBuffers& buffers,
                           std::size_t capacity, const flatten::TimeSource& time)
    : worker_(worker),
      service_(service),
      time_(time),
      state_(state),
      buffers_(buffers),
      table_(capacity),
      requested_(2 * capacity) {}

bool QueryParking::open(uv_loop_t* loop, std::string& error) {
  int rc = uv_async_init(loop, &completed_, on_completed);
  if (rc == 0) {
    completed_.data = this;
    rc = uv_timer_init(loop, &timer_);
    timer_.data = this;
  }
  if (rc != 0) {
    error = std::string("flatten parking: ") + uv_strerror(rc);
    return false;
  }
  open_ = true;
  if (service_) service_->attach(worker_, &completed_);
  return true;
}

void QueryParking::close() {
  if (!open_) return;
  if (service_) service_->detach(worker_);
  for (std::size_t i = 0; i < table_.capacity(); ++i) {
    ParkedQuery& entry = table_.at(i);
    if (entry.used) reanswer(entry, true);
  }
  open_ = false;
  (void)uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&completed_), nullptr);
}

std::size_t QueryParking::answer_now(std::span<const uint8_t> query, std::span<uint8_t> out,
                                     const QueryContext& context, const char* why) {
  ++counters_.answered_at_once;
  const uint64_t now = time_.now_ms();
  if (last_full_log_ms_ == 0 || now - last_full_log_ms_ >= 10000) {
    log_warn("worker " + std::to_string(worker_) + ": a flattened query was answered without waiting: " + why +
             (unlogged_full_ ? " (and " + std::to_string(unlogged_full_) + " more since the last line)" : ""));
    last_full_log_ms_ = now;
    unlogged_full_ = 0;
  } else {
    ++unlogged_full_;
  }
  QueryContext ctx = context;
  call_.reset(true);
  ctx.flatten_call = &call_;
  return answer_query(*state_->zones, query, out, ctx);
}

std::size_t QueryParking::answer(std::span<const uint8_t> query, std::span<uint8_t> out,
                                 const QueryContext& context, const ReplyRoute& route, bool& parked) {
  parked = false;
  QueryContext ctx = context;
  call_.reset(!open_ || service_ == nullptr);
  ctx.flatten_call = &call_;
  const std::size_t length = answer_query(*state_->zones, query, out, ctx);
  if (call_.outcome != flatten::FlattenCall::Outcome::Park) {
    if (call_.stale_refresh && service_) {
      // The stale answer went out at once; a full queue only loses this refresh.
      (void)request_resolution(query, flatten::target_key_hash(call_.target.view(), call_.qtype), time_.now_ms());
    } else if (call_.refresh && service_) {
      request_.target = call_.target;
      request_.qtype = call_.qtype;
      request_.zone.assign(call_.zone);
      set_request_qname(query);
      request_.prefetch = true;
      if (service_->request(worker_, request_)) ++counters_.requests;  // a full queue only loses this refresh
    }
    return length;
  }
  const uint64_t now = time_.now_ms();
  if (query.size() > ParkedQuery::kMaxQuery) return answer_now(query, out, context, "query too large to hold");
  ParkedQuery* entry = table_.add();
  if (!entry) return answer_now(query, out, context, "the parked-query table is full (flatten.max_pending)");
  const uint64_t key_hash = flatten::target_key_hash(call_.target.view(), call_.qtype);
  if (!request_resolution(query, key_hash, now)) {
    table_.release(*entry);
    return answer_now(query, out, context, "the request queue to the flatten service is full");
  }
  entry->tcp = route.udp == nullptr;
  entry->length = static_cast<uint16_t>(query.size());
  std::memcpy(entry->query.data(), query.data(), query.size());
  entry->key_hash = key_hash;
  // With a stale answer ready it is given after the client response timer
  // (RFC 8767 §5) when the resolution has not answered by then.
  const uint32_t hold_ms = call_.hold_ms != 0 ? std::min(call_.hold_ms, state_->flatten_deadline_ms)
                                              : state_->flatten_deadline_ms;
  entry->deadline_ms = now + hold_ms;
  entry->udp = route.udp;
  entry->tcp_connection = route.tcp_connection;
  entry->destination = route.destination ? *route.destination : UdpDestination{};
  if (route.peer) {
    const std::size_t size = route.peer->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    std::memcpy(&entry->peer, route.peer, size);
  }
  ++counters_.parked;
  parked = true;
  arm_timer(entry->deadline_ms);
  return 0;
}

bool QueryParking::request_resolution(std::span<const uint8_t> query, uint64_t key_hash, uint64_t now) {
  const uint64_t window = state_->flatten_deadline_ms;
  if (requested_.outstanding(key_hash, now, window)) return true;
  request_.target = call_.target;
  request_.qtype = call_.qtype;
  request_.zone.assign(call_.zone);
  request_.prefetch = false;
  set_request_qname(query);
  if (!service_->request(worker_, request_)) return false;
  ++counters_.requests;
  requested_.asked(key_hash, now, window);
  return true;
}

// The flattened name, for the service's log lines.
void QueryParking::set_request_qname(std::span<const uint8_t> query) {
  dns::Query q;
  if (dns::parse_query(query, q) == dns::QueryStatus::Ok) {
    request_.qname = q.qname;
  } else {
    request_.qname.assign(dns::Name::root().wire());
  }
}

void QueryParking::arm_timer(uint64_t deadline_ms) {
  if (timer_due_ms_ <= deadline_ms) return;
  const uint64_t now = time_.now_ms();
  timer_due_ms_ = deadline_ms;
  if (const int rc = uv_timer_start(&timer_, on_deadline, deadline_ms > now ? deadline_ms - now : 0, 0); rc != 0) {
    // Only a closing handle fails here (the worker is stopping, and close()
    // answers every parked query); the next arm_timer tries again.
    timer_due_ms_ = UINT64_MAX;
    log_warn("worker " + std::to_string(worker_) + ": no deadline timer for parked queries: " + uv_strerror(rc));
  }
}

void QueryParking::on_completed(uv_async_t* handle) {
  static_cast<QueryParking*>(handle->data)->answer_completed();
}

void QueryParking::on_deadline(uv_timer_t* handle) {
  auto* self = static_cast<QueryParking*>(handle->data);
  self->timer_due_ms_ = UINT64_MAX;
  self->answer_due();
}

void QueryParking::answer_completed() {
  if (!service_) return;
  uint64_t hash = 0;
  while (service_->next_completed(worker_, hash)) {
    requested_.completed(hash);
    for (std::size_t i = 0; i < table_.capacity(); ++i) {
      ParkedQuery& entry = table_.at(i);
      if (!entry.used || entry.key_hash != hash) continue;
      reanswer(entry, true);
      ++counters_.answered_on_completion;
    }
  }
  if (service_->take_missed_completions(worker_)) {
    requested_.clear();
    // Some completions did not fit the queue: whatever the cache answers now
    // is answered; the rest keep waiting for their deadline.
    for (std::size_t i = 0; i < table_.capacity(); ++i) {
      ParkedQuery& entry = table_.at(i);
      if (entry.used && reanswer(entry, false)) ++counters_.answered_on_completion;
    }
  }
}

void QueryParking::answer_due() {
  const uint64_t now = time_.now_ms();
  for (std::size_t i = 0; i < table_.capacity(); ++i) {
    ParkedQuery& entry = table_.at(i);
    if (!entry.used || entry.deadline_ms > now) continue;
    reanswer(entry, true);
    ++counters_.answered_at_deadline;
  }
  const uint64_t next = table_.earliest_deadline();
  if (next != UINT64_MAX) arm_timer(next);
}

bool QueryParking::reanswer(ParkedQuery& entry, bool final) {
  const WorkerState& state = *state_;
  QueryContext ctx;
  ctx.tcp = entry.tcp;
  ctx.nsid = state.nsid;
  ctx.flatten = state.flatten.get();
  ctx.observer = buffers_.observer;
  if (!entry.tcp) ctx.client = reinterpret_cast<const sockaddr*>(&entry.peer);
  call_.reset(final);
  ctx.flatten_call = &call_;
  const std::size_t length = answer_query(*state.zones, entry.bytes(), buffers_.response, ctx);
  if (call_.outcome == flatten::FlattenCall::Outcome::Park) return false;
  send(entry, buffers_.response, length);
  table_.release(entry);
  return true;
}

void QueryParking::send(const ParkedQuery& entry, std::span<uint8_t> response, std::size_t length) {
  if (entry.tcp) {
    if (tcp_) tcp_->send_parked(entry.tcp_connection, response.first(length));
    return;
  }
  if (entry.udp && length != 0) {
    entry.udp->send_later(reinterpret_cast<const sockaddr*>(&entry.peer), entry.destination, response, length);
  }
}

}  // namespace flatns::server
