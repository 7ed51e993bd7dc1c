#include "server/dnstap_log.h"

#include <fstrm.h>
#include <netinet/in.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "server/dnstap/dnstap.pb-c.h"
#include "server/log.h"

namespace flatns::server {

namespace {
constexpr uint8_t kAuthQuery = DNSTAP__MESSAGE__TYPE__AUTH_QUERY;
constexpr uint8_t kAuthResponse = DNSTAP__MESSAGE__TYPE__AUTH_RESPONSE;
constexpr uint8_t kResolverQuery = DNSTAP__MESSAGE__TYPE__RESOLVER_QUERY;
constexpr uint8_t kResolverResponse = DNSTAP__MESSAGE__TYPE__RESOLVER_RESPONSE;
constexpr char kContentType[] = "protobuf:dnstap.Dnstap";
// How long the writer sleeps when every ring is empty.
constexpr auto kIdleSleep = std::chrono::milliseconds(2);
}  // namespace

// A bounded single-producer single-consumer ring of records, filled in place
// (a record is 4 KiB: it is written once, where the reader will find it).
class DnstapLog::Ring {
 public:
  explicit Ring(std::size_t capacity) {
    std::size_t n = 1;
    while (n < capacity) n <<= 1;
    mask_ = n - 1;
    records_ = std::make_unique<Record[]>(n);
  }
  // Producer: the slot to fill, or null when the ring is full.
  Record* slot() {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_.load(std::memory_order_acquire) > mask_) return nullptr;
    return &records_[tail & mask_];
  }
  void commit() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }
  // Consumer.
  const Record* front() {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_.load(std::memory_order_acquire)) return nullptr;
    return &records_[head & mask_];
  }
  void pop() { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

 private:
  std::size_t mask_ = 0;
  std::unique_ptr<Record[]> records_;
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) std::atomic<std::size_t> tail_{0};
};

DnstapLog::DnstapLog(const DnstapSettings& settings, unsigned workers, std::string identity, std::string version)
    : settings_(settings), identity_(std::move(identity)), version_(std::move(version)) {
  resolver_side_ = workers;
  for (unsigned i = 0; i < workers + (settings.resolver ? 1 : 0); ++i) {
    auto side = std::make_unique<WorkerSide>();
    side->ring = std::make_unique<Ring>(settings.queue);
    workers_.push_back(std::move(side));
  }
}

DnstapLog::~DnstapLog() { stop(); }

bool DnstapLog::start(std::string& error) {
  fstrm_writer_options* wopt = fstrm_writer_options_init();
  fstrm_writer_options_add_content_type(wopt, kContentType, sizeof(kContentType) - 1);
  fstrm_writer* writer = nullptr;
  if (settings_.sink == DnstapSettings::Sink::File) {
    // Fail now, with the path, rather than in fstrm's thread later.
    if (FILE* f = std::fopen(settings_.path.c_str(), "w")) {
      std::fclose(f);
    } else {
      error = "server.dnstap.file: cannot open " + settings_.path + ": " + std::strerror(errno);
      fstrm_writer_options_destroy(&wopt);
      return false;
    }
    fstrm_file_options* fopt = fstrm_file_options_init();
    fstrm_file_options_set_file_path(fopt, settings_.path.c_str());
    writer = fstrm_file_writer_init(fopt, wopt);
    fstrm_file_options_destroy(&fopt);
  } else {
    fstrm_unix_writer_options* uopt = fstrm_unix_writer_options_init();
    fstrm_unix_writer_options_set_socket_path(uopt, settings_.path.c_str());
    writer = fstrm_unix_writer_init(uopt, wopt);
    fstrm_unix_writer_options_destroy(&uopt);
  }
  fstrm_writer_options_destroy(&wopt);
  if (!writer) {
    error = "server.dnstap: cannot set up a Frame Streams writer for " + settings_.path;
    return false;
  }
  fstrm_iothr_options* iopt = fstrm_iothr_options_init();
  fstrm_iothr_options_set_num_input_queues(iopt, 1);
  fstrm_iothr_options_set_input_queue_size(iopt, FSTRM_IOTHR_INPUT_QUEUE_SIZE_MAX);
  iothr_ = fstrm_iothr_init(iopt, &writer);
  fstrm_iothr_options_destroy(&iopt);
  if (!iothr_) {
    if (writer) fstrm_writer_destroy(&writer);
    error = "server.dnstap: cannot start the Frame Streams I/O thread for " + settings_.path;
    return false;
  }
  queue_ = fstrm_iothr_get_input_queue(iothr_);
  thread_ = std::thread([this] { run(); });
  return true;
}

void DnstapLog::stop() {
  if (thread_.joinable()) {
    stop_.store(true);
    thread_.join();
  }
  if (iothr_) fstrm_iothr_destroy(&iothr_);  // flushes what it holds
}

void DnstapLog::push(unsigned worker, uint8_t type, bool tcp, const sockaddr* peer, const timespec& now,
                     std::span<const uint8_t> message) {
  WorkerSide& side = *workers_[worker];
  Record* r = message.size() <= kMaxMessage ? side.ring->slot() : nullptr;
  if (!r) {
    side.dropped.add();
    return;
  }
  r->type = type;
  r->tcp = tcp;
  r->family = 0;
  if (peer && peer->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(peer);
    r->family = AF_INET;
    std::memcpy(r->address, &in->sin_addr, 4);
    r->port = ntohs(in->sin_port);
  } else if (peer && peer->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(peer);
    r->family = AF_INET6;
    std::memcpy(r->address, &in6->sin6_addr, 16);
    r->port = ntohs(in6->sin6_port);
  }
  r->sec = static_cast<uint64_t>(now.tv_sec);
  r->nsec = static_cast<uint32_t>(now.tv_nsec);
  r->length = static_cast<uint16_t>(message.size());
  std::memcpy(r->message, message.data(), message.size());
  side.ring->commit();
}

void DnstapLog::log_exchange(unsigned worker, bool tcp, const sockaddr* peer, std::span<const uint8_t> query,
                             std::span<const uint8_t> response) {
  if (worker >= resolver_side_) return;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  if (settings_.queries) push(worker, kAuthQuery, tcp, peer, now, query);
  if (settings_.responses && !response.empty()) push(worker, kAuthResponse, tcp, peer, now, response);
}

void DnstapLog::push_upstream(uint8_t type, const resolver::UpstreamExchange& exchange,
                              resolver::WallTime response_time, std::span<const uint8_t> message) {
  if (resolver_side_ >= workers_.size()) return;  // resolver: false
  WorkerSide& side = *workers_[resolver_side_];
  Record* r = message.size() <= kMaxMessage ? side.ring->slot() : nullptr;
  if (!r) {
    side.dropped.add();
    return;
  }
  r->type = type;
  r->tcp = exchange.protocol == resolver::Protocol::Tcp;
  const sockaddr* server = exchange.server.sockaddr_ptr();
  r->family = 0;
  if (server->sa_family == AF_INET) {
    r->family = AF_INET;
    std::memcpy(r->address, &reinterpret_cast<const sockaddr_in*>(server)->sin_addr, 4);
  } else if (server->sa_family == AF_INET6) {
    r->family = AF_INET6;
    std::memcpy(r->address, &reinterpret_cast<const sockaddr_in6*>(server)->sin6_addr, 16);
  }
  r->port = exchange.server.port();
  r->sec = static_cast<uint64_t>(exchange.query_time.sec);
  r->nsec = exchange.query_time.nsec;
  r->response_sec = static_cast<uint64_t>(response_time.sec);
  r->response_nsec = response_time.nsec;
  r->zone_length = exchange.zone.size() <= sizeof r->zone ? static_cast<uint8_t>(exchange.zone.size()) : 0;
  std::memcpy(r->zone, exchange.zone.data(), r->zone_length);
  r->length = static_cast<uint16_t>(message.size());
  std::memcpy(r->message, message.data(), message.size());
  side.ring->commit();
}

void DnstapLog::query_sent(const resolver::UpstreamExchange& exchange, std::span<const uint8_t> query) {
  push_upstream(kResolverQuery, exchange, {}, query);
}

void DnstapLog::response_received(const resolver::UpstreamExchange& exchange, resolver::WallTime response_time,
                                  std::span<const uint8_t> response) {
  push_upstream(kResolverResponse, exchange, response_time, response);
}

bool DnstapLog::write(const Record& r) {
  const bool resolver = r.type == kResolverQuery || r.type == kResolverResponse;
  const bool response = r.type == kAuthResponse || r.type == kResolverResponse;
  Dnstap__Message message = DNSTAP__MESSAGE__INIT;
  message.type = static_cast<Dnstap__Message__Type>(r.type);
  message.has_socket_protocol = 1;
  message.socket_protocol = r.tcp ? DNSTAP__SOCKET_PROTOCOL__TCP : DNSTAP__SOCKET_PROTOCOL__UDP;
  if (r.family != 0) {
    message.has_socket_family = 1;
    message.socket_family = r.family == AF_INET ? DNSTAP__SOCKET_FAMILY__INET : DNSTAP__SOCKET_FAMILY__INET6;
    const ProtobufCBinaryData address{r.family == AF_INET ? 4u : 16u, const_cast<uint8_t*>(r.address)};
    // AUTH: the client asked us; RESOLVER: we asked the upstream server.
    if (resolver) {
      message.has_response_address = 1;
      message.response_address = address;
      message.has_response_port = 1;
      message.response_port = r.port;
    } else {
      message.has_query_address = 1;
      message.query_address = address;
      message.has_query_port = 1;
      message.query_port = r.port;
    }
  }
  if (resolver && r.zone_length != 0) {
    message.has_query_zone = 1;
    message.query_zone = {r.zone_length, const_cast<uint8_t*>(r.zone)};
  }
  message.has_query_time_sec = 1;
  message.query_time_sec = r.sec;
  message.has_query_time_nsec = 1;
  message.query_time_nsec = r.nsec;
  const ProtobufCBinaryData wire{r.length, const_cast<uint8_t*>(r.message)};
  if (!response) {
    message.has_query_message = 1;
    message.query_message = wire;
  } else {
    // AUTH: the query's time stands for both (the answer leaves within microseconds).
    message.has_response_time_sec = 1;
    message.response_time_sec = resolver ? r.response_sec : r.sec;
    message.has_response_time_nsec = 1;
    message.response_time_nsec = resolver ? r.response_nsec : r.nsec;
    message.has_response_message = 1;
    message.response_message = wire;
  }
  Dnstap__Dnstap frame = DNSTAP__DNSTAP__INIT;
  frame.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
  frame.message = &message;
  frame.has_identity = !identity_.empty();
  frame.identity = {identity_.size(), reinterpret_cast<uint8_t*>(identity_.data())};
  frame.has_version = 1;
  frame.version = {version_.size(), reinterpret_cast<uint8_t*>(version_.data())};
  const std::size_t size = dnstap__dnstap__get_packed_size(&frame);
  auto* buffer = static_cast<uint8_t*>(std::malloc(size));  // fstrm frees it (fstrm_free_wrapper)
  if (!buffer) return false;
  dnstap__dnstap__pack(&frame, buffer);
  if (fstrm_iothr_submit(iothr_, queue_, buffer, size, fstrm_free_wrapper, nullptr) != fstrm_res_success) {
    std::free(buffer);
    return false;
  }
  return true;
}

void DnstapLog::run() {
  while (true) {
    const bool stopping = stop_.load();
    bool any = false;
    for (auto& side : workers_) {
      while (const Record* r = side->ring->front()) {
        if (write(*r)) {
          written_.fetch_add(1, std::memory_order_relaxed);
        } else {
          writer_dropped_.fetch_add(1, std::memory_order_relaxed);
        }
        side->ring->pop();
        any = true;
      }
    }
    if (stopping) return;  // the rings were emptied after the stop was seen
    if (!any) std::this_thread::sleep_for(kIdleSleep);
  }
}

DnstapCounters DnstapLog::counters() const {
  DnstapCounters c;
  c.written = written_.load(std::memory_order_relaxed);
  c.dropped = writer_dropped_.load(std::memory_order_relaxed);
  for (const auto& side : workers_) c.dropped += side->dropped.get();
  return c;
}

}  // namespace flatns::server
