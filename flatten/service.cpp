#include "flatten/service.h"

#include <algorithm>
#include <cstring>

#include "dns/ede.h"
#include "dns/rrtype.h"

namespace flatns::flatten {

namespace {

std::string flight_key(dns::NameView target, uint16_t qtype) {
  std::string key(target.size() + 2, '\0');
  for (std::size_t i = 0; i < target.size(); ++i) key[i] = static_cast<char>(dns::ascii_lower(target[i]));
  key[target.size()] = static_cast<char>(qtype >> 8);
  key[target.size() + 1] = static_cast<char>(qtype & 0xFF);
  return key;
}

dns::NameView key_target(const std::string& key) {
  return {reinterpret_cast<const uint8_t*>(key.data()), key.size() - 2};
}

uint16_t key_type(const std::string& key) {
  return static_cast<uint16_t>(static_cast<uint8_t>(key[key.size() - 2]) << 8 |
                               static_cast<uint8_t>(key[key.size() - 1]));
}

// Counts a thread in FlattenService::waking_ for as long as it may touch the
// service's async handle.
class WakeScope {
 public:
  explicit WakeScope(std::atomic<unsigned>& count) : count_(count) { count_.fetch_add(1); }
  ~WakeScope() { count_.fetch_sub(1); }
  WakeScope(const WakeScope&) = delete;
  WakeScope& operator=(const WakeScope&) = delete;

 private:
  std::atomic<unsigned>& count_;
};

std::string servers_of(const resolver::Result& result) {
  if (!result.verdict.server.empty()) return result.verdict.server;
  std::string out;
  for (const auto& s : result.stats.servers_tried) out += (out.empty() ? "" : " ") + s;
  return out.empty() ? "none" : out;
}

}  // namespace

uint32_t resolution_deadline_ms(uint32_t deadline_ms) {
  const uint32_t margin = std::min<uint32_t>(100, deadline_ms / 4);
  return deadline_ms - margin;
}

CachedAnswer entry_from_result(dns::NameView target, uint16_t qtype, const resolver::Result& result,
                               const CachedAnswer* previous, uint64_t now_ms, uint32_t failure_ttl_s) {
  CachedAnswer e;
  if (previous) {
    e = *previous;
  } else {
    e.kind = AnswerKind::None;
  }
  e.set_key(target, qtype);
  const bool usable = result.verdict.usable() &&
                      (result.rcode == dns::rcode::NOERROR || result.rcode == dns::rcode::NXDOMAIN);
  if (usable) {
    e.failed = false;
    e.failure_ede = 0;
    e.failure_text_length = 0;
    e.failure_until_ms = 0;
    e.secure = result.verdict.is_secure();
    e.validated_ms = now_ms;
    e.ttl_s = std::max<uint32_t>(1, result.ttl);
    e.zero_ttl = result.ttl == 0;
    e.address_count = 0;
    e.address_size = qtype == dns::rrtype::AAAA ? 16 : 4;
    for (const auto& rr : result.answer) {
      if (rr.type != qtype || rr.rdata.size() != e.address_size) continue;
      if (e.address_count == kMaxCachedAddresses) break;
      std::memcpy(e.addresses[e.address_count++], rr.rdata.data(), rr.rdata.size());
    }
    if (result.nxdomain()) {
      e.kind = AnswerKind::NxDomain;
    } else {
      e.kind = e.address_count > 0 ? AnswerKind::Addresses : AnswerKind::NoData;
    }
    return e;
  }
  uint16_t ede = dns::ede::NoReachableAuthority;
  std::string text;
  if (result.verdict.is_bogus()) {
    ede = result.verdict.ede_code().value_or(dns::ede::DnssecBogus);
    text = result.verdict.to_text();
  } else if (result.rcode == dns::rcode::SERVFAIL) {
    text = "no usable answer (" + std::string(resolver::to_string(result.verdict.security)) +
           "): " + (result.failure.empty() ? result.verdict.detail : result.failure);
  } else {
    ede = result.verdict.ede_code().value_or(dns::ede::NoReachableAuthority);
    text = result.verdict.to_text();
  }
  e.set_failure(ede, text, now_ms + uint64_t{failure_ttl_s} * 1000);
  return e;
}

FlattenService::FlattenService(ServiceSettings settings, std::shared_ptr<FlattenCache> cache, Log log,
                               const TimeSource& time)
    : settings_(settings),
      cache_(std::move(cache)),
      log_(std::move(log)),
      time_(time),
      deadline_ms_(settings.deadline_ms),
      failure_ttl_s_(settings.failure_ttl_s) {
  const unsigned workers = std::max(1u, settings.workers);
  for (unsigned i = 0; i < workers; ++i) {
    channels_.push_back(std::make_unique<Channel>(settings.request_queue, settings.completion_queue));
  }
}

FlattenService::~FlattenService() { stop(); }

bool FlattenService::start(const BackendFactory& make_backend, std::string& error) {
  if (running_.load()) return true;
  if (const int rc = uv_loop_init(&loop_); rc != 0) {
    error = std::string("flatten service: cannot make an event loop: ") + uv_strerror(rc);
    return false;
  }
  if (const int rc = uv_async_init(&loop_, &wake_, on_wake); rc != 0) {
    error = std::string("flatten service: cannot make its wake-up handle: ") + uv_strerror(rc);
    (void)uv_loop_close(&loop_);  // nothing was opened on it
    return false;
  }
  wake_.data = this;
  backend_ = make_backend(&loop_, error);
  if (!backend_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
    close_loop();
    return false;
  }
  running_.store(true);
  thread_ = std::thread([this] { run(); });
  return true;
}

void FlattenService::stop() {
  if (!running_.exchange(false)) return;
  while (waking_.load() != 0) std::this_thread::yield();  // see waking_
  stop_requested_.store(true);
  if (const int rc = uv_async_send(&wake_); rc != 0) {
    // Cannot happen with an open async handle; without the wake-up the
    // thread would never end, so say why before waiting for it.
    if (log_) log_(std::string("flatten service: cannot wake the service thread to stop: ") + uv_strerror(rc));
  }
  thread_.join();
}

void FlattenService::run() {
  cache_->claim_writer();  // this thread is the cache's one writer from now on
  (void)uv_run(&loop_, UV_RUN_DEFAULT);
  uv_walk(&loop_, [](uv_handle_t* h, void*) { if (!uv_is_closing(h)) uv_close(h, nullptr); }, nullptr);
  close_loop();
  cache_->release_writer();
}

// Runs the loop until the handles closed on it are gone, then closes it.
void FlattenService::close_loop() {
  (void)uv_run(&loop_, UV_RUN_DEFAULT);  // returns once no handle is active
  if (const int rc = uv_loop_close(&loop_); rc != 0 && log_) {
    log_(std::string("flatten service: the event loop did not close: ") + uv_strerror(rc));
  }
}

void FlattenService::on_wake(uv_async_t* handle) {
  auto* self = static_cast<FlattenService*>(handle->data);
  if (self->stop_requested_.load()) {
    self->in_flight_.clear();
    self->backend_.reset();  // abandons resolutions; their callbacks never run
    uv_close(reinterpret_cast<uv_handle_t*>(&self->wake_), nullptr);
    return;
  }
  self->swap_backend();
  self->run_posted();
  self->drain();
}

void FlattenService::post(std::function<void(ResolverBackend*)> task) {
  {
    std::lock_guard lock(replacement_mutex_);
    posted_.push_back(std::move(task));
  }
  WakeScope scope(waking_);
  if (!running_.load()) return;  // not running: the task waits for nothing
  if (const int rc = uv_async_send(&wake_); rc != 0 && log_) {
    log_(std::string("flatten service: cannot wake the service thread for a control request: ") + uv_strerror(rc));
  }
}

void FlattenService::request_background(FlattenRequest request) {
  request.prefetch = true;
  post([this, request](ResolverBackend* backend) {
    if (backend) take(0, request);
  });
}

void FlattenService::run_posted() {
  std::vector<std::function<void(ResolverBackend*)>> tasks;
  {
    std::lock_guard lock(replacement_mutex_);
    tasks.swap(posted_);
  }
  for (auto& task : tasks) task(backend_.get());
}

ResolutionLatency FlattenService::latency() const {
  ResolutionLatency out;
  for (std::size_t i = 0; i < kResolutionLatencyBuckets; ++i) {
    out.buckets[i] = latency_buckets_[i].load(std::memory_order_relaxed);
  }
  out.sum_ms = latency_sum_ms_.load(std::memory_order_relaxed);
  return out;
}

void FlattenService::replace_backend(BackendFactory make_backend) {
  {
    std::lock_guard lock(replacement_mutex_);
    replacement_ = std::move(make_backend);
  }
  WakeScope scope(waking_);
  if (!running_.load()) return;  // not running: nothing to wake
  if (const int rc = uv_async_send(&wake_); rc != 0 && log_) {
    log_(std::string("flatten service: cannot wake the service thread for the new resolver: ") + uv_strerror(rc));
  }
}

void FlattenService::swap_backend() {
  BackendFactory make;
  {
    std::lock_guard lock(replacement_mutex_);
    make = std::move(replacement_);
    replacement_ = nullptr;
  }
  if (!make) return;
  std::string error;
  auto next = make(&loop_, error);
  if (!next) {
    if (log_) log_("flatten: the resolver is unchanged: " + error);
    return;
  }
  backend_ = std::move(next);  // the old one abandons its resolutions silently
  for (const auto& [key, flight] : in_flight_) start_resolution(key);
  if (log_) {
    log_("flatten: resolver rebuilt with the new settings; " + std::to_string(in_flight_.size()) +
         " resolutions in flight restarted");
  }
}

void FlattenService::start_resolution(const std::string& key) {
  dns::Name name;
  if (!dns::Name::from_wire(key_target(key), name)) return;
  const uint32_t deadline = resolution_deadline_ms(deadline_ms_.load(std::memory_order_relaxed));
  auto done = [this, key](resolver::Result&& result) { complete(key, std::move(result)); };
  auto it = in_flight_.find(key);
  if (it != in_flight_.end() && it->second.first.prefetch) {
    backend_->refresh(name, key_type(key), deadline, std::move(done));
  } else {
    backend_->resolve(name, key_type(key), deadline, std::move(done));
  }
}

ServiceCounters FlattenService::counters() const {
  ServiceCounters c;
  c.requests = requests_.load();
  c.resolutions = resolutions_.load();
  c.coalesced = coalesced_.load();
  c.prefetches = prefetches_.load();
  c.failures = failures_.load();
  return c;
}

void FlattenService::attach(unsigned worker, uv_async_t* completed) {
  Channel& c = *channels_.at(worker);
  std::lock_guard lock(c.notify_mutex);
  c.notify = completed;
}

void FlattenService::detach(unsigned worker) {
  Channel& c = *channels_.at(worker);
  std::lock_guard lock(c.notify_mutex);
  c.notify = nullptr;
}

bool FlattenService::request(unsigned worker, const FlattenRequest& request) {
  if (worker >= channels_.size()) return false;
  WakeScope scope(waking_);
  if (!running_.load()) return false;
  if (!channels_[worker]->requests.push(request)) return false;
  // A failed wake-up leaves the request queued for the next one; the worker
  // answers this query at once instead of waiting for nothing.
  return uv_async_send(&wake_) == 0;
}

bool FlattenService::next_completed(unsigned worker, uint64_t& key_hash) {
  return worker < channels_.size() && channels_[worker]->completions.pop(key_hash);
}

bool FlattenService::take_missed_completions(unsigned worker) {
  return worker < channels_.size() && channels_[worker]->missed.exchange(false);
}

void FlattenService::drain() {
  FlattenRequest request;
  for (unsigned w = 0; w < channels_.size(); ++w) {
    while (channels_[w]->requests.pop(request)) take(w, request);
  }
}

void FlattenService::take(unsigned worker, const FlattenRequest& request) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  std::string key = flight_key(request.target.view(), request.qtype);
  auto it = in_flight_.find(key);
  if (it != in_flight_.end()) {
    coalesced_.fetch_add(1, std::memory_order_relaxed);
    if (!request.prefetch) it->second.waiting[worker] = 1;
    return;
  }
  dns::Name name;
  if (!dns::Name::from_wire(request.target.view(), name)) return;
  InFlight& flight = in_flight_[key];
  flight.first = request;
  flight.started_ms = time_.now_ms();
  flight.waiting.assign(channels_.size(), 0);
  if (!request.prefetch) flight.waiting[worker] = 1;
  resolutions_.fetch_add(1, std::memory_order_relaxed);
  if (request.prefetch) prefetches_.fetch_add(1, std::memory_order_relaxed);
  start_resolution(key);
}

void FlattenService::complete(const std::string& key, resolver::Result&& result) {
  auto it = in_flight_.find(key);
  if (it == in_flight_.end()) return;
  const dns::NameView target = key_target(key);
  const uint16_t qtype = key_type(key);
  CachedAnswer previous;
  const bool had = cache_->lookup(target, qtype, previous);
  const CachedAnswer entry = entry_from_result(target, qtype, result, had ? &previous : nullptr,
                                               time_.now_ms(), failure_ttl_s_.load(std::memory_order_relaxed));
  cache_->store(entry);
  const uint64_t took_ms = time_.now_ms() - it->second.started_ms;
  std::size_t bucket = 0;
  while (bucket < std::size(kResolutionLatencyBoundsMs) && took_ms > kResolutionLatencyBoundsMs[bucket]) ++bucket;
  latency_buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  latency_sum_ms_.fetch_add(took_ms, std::memory_order_relaxed);
  if (entry.failed) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    log_failure(key, it->second, result, entry);
  }
  const uint64_t hash = target_key_hash(target, qtype);
  for (unsigned w = 0; w < channels_.size(); ++w) {
    if (!it->second.waiting[w]) continue;
    Channel& c = *channels_[w];
    if (!c.completions.push(hash)) c.missed.store(true);
    std::lock_guard lock(c.notify_mutex);
    // A failed wake-up is a missed completion: the worker looks at every
    // parked query on its next one (or answers them at their deadline).
    if (c.notify && uv_async_send(c.notify) != 0) c.missed.store(true);
  }
  in_flight_.erase(it);
}

void FlattenService::log_failure(const std::string& key, const InFlight& flight, const resolver::Result& result,
                                 const CachedAnswer& entry) {
  if (!log_) return;
  const uint64_t now = time_.now_ms();
  LogState& state = log_state_[key];
  if (state.last_ms != 0 && now - state.last_ms < settings_.log_interval_ms) {
    ++state.suppressed;
    return;
  }
  std::string line = "flatten: zone " + dns::name_to_text(flight.first.zone.view()) + ", name " +
                     dns::name_to_text(flight.first.qname.view()) + ", target " +
                     dns::name_to_text(key_target(key)) + " " + dns::type_to_text(key_type(key)) +
                     ": verdict " + resolver::to_string(result.verdict.security) + ", EDE " +
                     std::to_string(entry.failure_ede) + ", upstream " + servers_of(result) + ": " +
                     std::string(entry.failure());
  if (state.suppressed > 0) {
    line += " (" + std::to_string(state.suppressed) + " more failures for this target in the last " +
            std::to_string(settings_.log_interval_ms / 1000) + " s not logged)";
  }
  state.last_ms = now;
  state.suppressed = 0;
  // Forget targets that stopped failing, so the table stays small.
  if (log_state_.size() > 4096) {
    std::erase_if(log_state_, [&](const auto& kv) { return now - kv.second.last_ms >= settings_.log_interval_ms; });
  }
  log_(line);
}

}  // namespace flatns::flatten
