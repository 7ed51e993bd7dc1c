// What the resolver knows about each upstream server: smoothed RTT and its
// variance (RFC 6298 §2, the estimator TCP uses), consecutive timeouts, bogus
// answers, and a back-off deadline. The iterator asks it for a server's
// timeout (adaptive, bounded) and which servers to prefer or avoid:
//  - two consecutive timeouts back a server off (timeout_backoff_s, doubling);
//  - a server whose last kTypeTimeoutsToSkip queries of a type (A, AAAA,
//    any other) timed out is not asked that type for timeout_backoff_s after
//    the last one (drops_type), not even as a last resort: servers that
//    drop AAAA queries but answer A (RFC 4074 §4.1) cost every AAAA question
//    its timeouts otherwise, while A questions still reach them. The period
//    does not double, so a server back from an outage is asked again soon;
//  - an answer that fails validation backs it off at once (bogus_backoff_s,
//    doubling), which is how the incident's bad TLD server is routed around.
// The table is bounded; the least recently used records are dropped.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "resolver-client/lru_cache.h"
#include "resolver-client/resolver_settings.h"
#include "dns/server_address.h"

namespace flatns::resolver {

struct ServerRecord {
  bool measured = false;
  double srtt_ms = 0;
  double rttvar_ms = 0;
  uint32_t consecutive_timeouts = 0;
  // Consecutive timeouts by query type (A, AAAA, any other), and when the
  // last of each was.
  std::array<uint8_t, 3> type_timeouts{};
  std::array<uint64_t, 3> type_timeout_at_ms{};
  uint64_t timeouts = 0;
  uint64_t answers = 0;
  uint64_t bogus = 0;
  uint32_t backoffs = 0;           // how many back-offs in a row (doubles the period)
  uint64_t backoff_until_ms = 0;   // avoided until then
  std::string backoff_reason;      // e.g. "bogus data for zone example.: signature expired"
};

class ServerHealth {
 public:
  // Timeouts in a row of one query type after which that type is not asked
  // of the server for a while: the tries one question gives a silent server
  // (1 + the iterator's retry rounds), and Unbound's TIMEOUT_COUNT_MAX.
  static constexpr uint8_t kTypeTimeoutsToSkip = 3;

  explicit ServerHealth(const ResolverLimits& limits, std::size_t max_servers = 10000);

  // The timeout for the next query to `server`: srtt + 4 * rttvar, within
  // the configured bounds; a fixed guess for servers never measured.
  [[nodiscard]] uint32_t timeout_ms(const dns::ServerAddress& server);
  // Expected RTT for ranking servers (unmeasured servers rank as the guess).
  [[nodiscard]] double expected_rtt_ms(const dns::ServerAddress& server);
  [[nodiscard]] bool backed_off(const dns::ServerAddress& server, uint64_t now_ms);
  // The last kTypeTimeoutsToSkip queries of `qtype`'s kind all timed out,
  // the last less than timeout_backoff_s ago: not worth asking that kind now.
  [[nodiscard]] bool drops_type(const dns::ServerAddress& server, uint16_t qtype, uint64_t now_ms);

  // An answer (any rcode) to a query of `qtype`.
  void record_answer(const dns::ServerAddress& server, uint32_t rtt_ms, uint16_t qtype);
  // A query of `qtype` timed out. Returns true when this put the server
  // into back-off.
  bool record_timeout(const dns::ServerAddress& server, uint16_t qtype, uint64_t now_ms);
  // The server answered with data that failed validation: back off now.
  void record_bogus(const dns::ServerAddress& server, const std::string& reason, uint64_t now_ms);

  [[nodiscard]] const ServerRecord* find(const dns::ServerAddress& server);
  // A copy of every record with its server's address text, most recently
  // used first (the control channel's `upstreams`, the metrics endpoint).
  [[nodiscard]] std::vector<std::pair<std::string, ServerRecord>> snapshot() const;

 private:
  ServerRecord& at(const dns::ServerAddress& server);
  void back_off(ServerRecord& r, uint32_t base_s, uint64_t now_ms);
  ResolverLimits limits_;
  LruCache<std::string, ServerRecord> servers_;
};

}  // namespace flatns::resolver
