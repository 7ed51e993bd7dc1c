// dnstap (https://dnstap.info), the query log NSD, Knot, Unbound and BIND
// write: each query and response as an AUTH_QUERY / AUTH_RESPONSE protobuf
// message, and the flatten resolver's upstream queries and the responses it
// accepted as RESOLVER_QUERY / RESOLVER_RESPONSE (response_address: the
// upstream server; query_zone: the zone cut it was asked for), in a Frame
// Streams file or socket (libfstrm, content type "protobuf:dnstap.Dnstap";
// the schema is server/dnstap/dnstap.proto, its C code generated at build
// time by protoc-c).
//
// Off the packet path: a worker copies the message into its own bounded
// single-producer ring (no lock, no allocation, no system call); when the
// ring is full the entry is dropped and counted, and the answer is never
// delayed. The resolver (the flatten service's thread, through
// resolver::TrafficObserver) has a ring of its own, used the same way. One
// writer thread empties the rings, encodes the protobuf and hands the frame
// to libfstrm's I/O thread (fstrm_iothr), which writes the file or the
// socket and reconnects to a collector that went away; when its queue is
// full the frame is dropped and counted too.
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
#include "server/query_stats.h"

struct fstrm_iothr;
struct fstrm_iothr_queue;

namespace flatns::server {

struct DnstapCounters {
  uint64_t written = 0;  // frames handed to the writer
  uint64_t dropped = 0;  // ring full, fstrm queue full, or a message larger than kMaxMessage
};

class DnstapLog final : public resolver::TrafficObserver {
 public:
  // Messages longer than this are not logged (counted as dropped).
  static constexpr std::size_t kMaxMessage = 4096;

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
  struct Record {
    uint8_t type = 0;  // dnstap Message.Type: AUTH_QUERY 1, AUTH_RESPONSE 2, RESOLVER_QUERY 3, RESOLVER_RESPONSE 4
    bool tcp = false;
    uint8_t family = 0;  // 0 unknown, AF_INET, AF_INET6
    uint16_t port = 0;
    uint8_t address[16] = {};  // AUTH: the client (query_address); RESOLVER: the server (response_address)
    uint64_t sec = 0;          // the query's time
    uint32_t nsec = 0;
    uint64_t response_sec = 0;  // RESOLVER_RESPONSE: when it arrived
    uint32_t response_nsec = 0;
    uint8_t zone_length = 0;  // RESOLVER: the zone cut's wire name (0: not known)
    uint8_t zone[dns::kMaxNameLength];
    uint16_t length = 0;
    uint8_t message[kMaxMessage];
  };
  class Ring;
  struct alignas(64) WorkerSide {
    std::unique_ptr<Ring> ring;
    Counter dropped;
  };

  void push(unsigned worker, uint8_t type, bool tcp, const sockaddr* peer, const timespec& now,
            std::span<const uint8_t> message);
  void push_upstream(uint8_t type, const resolver::UpstreamExchange& exchange, resolver::WallTime response_time,
                     std::span<const uint8_t> message);
  void run();
  bool write(const Record& record);

  DnstapSettings settings_;
  std::string identity_, version_;
  // One per worker, then the resolver's (when settings_.resolver).
  std::vector<std::unique_ptr<WorkerSide>> workers_;
  std::size_t resolver_side_ = 0;
  fstrm_iothr* iothr_ = nullptr;
  fstrm_iothr_queue* queue_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> written_{0}, writer_dropped_{0};
};

}  // namespace flatns::server
