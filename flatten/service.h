// The flatten service: one thread with its own libuv loop and the embedded
// validating resolver (resolver-client), resolving the external targets of
// flattened names for every worker (DESIGN.md "The path of one query", step 5).
//
// - Workers hand it requests (target, type) through one bounded lock-free
//   queue each (SpscRing) and wake it with uv_async_send; the worker's packet
//   path takes no lock.
// - Coalescing: one resolution per (target, type) is in flight, however many
//   queries on however many workers wait for it.
// - On completion it writes the shared FlattenCache (answer or failure), then
//   tells each waiting worker (a completion queue and the worker's own
//   uv_async) which target completed, so it answers its parked queries.
// - Failures are cached for failure_ttl_s (RFC 9520 §3.2), keeping the last
//   validated answer beside them for serve-stale (RFC 8767), and logged with
//   zone, flattened name, target, upstream server and verdict, at most one
//   line per target per log interval (the rest are counted).
// - Prefetch requests (nobody waits) refresh an entry before it expires,
//   through ResolverBackend::refresh so the resolver's cache is bypassed.
//
// The resolver is behind ResolverBackend so tests can drive the service with
// a fake one.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dns/name.h"
#include "flatten/answer_cache.h"
#include "flatten/defaults.h"
#include "flatten/spsc_ring.h"
#include "flatten/time_source.h"
#include "resolver-client/resolver.h"

namespace flatns::flatten {

struct FlattenRequest {
  dns::NameBuffer target;  // the external target to resolve
  dns::NameBuffer qname;   // the flattened name that led to it (for logs)
  dns::NameBuffer zone;    // its zone (for logs)
  uint16_t qtype = 0;
  bool prefetch = false;   // a background refresh: nobody waits for it
};

class ResolverBackend {
 public:
  virtual ~ResolverBackend() = default;
  // Runs on the service loop; `done` runs later on the same loop, by the deadline.
  virtual void resolve(const dns::Name& name, uint16_t qtype, uint32_t deadline_ms,
                       resolver::ResultCallback done) = 0;
  // A prefetch: like resolve, but the answer and its CNAME chain are asked
  // from the servers even when the backend has them cached
  // (resolver::ResolveOptions::refresh), so the refreshed entry carries the
  // fresh data's TTL. Backends without a cache of their own need not override.
  virtual void refresh(const dns::Name& name, uint16_t qtype, uint32_t deadline_ms,
                       resolver::ResultCallback done) {
    resolve(name, qtype, deadline_ms, std::move(done));
  }
  // The embedded resolver, for the control channel's read-only views and
  // flushes (on the service thread only); null for other backends.
  virtual resolver::Resolver* resolver() { return nullptr; }
};

// The embedded resolver on `loop` (resolver::UvClock, UvTransport, Resolver).
// Null with `error` when the trust anchors do not load.
[[nodiscard]] std::unique_ptr<ResolverBackend> make_resolver_backend(uv_loop_t* loop,
                                                                     resolver::ResolverSettings settings,
                                                                     std::string& error);

using BackendFactory = std::function<std::unique_ptr<ResolverBackend>(uv_loop_t*, std::string& error)>;

struct ServiceSettings {
  unsigned workers = 1;
  uint32_t deadline_ms = kDefaultDeadlineMs;     // flatten.deadline_ms: the parked queries' bound
  uint32_t failure_ttl_s = kDefaultFailureTtlS;  // flatten.failure_ttl_s
  std::size_t request_queue = 256;   // per worker
  std::size_t completion_queue = 1024;
  uint32_t log_interval_ms = 10000;  // one failure line per target per interval
};

// Upper bounds (ms) of the flattened-resolution latency histogram's buckets
// (the last bucket, +Inf, is implied): from a cached-delegation answer to the
// default deadline.
inline constexpr uint32_t kResolutionLatencyBoundsMs[] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500};
inline constexpr std::size_t kResolutionLatencyBuckets = std::size(kResolutionLatencyBoundsMs) + 1;

struct ResolutionLatency {
  uint64_t buckets[kResolutionLatencyBuckets] = {};  // not cumulative
  uint64_t sum_ms = 0;
};

struct ServiceCounters {
  uint64_t requests = 0;     // requests taken from the workers' queues
  uint64_t resolutions = 0;  // resolutions started (prefetches included)
  uint64_t coalesced = 0;    // requests that joined a resolution in flight
  uint64_t prefetches = 0;   // resolutions started by a prefetch request
  uint64_t failures = 0;     // resolutions that ended in a failure
};

// The cache entry a resolution leaves: the answer (addresses of qtype, NODATA
// or NXDOMAIN, TTL at least 1, zero_ttl when it was 0) when the verdict is
// secure or insecure; else
// `previous`'s validated answer (kept for serve-stale) with the failure: the
// EDE code (bogus: 6..12 as resolver::Verdict maps them; no usable server
// or the deadline: 22; other unusable answers: the verdict's code) and text
// naming the reason, zone and server, answered until now + failure_ttl_s.
[[nodiscard]] CachedAnswer entry_from_result(dns::NameView target, uint16_t qtype,
                                             const resolver::Result& result,
                                             const CachedAnswer* previous, uint64_t now_ms,
                                             uint32_t failure_ttl_s);

// The resolver's deadline for a flattened query answered by `deadline_ms`:
// a little earlier, so that the result reaches the workers in time.
[[nodiscard]] uint32_t resolution_deadline_ms(uint32_t deadline_ms);

class FlattenService {
 public:
  using Log = std::function<void(std::string_view)>;

  FlattenService(ServiceSettings settings, std::shared_ptr<FlattenCache> cache, Log log = {},
                 const TimeSource& time = system_time());
  ~FlattenService();
  FlattenService(const FlattenService&) = delete;
  FlattenService& operator=(const FlattenService&) = delete;

  // Makes the backend on the service loop and starts the thread.
  [[nodiscard]] bool start(const BackendFactory& make_backend, std::string& error);
  // Abandons resolutions in flight and joins the thread. Safe against
  // request() and replace_backend() on other threads at the same moment:
  // they return false (or do nothing) once stop() has begun.
  void stop();

  // Any thread (SIGHUP reload): the service thread makes a new backend with
  // `make_backend`, drops the old one (and its caches) and restarts the
  // resolutions in flight on the new one, so nobody waiting is forgotten.
  // When `make_backend` fails the old backend stays and the error is logged.
  void replace_backend(BackendFactory make_backend);

  // Any thread; applied to resolutions started afterwards (SIGHUP reload).
  void set_deadline_ms(uint32_t ms) { deadline_ms_.store(ms, std::memory_order_relaxed); }
  void set_failure_ttl_s(uint32_t s) { failure_ttl_s_.store(s, std::memory_order_relaxed); }

  [[nodiscard]] const std::shared_ptr<FlattenCache>& cache() const { return cache_; }
  [[nodiscard]] unsigned workers() const { return static_cast<unsigned>(channels_.size()); }
  [[nodiscard]] ServiceCounters counters() const;
  [[nodiscard]] ResolutionLatency latency() const;

  // Any thread (the control channel): runs `task` soon on the service
  // thread with the current backend (null if there is none).
  void post(std::function<void(ResolverBackend*)> task);
  // Any thread, off the packet path (the expanded view of outgoing
  // transfers, server/transfer_expand.h): resolves `request` in the
  // background, as a prefetch (nobody waits; the cache gets the answer).
  void request_background(FlattenRequest request);

  // --- Worker side. `worker` < workers(); each index is used by one thread.
  // Registers the async handle (on the worker's loop) woken after a target
  // the worker asked for completes; null: nothing is woken (poll instead).
  void attach(unsigned worker, uv_async_t* completed);
  // After this returns the service no longer touches the handle.
  void detach(unsigned worker);
  // No lock, no allocation. False when the worker's queue is full.
  [[nodiscard]] bool request(unsigned worker, const FlattenRequest& request);
  // The key hash (target_key_hash) of a completed target the worker waited for.
  [[nodiscard]] bool next_completed(unsigned worker, uint64_t& key_hash);
  // True (once) when completions were lost because the worker's completion
  // queue was full: the worker should look at every parked query again.
  [[nodiscard]] bool take_missed_completions(unsigned worker);

 private:
  struct Channel {
    Channel(std::size_t requests_capacity, std::size_t completions_capacity)
        : requests(requests_capacity), completions(completions_capacity) {}
    SpscRing<FlattenRequest> requests;
    SpscRing<uint64_t> completions;
    std::atomic<bool> missed{false};
    std::mutex notify_mutex;  // the service against detach(); never on the packet path
    uv_async_t* notify = nullptr;
  };
  struct InFlight {
    FlattenRequest first;
    uint64_t started_ms = 0;
    std::vector<uint8_t> waiting;  // per worker
  };
  struct LogState {
    uint64_t last_ms = 0;
    uint64_t suppressed = 0;
  };

  void run();
  void close_loop();
  static void on_wake(uv_async_t* handle);
  void drain();
  void swap_backend();
  void run_posted();
  void start_resolution(const std::string& key);
  void take(unsigned worker, const FlattenRequest& request);
  void complete(const std::string& key, resolver::Result&& result);
  void log_failure(const std::string& key, const InFlight& flight, const resolver::Result& result,
                   const CachedAnswer& entry);

  ServiceSettings settings_;
  std::shared_ptr<FlattenCache> cache_;
  Log log_;
  const TimeSource& time_;
  std::atomic<uint32_t> deadline_ms_;
  std::atomic<uint32_t> failure_ttl_s_;
  std::vector<std::unique_ptr<Channel>> channels_;

  std::mutex replacement_mutex_;  // reload thread against the service thread
  BackendFactory replacement_;
  std::vector<std::function<void(ResolverBackend*)>> posted_;  // guarded by replacement_mutex_

  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
  // Threads that may touch wake_ (request(), replace_backend(), post()).
  // Each counts itself in before it reads running_; stop() clears running_
  // and then waits for the count to drain, so no uv_async_send ever reaches
  // wake_ after the service loop closed it (both sides sequentially
  // consistent).
  std::atomic<unsigned> waking_{0};
  uv_loop_t loop_{};
  uv_async_t wake_{};
  std::thread thread_;

  // Service thread only.
  std::unique_ptr<ResolverBackend> backend_;
  std::unordered_map<std::string, InFlight> in_flight_;
  std::unordered_map<std::string, LogState> log_state_;

  std::atomic<uint64_t> requests_{0}, resolutions_{0}, coalesced_{0}, prefetches_{0}, failures_{0};
  std::atomic<uint64_t> latency_buckets_[kResolutionLatencyBuckets] = {};
  std::atomic<uint64_t> latency_sum_ms_{0};
};

}  // namespace flatns::flatten
