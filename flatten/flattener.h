// CNAME flattening on the packet path (DESIGN.md "Flattening rules"): an
// A/AAAA query at a flattened name is answered with the final target's
// addresses under the query name, TTL = the minimum over the chain, capped by
// flatten.max_ttl and floored by flatten.min_ttl; NODATA with the SOA when the
// target does not exist or has no such type; SERVFAIL with an Extended DNS
// Error (RFC 8914) for loops, over-long chains and failed resolutions.
//
// The chain is chased through the zones flatns serves first, with no upstream
// query. At the first target outside them the flattened-answer cache
// (answer_cache.h, filled by the flatten service) decides:
//   fresh entry             the answer; in the last tenth of its TTL the
//                           caller is also asked to refresh it (prefetch,
//                           once per entry);
//   NODATA / NXDOMAIN       NODATA with the zone's SOA;
//   recent failure          answered at once as in a final call (below);
//   expired, stale usable   with stale_client_timeout_ms 0: the stale answer
//                           at once and a background refresh (call->refresh);
//                           else parked for at most that long
//                           (call->hold_ms; RFC 8767 §5's client response
//                           timer), the refresh going on after the answer;
//   miss or expired         the query is parked (FlattenCall::Outcome::Park).
// A final call (the target's resolution ended, or the deadline passed)
// answers from whatever is cached: a fresh entry; else, with serve_stale, a
// validated answer expired less than stale_max_s ago (stale_usable), with
// EDE 3 and the TTL stale_ttl gives (RFC 8767 §4); else the failure's
// SERVFAIL and EDE (6..12 for bogus data, 22 for unreachable servers) with
// the resolver's reason, zone and server; else SERVFAIL with EDE 22 naming
// the target.
// Without a cache (no resolver) external targets get SERVFAIL with EDE 22.
// It attaches to the answer at the pre-answer stage (zones/answer_hook.h)
// through a FlattenHook the responder builds per query. Nothing here
// allocates or locks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "flatten/answer_cache.h"
#include "flatten/defaults.h"
#include "flatten/flatten_call.h"
#include "flatten/time_source.h"
#include "signing/answer_signing.h"
#include "zones/answer_hook.h"

namespace flatns::flatten {

struct FlattenerSettings {
  uint32_t max_ttl = kDefaultMaxTtl;
  uint32_t min_ttl = kDefaultMinTtl;
  bool serve_stale = kDefaultServeStale;
  uint32_t stale_max_s = kDefaultStaleMaxS;
  uint32_t stale_reply_ttl_s = kDefaultStaleReplyTtlS;         // flatten.stale_reply_ttl_s
  uint32_t stale_client_timeout_ms = kDefaultStaleClientTimeoutMs;  // flatten.stale_client_timeout_ms
};

// Whether `entry` may be answered stale at `now_ms` (RFC 8767): serve_stale
// is on, it holds a validated answer that was not given with TTL 0 (RFC 1035
// §3.2.1: used for that transaction only), expired less than stale_max_s ago
// (as fresh is less than the TTL: at stale_max_s exactly it is gone).
[[nodiscard]] bool stale_usable(const FlattenerSettings& settings, const CachedAnswer& entry, uint64_t now_ms);
// The TTL of a stale answer: stale_reply_ttl_s (RFC 8767 §4 suggests 30),
// never more than the answer's own TTL had (as Unbound does).
[[nodiscard]] uint32_t stale_ttl(const FlattenerSettings& settings, const CachedAnswer& entry);
// A zone's own address set at a flattened target beyond this many records
// is answered unsigned (a validating resolver then finds it bogus).
inline constexpr std::size_t kMaxSignedAddresses = 64;
// The original TTL of flattened RRSIGs when flatten.max_ttl is 0 (no cap).
inline constexpr uint32_t kUnboundedSignatureTtl = 86400;

class Flattener {
 public:
  explicit Flattener(FlattenerSettings settings, std::shared_ptr<const FlattenCache> cache = nullptr,
                     const TimeSource& time = system_time())
      : settings_(settings), cache_(std::move(cache)), time_(time) {}
  // The pre-answer stage at a name that flattens: A and AAAA are answered
  // here (Hit, NoData, Truncated, Failed with SERVFAIL and EDE, or Held
  // when `call` is given and not final and the query is parked); other
  // types are left to the zone (Begin). A null `call` is a final call.
  // With `signing` and DO=1 in a zone signed online, the addresses written
  // carry RRSIGs, and a NODATA is noted for the denial stage.
  [[nodiscard]] zones::Found answer(const zones::AnswerPoint& at, dns::ResponseBuilder& rb,
                                    FlattenCall* call, signing::AnswerSigning* signing = nullptr) const;

  // Whether the target of the flattened name `at` has a `type` RRset, from
  // the zones served and the flattened-answer cache only (nothing is asked
  // or parked): nullopt when that is not known (not cached, or failed).
  [[nodiscard]] std::optional<bool> target_has(const zones::AnswerPoint& at, uint16_t type) const;

  [[nodiscard]] const FlattenerSettings& settings() const { return settings_; }

 private:
  zones::Found answer_unsigned(const zones::AnswerPoint& at, dns::ResponseBuilder& rb, FlattenCall* call,
                               signing::AnswerSigning* signing) const;
  zones::Found answer_external(const zones::Zone& zone, const dns::Query& q, dns::NameView target,
                               uint32_t chain_ttl, dns::ResponseBuilder& rb, FlattenCall* call,
                               signing::AnswerSigning* signing) const;
  zones::Found answer_final(const zones::Zone& zone, const dns::Query& q, dns::NameView target, bool hit,
                            const CachedAnswer& entry, uint64_t now, dns::ResponseBuilder& rb,
                            signing::AnswerSigning* signing) const;
  zones::Found add_cached(const zones::Zone& zone, const dns::Query& q, const CachedAnswer& entry, uint32_t ttl,
                          dns::ResponseBuilder& rb, signing::AnswerSigning* signing) const;
  zones::Found sign_written(const zones::Zone& zone, const dns::Query& q,
                            std::span<const std::span<const uint8_t>> rdatas, uint32_t ttl,
                            dns::ResponseBuilder& rb, signing::AnswerSigning* signing) const;
  [[nodiscard]] uint32_t clamp_ttl(uint32_t ttl) const;

  FlattenerSettings settings_;
  std::shared_ptr<const FlattenCache> cache_;
  const TimeSource& time_;
};

// The hook the answer calls (zones/answer_hook.h): one per query, on the
// stack, joining the shared Flattener and the worker's FlattenCall. With
// `signing` (some served zone is signed online) it also takes the `signs`
// and `denies` stages and hands them to it (signing/answer_signing.h), so
// one hook flattens and signs, the flattened addresses included.
class FlattenHook : public zones::AnswerHook {
 public:
  FlattenHook(const Flattener& flattener, FlattenCall* call, signing::AnswerSigning* signing = nullptr)
      : zones::AnswerHook(zones::HookStages{signing != nullptr, signing != nullptr}),
        flattener_(flattener),
        call_(call),
        signing_(signing) {}
  zones::Found pre_answer(const zones::AnswerPoint& at, dns::ResponseBuilder& rb) override {
    at_.emplace(at);
    return flattener_.answer(at, rb, call_, signing_);
  }
  bool sign(const zones::RRsetWrite& w, dns::ResponseBuilder& rb) final { return signing_->sign(w, rb); }
  // At a flattened name, the NODATA's NSEC lists A and AAAA as its target has them.
  bool deny(const zones::DenialPoint& what, dns::ResponseBuilder& rb) final;

 protected:
  const Flattener& flattener_;
  FlattenCall* call_;
  signing::AnswerSigning* signing_;
  std::optional<zones::AnswerPoint> at_;  // the flattened name asked, once pre_answer ran
};

}  // namespace flatns::flatten
