#include "resolver-client/server_health.h"

#include <algorithm>
#include <cmath>

#include "dns/rrtype.h"

namespace flatns::resolver {

namespace {

std::size_t type_slot(uint16_t qtype) {
  return qtype == dns::rrtype::A ? 0 : qtype == dns::rrtype::AAAA ? 1 : 2;
}

}  // namespace

ServerHealth::ServerHealth(const ResolverLimits& limits, std::size_t max_servers)
    : limits_(limits), servers_(max_servers * sizeof(ServerRecord)) {}

ServerRecord& ServerHealth::at(const dns::ServerAddress& server) {
  auto key = server.to_string();
  if (ServerRecord* r = servers_.get(key)) return *r;
  servers_.put(key, ServerRecord{}, sizeof(ServerRecord));
  return *servers_.get(key);
}

const ServerRecord* ServerHealth::find(const dns::ServerAddress& server) {
  return servers_.get(server.to_string());
}

std::vector<std::pair<std::string, ServerRecord>> ServerHealth::snapshot() const {
  std::vector<std::pair<std::string, ServerRecord>> out;
  out.reserve(servers_.size());
  servers_.for_each([&](const std::string& key, const ServerRecord& r) { out.emplace_back(key, r); });
  return out;
}

uint32_t ServerHealth::timeout_ms(const dns::ServerAddress& server) {
  const ServerRecord& r = at(server);
  if (!r.measured) return limits_.unknown_server_timeout_ms;
  double t = r.srtt_ms + 4 * r.rttvar_ms;
  // A server that just timed out gets more time on the next try (RFC 6298 §5.5).
  t *= std::pow(2.0, std::min<uint32_t>(r.consecutive_timeouts, 3));
  return static_cast<uint32_t>(std::clamp<double>(t, limits_.min_timeout_ms, limits_.max_timeout_ms));
}

double ServerHealth::expected_rtt_ms(const dns::ServerAddress& server) {
  const ServerRecord& r = at(server);
  double base = r.measured ? r.srtt_ms : limits_.unknown_server_timeout_ms / 2.0;
  return base + r.consecutive_timeouts * static_cast<double>(limits_.max_timeout_ms);
}

bool ServerHealth::backed_off(const dns::ServerAddress& server, uint64_t now_ms) {
  const ServerRecord* r = find(server);
  return r != nullptr && r->backoff_until_ms > now_ms;
}

bool ServerHealth::drops_type(const dns::ServerAddress& server, uint16_t qtype, uint64_t now_ms) {
  const ServerRecord* r = find(server);
  if (r == nullptr) return false;
  const std::size_t slot = type_slot(qtype);
  return r->type_timeouts[slot] >= kTypeTimeoutsToSkip &&
         now_ms < r->type_timeout_at_ms[slot] + uint64_t{limits_.timeout_backoff_s} * 1000;
}

void ServerHealth::record_answer(const dns::ServerAddress& server, uint32_t rtt_ms, uint16_t qtype) {
  ServerRecord& r = at(server);
  r.type_timeouts[type_slot(qtype)] = 0;
  double rtt = std::max<double>(rtt_ms, 1.0);
  if (!r.measured) {
    r.srtt_ms = rtt;
    r.rttvar_ms = rtt / 2;
    r.measured = true;
  } else {
    r.rttvar_ms = 0.75 * r.rttvar_ms + 0.25 * std::abs(r.srtt_ms - rtt);
    r.srtt_ms = 0.875 * r.srtt_ms + 0.125 * rtt;
  }
  r.consecutive_timeouts = 0;
  ++r.answers;
}

void ServerHealth::back_off(ServerRecord& r, uint32_t base_s, uint64_t now_ms) {
  uint64_t period_s = std::min<uint64_t>(static_cast<uint64_t>(base_s) << std::min(r.backoffs, 10u),
                                         limits_.max_backoff_s);
  r.backoff_until_ms = now_ms + period_s * 1000;
  ++r.backoffs;
}

bool ServerHealth::record_timeout(const dns::ServerAddress& server, uint16_t qtype, uint64_t now_ms) {
  ServerRecord& r = at(server);
  const std::size_t slot = type_slot(qtype);
  if (r.type_timeouts[slot] < kTypeTimeoutsToSkip) ++r.type_timeouts[slot];
  r.type_timeout_at_ms[slot] = now_ms;
  ++r.timeouts;
  ++r.consecutive_timeouts;
  if (r.consecutive_timeouts >= 2 && r.backoff_until_ms <= now_ms) {
    back_off(r, limits_.timeout_backoff_s, now_ms);
    r.backoff_reason = std::to_string(r.consecutive_timeouts) + " timeouts in a row";
    return true;
  }
  return false;
}

void ServerHealth::record_bogus(const dns::ServerAddress& server, const std::string& reason,
                                uint64_t now_ms) {
  ServerRecord& r = at(server);
  ++r.bogus;
  back_off(r, limits_.bogus_backoff_s, now_ms);
  r.backoff_reason = reason;
}

}  // namespace flatns::resolver
