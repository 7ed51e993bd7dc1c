// Transport (resolver-client/transport.h) on libuv: each UDP query gets its
// own socket bound to port 0, so the kernel picks a random ephemeral source
// port (RFC 5452 §4.5); each TCP query its own connection (RFC 7766 framing).
// Use one UvTransport per loop, from that loop's thread only.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "resolver-client/traffic_observer.h"
#include "resolver-client/transport.h"

namespace flatns::resolver {

struct TransportCounters {
  uint64_t sent = 0;
  uint64_t ignored_mismatch = 0;   // wrong address, ID or question
  uint64_t ignored_malformed = 0;  // could not be parsed or too large
};

class UvTransport final : public Transport {
 public:
  // `max_response_size` bounds accepted responses (UDP and TCP); `observer`
  // (may be null) hears of each query sent and each response accepted.
  explicit UvTransport(uv_loop_t* loop, std::size_t max_response_size = dns::kMaxMessageSize,
                       std::shared_ptr<TrafficObserver> observer = nullptr);
  ~UvTransport() override;
  UvTransport(const UvTransport&) = delete;
  UvTransport& operator=(const UvTransport&) = delete;

  QueryHandle send(const UpstreamQuery& query, ReplyCallback done) override;
  void cancel(QueryHandle handle) override;

  [[nodiscard]] const TransportCounters& counters() const { return counters_; }

  struct Pending;  // one query in flight (defined in uv_transport.cpp)
  void finish(Pending* p, UpstreamReply&& reply, bool notify);
  void on_datagram(Pending* p, std::span<const uint8_t> data, const sockaddr* from);
  // Tells the observer the query is on its way (UDP: handed to the socket;
  // TCP: written on the connection).
  void report_sent(Pending* p);
  TransportCounters counters_;

 private:
  void encode_query(Pending* p);
  // Open the socket and send (UDP) or connect (TCP, written once connected);
  // a libuv error code with p->setup_error set, or 0.
  int send_udp(Pending* p);
  int send_tcp(Pending* p);

  uv_loop_t* loop_;
  std::size_t max_response_size_;
  std::shared_ptr<TrafficObserver> observer_;
  QueryHandle next_handle_ = 1;
  std::unordered_map<QueryHandle, Pending*> pending_;
};

}  // namespace flatns::resolver
