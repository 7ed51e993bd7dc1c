#include "server/dnstap_log.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "server/dnstap_encode.h"
#include "server/log.h"

namespace flatns::server {

namespace {
constexpr char kContentType[] = "protobuf:dnstap.Dnstap";
// How long the writer waits between passes over the rings, unless a ring
// half full wakes it: 50 passes a second, each a batch of hundreds of
// frames at tens of thousands of queries a second. Fewer, larger passes
// cost less: each wake-up of the writer is two context switches, which is
// what a pass cost most when the writer shares the worker's CPU (perf,
// bench/RESULTS.md), and the ring (kBytesPerMessage) holds 20 ms with room.
constexpr int kBusyWaitMs = 20;
constexpr int kIdleWaitMs = 50;
// One write() of data frames; flushed sooner at the end of each pass.
constexpr std::size_t kBatchBytes = 256 * 1024;
}  // namespace

DnstapLog::DnstapLog(const DnstapSettings& settings, unsigned workers, std::string identity, std::string version)
    : settings_(settings),
      encoder_(identity, version),
      sink_(settings.sink, settings.path) {
  resolver_side_ = workers;
  // An entry of two messages of kMaxMessage always fits (ByteRing: half the ring).
  const std::size_t largest = sizeof(Entry) + 2 * kMaxMessage + dns::kMaxNameLength;
  const std::size_t bytes = std::max<std::size_t>(std::size_t{settings.queue} * kBytesPerMessage, 2 * largest);
  for (unsigned i = 0; i < workers + (settings.resolver ? 1 : 0); ++i) {
    workers_.push_back(std::make_unique<WorkerSide>(bytes));
  }
}

DnstapLog::~DnstapLog() {
  stop();
  if (wake_ >= 0) ::close(wake_);  // here, not in stop(): a late producer's wake() stays harmless
}

bool DnstapLog::start(std::string& error) {
  if (!sink_.init(kContentType, error)) return false;
  wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_ < 0) {
    error = std::string("server.dnstap: eventfd: ") + std::strerror(errno);
    return false;
  }
  batch_.resize(kBatchBytes);
  thread_ = std::thread([this] { run(); });
  return true;
}

void DnstapLog::stop() {
  if (thread_.joinable()) {
    stop_.store(true, std::memory_order_release);
    wake();
    thread_.join();
  }
}

// Never blocks: the eventfd is non-blocking, and one write stands for any number.
void DnstapLog::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_, &one, sizeof one);
}

namespace {
// The address and port of `peer` into the entry's fields (family 0: none).
template <typename Entry>
void put_address(Entry& e, const sockaddr* peer) {
  e.family = 0;
  if (peer && peer->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(peer);
    e.family = AF_INET;
    std::memcpy(e.address, &in->sin_addr, 4);
    e.port = ntohs(in->sin_port);
  } else if (peer && peer->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(peer);
    e.family = AF_INET6;
    std::memcpy(e.address, &in6->sin6_addr, 16);
    e.port = ntohs(in6->sin6_port);
  }
}
}  // namespace

void DnstapLog::log_exchange(unsigned worker, bool tcp, const sockaddr* peer, std::span<const uint8_t> query,
                             std::span<const uint8_t> response) {
  if (worker >= resolver_side_) return;
  WorkerSide& side = *workers_[worker];
  if (!settings_.queries) query = {};
  if (!settings_.responses) response = {};
  // Too long to log: dropped (counted) alone, the other message is logged.
  if (query.size() > kMaxMessage) {
    side.dropped.add();
    query = {};
  }
  if (response.size() > kMaxMessage) {
    side.dropped.add();
    response = {};
  }
  if (query.empty() && response.empty()) return;
  auto* at = side.ring.reserve(sizeof(Entry) + query.size() + response.size());
  if (!at) {
    side.dropped.add((query.empty() ? 0 : 1) + (response.empty() ? 0 : 1));
    return;
  }
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  auto* e = reinterpret_cast<Entry*>(at);
  e->type = kDnstapAuthQuery;
  e->tcp = tcp;
  put_address(*e, peer);
  e->zone_length = 0;
  e->query_length = static_cast<uint16_t>(query.size());
  e->response_length = static_cast<uint16_t>(response.size());
  e->sec = static_cast<uint64_t>(now.tv_sec);
  e->nsec = static_cast<uint32_t>(now.tv_nsec);
  uint8_t* bytes = at + sizeof(Entry);
  if (!query.empty()) std::memcpy(bytes, query.data(), query.size());
  if (!response.empty()) std::memcpy(bytes + query.size(), response.data(), response.size());
  if (side.ring.commit()) wake();
}

void DnstapLog::push_upstream(uint8_t type, const resolver::UpstreamExchange& exchange,
                              resolver::WallTime response_time, std::span<const uint8_t> message) {
  if (resolver_side_ >= workers_.size()) return;  // resolver: false
  WorkerSide& side = *workers_[resolver_side_];
  const std::size_t zone = exchange.zone.size() <= dns::kMaxNameLength ? exchange.zone.size() : 0;
  auto* at = message.size() <= kMaxMessage ? side.ring.reserve(sizeof(Entry) + message.size() + zone) : nullptr;
  if (!at) {
    side.dropped.add();
    return;
  }
  auto* e = reinterpret_cast<Entry*>(at);
  e->type = type;
  e->tcp = exchange.protocol == resolver::Protocol::Tcp;
  put_address(*e, exchange.server.sockaddr_ptr());
  e->port = exchange.server.port();
  e->zone_length = static_cast<uint8_t>(zone);
  e->query_length = static_cast<uint16_t>(message.size());
  e->response_length = 0;
  e->sec = static_cast<uint64_t>(exchange.query_time.sec);
  e->nsec = exchange.query_time.nsec;
  e->response_sec = static_cast<uint64_t>(response_time.sec);
  e->response_nsec = response_time.nsec;
  uint8_t* bytes = at + sizeof(Entry);
  std::memcpy(bytes, message.data(), message.size());
  std::memcpy(bytes + message.size(), exchange.zone.data(), zone);
  if (side.ring.commit()) wake();
}

void DnstapLog::query_sent(const resolver::UpstreamExchange& exchange, std::span<const uint8_t> query) {
  push_upstream(kDnstapResolverQuery, exchange, {}, query);
}

void DnstapLog::response_received(const resolver::UpstreamExchange& exchange, resolver::WallTime response_time,
                                  std::span<const uint8_t> response) {
  push_upstream(kDnstapResolverResponse, exchange, response_time, response);
}

bool DnstapLog::append(const Entry& e) {
  DnstapMessage m;
  m.tcp = e.tcp;
  m.family = e.family;
  m.address = {e.address, e.family == AF_INET ? 4u : 16u};
  m.port = e.port;
  m.query_sec = e.sec;
  m.query_nsec = e.nsec;
  if (e.type != kDnstapAuthQuery) {  // a resolver's message
    m.type = e.type;
    m.response_sec = e.response_sec;
    m.response_nsec = e.response_nsec;
    m.dns = {e.bytes(), e.query_length};
    m.zone = {e.bytes() + e.query_length, e.zone_length};
    return append(m);
  }
  if (e.query_length != 0) {
    m.type = kDnstapAuthQuery;
    m.dns = {e.bytes(), e.query_length};
    if (!append(m)) {
      if (e.response_length != 0) writer_dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  }
  if (e.response_length == 0) return true;
  // The query's time stands for both (the answer leaves within microseconds).
  m.type = kDnstapAuthResponse;
  m.response_sec = e.sec;
  m.response_nsec = e.nsec;
  m.dns = {e.bytes() + e.query_length, e.response_length};
  return append(m);
}

bool DnstapLog::append(const DnstapMessage& m) {
  const std::size_t room = 4 + encoder_.max_size(m);
  if (room > batch_.size()) {
    writer_dropped_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  if (batch_used_ + room > batch_.size() && !flush()) {
    writer_dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  uint8_t* at = batch_.data() + batch_used_;
  const std::size_t size = encoder_.encode(m, at + 4);
  const uint32_t length = htonl(static_cast<uint32_t>(size));  // Frame Streams: big-endian length, then the frame
  std::memcpy(at, &length, 4);
  batch_used_ += 4 + size;
  ++batch_frames_;
  return true;
}

bool DnstapLog::flush() {
  if (batch_frames_ == 0) return true;
  const bool ok = sink_.write({batch_.data(), batch_used_});
  (ok ? written_ : writer_dropped_).fetch_add(batch_frames_, std::memory_order_relaxed);
  batch_used_ = 0;
  batch_frames_ = 0;
  return ok;
}

// Logs when the file or socket fails, and when it works again.
void DnstapLog::note_open(bool open, bool& was_open) const {
  if (open == was_open) return;
  was_open = open;
  const std::string what =
      (settings_.sink == DnstapSettings::Sink::Socket ? "server.dnstap.socket " : "server.dnstap.file ") + settings_.path;
  if (open) {
    log_info("dnstap: writing to " + what + " again");
  } else {
    log_warn("dnstap: cannot write to " + what + "; messages are dropped (and counted) until it opens again");
  }
}

// Passes over the rings: every frame found is appended to the batch (or
// dropped while the sink is closed), the batch is written, then the writer
// waits for kBusyWaitMs / kIdleWaitMs or a ring's half-full wake-up.
void DnstapLog::run() {
  bool was_open = true;  // the first failure is logged
  while (true) {
    const bool stopping = stop_.load(std::memory_order_acquire);
    bool open = sink_.ready();
    note_open(open, was_open);
    std::size_t taken = 0;
    for (auto& side : workers_) {
      std::size_t size = 0;
      while (const uint8_t* at = side->ring.front(size)) {
        const auto& e = *reinterpret_cast<const Entry*>(at);
        if (open) {
          open = append(e);
        } else {
          const bool resolver = e.type != kDnstapAuthQuery;
          writer_dropped_.fetch_add(resolver ? 1 : (e.query_length != 0) + (e.response_length != 0),
                                    std::memory_order_relaxed);
        }
        side->ring.pop(size);
        ++taken;
      }
    }
    if (open) open = flush();
    note_open(open, was_open);
    if (stopping) break;  // the rings were emptied after the stop was seen
    pollfd wake{wake_, POLLIN, 0};
    if (poll(&wake, 1, taken != 0 ? kBusyWaitMs : kIdleWaitMs) > 0) {
      uint64_t count = 0;
      [[maybe_unused]] const ssize_t n = ::read(wake_, &count, sizeof count);
    }
  }
  sink_.close();
}

DnstapCounters DnstapLog::counters() const {
  DnstapCounters c;
  c.written = written_.load(std::memory_order_relaxed);
  c.dropped = writer_dropped_.load(std::memory_order_relaxed);
  for (const auto& side : workers_) c.dropped += side->dropped.get();
  return c;
}

}  // namespace flatns::server
