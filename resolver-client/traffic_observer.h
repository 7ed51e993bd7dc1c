// What the resolver puts on the wire and what it accepts back, for a query
// log: the daemon implements it with dnstap's RESOLVER_QUERY and
// RESOLVER_RESPONSE messages (server/dnstap_log.h); resolver-client knows
// nothing of dnstap. The transport (uv_transport.h) calls it on its loop's
// thread, once per query sent (UDP: handed to the socket; TCP: written on the
// connection) and once per response it accepts (the right server, ID and
// question, RFC 5452); responses it ignores are not reported. An
// implementation copies what it keeps and returns at once: it must never
// block the resolver.
#pragma once

#include <cstdint>
#include <span>

#include "dns/name.h"
#include "dns/server_address.h"
#include "resolver-client/transport.h"

namespace flatns::resolver {

// Wall-clock time (CLOCK_REALTIME), as query logs record it.
struct WallTime {
  int64_t sec = 0;
  uint32_t nsec = 0;
  [[nodiscard]] static WallTime now();
};

struct UpstreamExchange {
  const dns::ServerAddress& server;  // who was asked
  Protocol protocol;
  dns::NameView zone;  // the zone cut whose servers were asked (empty: not known)
  WallTime query_time;  // when the query went out
};

class TrafficObserver {
 public:
  virtual ~TrafficObserver() = default;
  // `query`: the DNS message as sent (no TCP length prefix).
  virtual void query_sent(const UpstreamExchange& exchange, std::span<const uint8_t> query) = 0;
  virtual void response_received(const UpstreamExchange& exchange, WallTime response_time,
                                 std::span<const uint8_t> response) = 0;
};

}  // namespace flatns::resolver
