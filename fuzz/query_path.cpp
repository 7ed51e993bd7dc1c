// Fuzzes the whole static query path: a packet goes through
// server::answer_query against a fixed zone set (fuzz/zones: an unsigned zone
// with wildcard, delegation with glue, CNAME chains and a DNAME; an
// NSEC3-signed, an NSEC3 opt-out and an NSEC-signed zone; a `flatten: all`
// zone whose apex CNAME, ALIAS and ANAME point into the other zones), three
// times: over UDP and over TCP with the flattener and an NSID, and over UDP
// without a flatten stage (flattened names then chase their CNAMEs).
// Whatever comes back must fit the transport's limit, parse as a DNS message
// and echo the ID.
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

void answer_and_check(const zones::ZoneSet& zones, std::span<const uint8_t> packet,
                      const server::QueryContext& ctx) {
  const bool tcp = ctx.tcp;
  const char* transport = tcp ? "TCP" : "UDP";
  static std::vector<uint8_t> out(65535);
  const std::size_t length = server::answer_query(zones, packet, out, ctx);
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
  static const flatten::Flattener flattener(flatten::Settings{});
  const std::span<const uint8_t> packet(data, size);
  server::QueryContext udp{.tcp = false, .nsid = "fuzz", .flatten = &flattener};
  server::QueryContext tcp{.tcp = true, .nsid = "fuzz", .flatten = &flattener};
  server::QueryContext bare{.tcp = false, .nsid = {}, .flatten = nullptr};
  answer_and_check(zones, packet, udp);
  answer_and_check(zones, packet, tcp);
  answer_and_check(zones, packet, bare);
  return 0;
}
