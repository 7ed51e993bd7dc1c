// Fuzzes the whole static query path: a packet goes through
// server::answer_query against a fixed zone set (fuzz/zones: an unsigned zone
// with wildcard, delegation with glue, CNAME chains and a DNAME; an
// NSEC3-signed, an NSEC3 opt-out and an NSEC-signed zone; a `flatten: all`
// zone whose apex CNAME, ALIAS and ANAME point into the other zones and whose
// other names point outside them), three times: over UDP with the flattener
// as a first call (which may park the query), over TCP as a final call, both
// with an NSID, and over UDP without a flatten stage (flattened names then
// chase their CNAMEs). The flattener's answer cache holds fixed entries for
// the external targets: fresh, due for prefetch, stale, negative, failed.
// Whatever comes back must fit the transport's limit, parse as a DNS message
// and echo the ID; only a first call may park.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dns/message.h"
#include "dns/message_parser.h"
#include "dns/rrtype.h"
#include "flatten/answer_cache.h"
#include "flatten/flattener.h"
#include "server/responder.h"
#include "zones/zone_set.h"

using namespace flatns;

namespace {

[[noreturn]] void fail(const char* transport, const std::string& what) {
  std::fprintf(stderr, "fuzz_query_path (%s): %s\n", transport, what.c_str());
  std::abort();
}

zones::ZoneSet load_zones() {
  std::vector<std::shared_ptr<const zones::Zone>> loaded;
  const std::pair<const char*, zones::FlattenMode> fixed[] = {
      {"plain.example.", zones::FlattenMode::Apex}, {"signed.example.", zones::FlattenMode::Apex},
      {"nsec.example.", zones::FlattenMode::Off},   {"optout.example.", zones::FlattenMode::Apex},
      {"flat.example.", zones::FlattenMode::All}};
  for (const auto& [origin, flatten] : fixed) {
    zones::ZoneConfig config;
    config.origin = dns::Name::parse(origin);
    config.file = std::string(FLATNS_FUZZ_DIR "/zones/") + origin + "zone";
    config.flatten = flatten;
    auto result = zones::load_zone(config);
    if (!result.zone) {
      for (const auto& e : result.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
      std::abort();
    }
    loaded.push_back(std::move(result.zone));
  }
  return zones::ZoneSet(std::move(loaded));
}

constexpr uint64_t kNowMs = 10'000'000;

class FixedTime final : public flatten::TimeSource {
 public:
  uint64_t now_ms() const override { return kNowMs; }
};

flatten::CachedAnswer cached(const char* target, uint16_t qtype, flatten::AnswerKind kind,
                             uint32_t ttl_s, uint64_t age_ms) {
  flatten::CachedAnswer e;
  e.set_key(dns::Name::parse(target).wire(), qtype);
  e.kind = kind;
  e.secure = qtype == dns::rrtype::A;
  e.ttl_s = ttl_s;
  e.validated_ms = kNowMs - age_ms;
  if (kind == flatten::AnswerKind::Addresses) {
    e.address_size = qtype == dns::rrtype::A ? 4 : 16;
    e.address_count = qtype == dns::rrtype::A ? 3 : 1;
    for (uint8_t i = 0; i < e.address_count; ++i) {
      e.addresses[i][0] = qtype == dns::rrtype::A ? 192 : 0x20;
      e.addresses[i][e.address_size - 1] = static_cast<uint8_t>(10 + i);
    }
  }
  return e;
}

std::shared_ptr<const flatten::FlattenCache> fill_cache() {
  using flatten::AnswerKind;
  using namespace dns::rrtype;
  auto cache = std::make_shared<flatten::FlattenCache>(64);
  for (uint16_t t : {A, AAAA}) {
    cache->store(cached("www.elsewhere.test.", t, AnswerKind::Addresses, 300, 10'000));
    cache->store(cached("soon.elsewhere.test.", t, AnswerKind::Addresses, 300, 295'000));
    cache->store(cached("stale.elsewhere.test.", t, AnswerKind::Addresses, 300, 900'000));
    auto failing = cached("host.failing.test.", t, AnswerKind::None, 0, 0);
    failing.set_failure(t == A ? 9 : 22, "zone failing.test.: DNSKEY missing (server 192.0.2.9)", kNowMs + 5000);
    cache->store(failing);
  }
  cache->store(cached("negative.elsewhere.test.", A, AnswerKind::NoData, 60, 1000));
  cache->store(cached("negative.elsewhere.test.", AAAA, AnswerKind::NxDomain, 60, 1000));
  auto stale_failed = cached("stale.elsewhere.test.", A, AnswerKind::Addresses, 300, 900'000);
  stale_failed.set_failure(22, "no server of zone elsewhere.test. answered", kNowMs + 5000);
  cache->store(stale_failed);
  return cache;
}

void answer_and_check(const zones::ZoneSet& zones, std::span<const uint8_t> packet,
                      const server::QueryContext& ctx) {
  const bool tcp = ctx.tcp;
  const char* transport = tcp ? "TCP" : "UDP";
  static std::vector<uint8_t> out(65535);
  if (ctx.flatten_call) ctx.flatten_call->reset(tcp);  // UDP: a first call; TCP: a final call
  const std::size_t length = server::answer_query(zones, packet, out, ctx);
  if (ctx.flatten_call && ctx.flatten_call->outcome == flatten::FlattenCall::Outcome::Park) {
    if (ctx.flatten_call->final) fail(transport, "a final call parked the query");
    if (length != 0) fail(transport, "a parked query was answered");
    return;
  }
  if (length == 0) return;

  dns::Query query;
  (void)dns::parse_query(packet, query);
  std::size_t limit = 65535;
  if (!tcp) {
    limit = dns::kMinUdpPayload;
    if (query.edns.present && query.edns.udp_size > limit) limit = query.edns.udp_size;
  }
  if (length > limit) {
    fail(transport, "response of " + std::to_string(length) + " octets, limit " + std::to_string(limit));
  }
  if (packet.size() < 2) fail(transport, "answered a packet without an ID");
  if (out[0] != packet[0] || out[1] != packet[1]) fail(transport, "ID not echoed");

  dns::Message response;
  std::string error;
  if (!dns::parse_message(std::span<const uint8_t>(out.data(), length), response, error)) {
    fail(transport, "response does not parse: " + error);
  }
  if (!response.has_flag(dns::flag::QR)) fail(transport, "response without QR");
  // FLATNS_FUZZ_TRACE=1 prints one line per answer (to check what the seeds reach).
  static const bool trace = std::getenv("FLATNS_FUZZ_TRACE") != nullptr;
  if (trace) {
    std::fprintf(stderr, "%s %s/%u flatten=%d rcode=%u flags=%04x an=%zu ns=%zu ar=%zu len=%zu\n", transport,
                 response.has_question ? response.qname.to_text().c_str() : "-", response.qtype,
                 ctx.flatten != nullptr, response.rcode(), response.flags, response.answer.size(),
                 response.authority.size(), response.additional.size(), length);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const zones::ZoneSet zones = load_zones();
  static const FixedTime time;
  static const flatten::Flattener flattener(flatten::FlattenerSettings{}, fill_cache(), time);
  static flatten::FlattenCall call;
  const std::span<const uint8_t> packet(data, size);
  server::QueryContext udp{.tcp = false, .nsid = "fuzz", .flatten = &flattener, .flatten_call = &call};
  server::QueryContext tcp{.tcp = true, .nsid = "fuzz", .flatten = &flattener, .flatten_call = &call};
  server::QueryContext bare{.tcp = false, .nsid = {}, .flatten = nullptr, .flatten_call = nullptr};
  answer_and_check(zones, packet, udp);
  answer_and_check(zones, packet, tcp);
  answer_and_check(zones, packet, bare);
  return 0;
}
