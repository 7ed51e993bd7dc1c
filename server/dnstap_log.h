// dnstap (https://dnstap.info), the query log NSD, Knot, Unbound and BIND
// write: each query and response as an AUTH_QUERY / AUTH_RESPONSE protobuf
// message, and the flatten resolver's upstream queries and the responses it
// accepted as RESOLVER_QUERY / RESOLVER_RESPONSE (response_address: the
// upstream server; query_zone: the zone cut it was asked for), in a Frame
// Streams file or socket (content type "protobuf:dnstap.Dnstap"; the schema
// is server/dnstap/dnstap.proto, encoded by server/dnstap_encode.h).
//
// Off the packet path: a worker copies the message into its own bounded
// single-producer ring (no lock, no allocation, no system call); when the
// ring is full the entry is dropped and counted, and the answer is never
// delayed. The resolver (the flatten service's thread, through
// resolver::TrafficObserver) has a ring of its own, used the same way. One
// writer thread empties the rings every 20 milliseconds (a producer wakes it
// early, through an eventfd, only when its ring reaches half full: at most
// once per half ring, never per message), encodes each message into one
// batch of Frame Streams data frames and writes the batch with one system
// call (server/dnstap_sink.h: libfstrm's writer for the control frames and
// the socket handshake). While the file or socket is failed or a collector
// is not there, the writer drops (and counts) what it takes, and reconnects.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "resolver-client/traffic_observer.h"
#include "server/config_ops.h"
#include "server/dnstap_encode.h"
#include "server/dnstap_ring.h"
#include "server/dnstap_sink.h"
#include "server/query_stats.h"

namespace flatns::server {

struct DnstapCounters {
  uint64_t written = 0;  // frames written to the file or socket
  uint64_t dropped = 0;  // ring full, sink failed or closed, or a message larger than kMaxMessage
};

class DnstapLog final : public resolver::TrafficObserver {
 public:
  // Messages longer than this are not logged (counted as dropped).
  static constexpr std::size_t kMaxMessage = 4096;
  // A worker's ring holds `queue` (server.dnstap.queue) times this many bytes:
  // about `queue` messages of usual size (a query and its response take
  // 150 to 600 bytes with the entry's header), or twice as many exchanges.
  static constexpr std::size_t kBytesPerMessage = 512;

  DnstapLog(const DnstapSettings& settings, unsigned workers, std::string identity, std::string version);
  ~DnstapLog() override;
  DnstapLog(const DnstapLog&) = delete;
  DnstapLog& operator=(const DnstapLog&) = delete;

  // Opens the file (truncating it) or prepares the socket, starts the threads.
  [[nodiscard]] bool start(std::string& error);
  // Writes what is queued, then closes the file or socket.
  void stop();

  // Worker `worker` only: logs one query and its response (empty: none).
  void log_exchange(unsigned worker, bool tcp, const sockaddr* peer, std::span<const uint8_t> query,
                    std::span<const uint8_t> response);

  // The flatten service's thread only (resolver::TrafficObserver), when
  // settings.resolver: RESOLVER_QUERY and RESOLVER_RESPONSE.
  void query_sent(const resolver::UpstreamExchange& exchange, std::span<const uint8_t> query) override;
  void response_received(const resolver::UpstreamExchange& exchange, resolver::WallTime response_time,
                         std::span<const uint8_t> response) override;

  [[nodiscard]] DnstapCounters counters() const;

 private:
  // A ring entry (server/dnstap_ring.h): this header, then the message
  // bytes. A worker's entry is one exchange (its query and/or response,
  // which share the client and the time); the resolver's is one upstream
  // message followed by the zone cut's name.
  struct Entry {
    uint32_t size = 0;  // ByteRing's size word
    uint8_t type = 0;   // kDnstapAuthQuery (an exchange) or kDnstapResolverQuery / kDnstapResolverResponse
    bool tcp = false;
    uint8_t family = 0;  // 0 unknown, AF_INET, AF_INET6
    uint8_t zone_length = 0;  // RESOLVER: the zone cut's wire name (0: not known)
    uint16_t port = 0;
    uint16_t query_length = 0;     // exchange: the query (0: not logged); RESOLVER: the message
    uint16_t response_length = 0;  // exchange: the response (0: none or not logged)
    uint32_t nsec = 0;             // the query's time
    uint64_t sec = 0;
    uint64_t response_sec = 0;  // RESOLVER_RESPONSE: when it arrived
    uint32_t response_nsec = 0;
    uint8_t address[16] = {};  // AUTH: the client (query_address); RESOLVER: the server (response_address)
    [[nodiscard]] const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(this + 1); }
  };
  struct alignas(64) WorkerSide {
    explicit WorkerSide(std::size_t bytes) : ring(bytes) {}
    ByteRing ring;
    Counter dropped;
  };

  void push_upstream(uint8_t type, const resolver::UpstreamExchange& exchange, resolver::WallTime response_time,
                     std::span<const uint8_t> message);
  void run();
  void wake();
  void note_open(bool open, bool& was_open) const;
  // Encodes the frames of one entry into batch_ (writing the batch first
  // when it is full); false when that write failed (the frames are dropped).
  bool append(const Entry& entry);
  bool append(const DnstapMessage& message);
  bool flush();

  DnstapSettings settings_;
  DnstapEncoder encoder_;
  // One per worker, then the resolver's (when settings_.resolver).
  std::vector<std::unique_ptr<WorkerSide>> workers_;
  std::size_t resolver_side_ = 0;
  FrameStreamSink sink_;
  int wake_ = -1;  // eventfd: a producer's ring is half full, or stop()
  std::vector<uint8_t> batch_;  // the writer thread's frames, written at once
  std::size_t batch_used_ = 0, batch_frames_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> written_{0}, writer_dropped_{0};
};

}  // namespace flatns::server
