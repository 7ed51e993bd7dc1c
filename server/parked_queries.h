// The table of parked queries of one worker: flattened queries waiting for
// their external target's resolution (DESIGN.md "The path of one query",
// step 5). Preallocated at a fixed capacity (flatten.max_pending); nothing
// grows: when it is full the caller answers at once instead of parking.
// Each entry keeps the query's octets (at most 1232, the largest UDP query
// we answer; bigger TCP queries are answered at once), where the answer goes
// and the deadline by which it must be answered.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "server/listener_socket.h"

namespace flatns::server {

class UdpListener;

struct ParkedQuery {
  static constexpr std::size_t kMaxQuery = 1232;

  bool used = false;
  bool tcp = false;
  uint16_t length = 0;
  uint64_t key_hash = 0;     // flatten::target_key_hash of the target waited for
  uint64_t deadline_ms = 0;  // monotonic (QueryParking's TimeSource)
  UdpListener* udp = nullptr;  // UDP: the listener it came in on ...
  sockaddr_storage peer{};     // ... the client ...
  UdpDestination destination;  // ... and the address it asked (wildcard sockets)
  uint64_t tcp_connection = 0;  // TCP: the connection's id
  std::array<uint8_t, kMaxQuery> query;

  [[nodiscard]] std::span<const uint8_t> bytes() const { return {query.data(), length}; }
};

class ParkedQueries {
 public:
  explicit ParkedQueries(std::size_t capacity);

  [[nodiscard]] std::size_t capacity() const { return capacity_; }
  [[nodiscard]] std::size_t size() const { return capacity_ - free_.size(); }

  // A free entry marked used, or null when the table is full.
  [[nodiscard]] ParkedQuery* add();
  void release(ParkedQuery& entry);
  // The entries by index, used or not (callers skip unused ones).
  [[nodiscard]] ParkedQuery& at(std::size_t i) { return entries_[i]; }
  // The earliest deadline of a used entry, or UINT64_MAX.
  [[nodiscard]] uint64_t earliest_deadline() const;

 private:
  std::size_t capacity_;
  std::unique_ptr<ParkedQuery[]> entries_;
  std::vector<uint32_t> free_;  // indices of unused entries (reserved to capacity)
};

}  // namespace flatns::server
