#include "server/responder.h"

#include <ctime>
#include <optional>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "server/transfer_glue.h"
#include "signing/answer_signing.h"
#include "zones/answer.h"

namespace flatns::server {

namespace {

std::size_t response_limit(const dns::Query& q, const QueryContext& ctx, std::size_t cap) {
  std::size_t limit = 65535;
  if (!ctx.tcp) {
    limit = q.edns.present ? q.edns.udp_size : dns::kMinUdpPayload;
    if (limit > kMaxUdpResponse) limit = kMaxUdpResponse;
    if (limit < dns::kMinUdpPayload) limit = dns::kMinUdpPayload;
  }
  return limit < cap ? limit : cap;
}

}  // namespace

namespace {

std::size_t answer(const zones::ZoneSet& zones, std::span<const uint8_t> query, std::span<uint8_t> out,
                   const QueryContext& ctx, const zones::Zone*& zone);

}  // namespace

std::size_t answer_query(const zones::ZoneSet& zones, std::span<const uint8_t> query,
                         std::span<uint8_t> out, const QueryContext& ctx) {
  const zones::Zone* zone = nullptr;
  const std::size_t length = answer(zones, query, out, ctx, zone);
  if (ctx.observer && !(ctx.flatten_call && ctx.flatten_call->outcome == flatten::FlattenCall::Outcome::Park)) {
    ctx.observer->answered(ctx.tcp, ctx.client, query, out.first(length), zone);
  }
  return length;
}

namespace {

std::size_t answer(const zones::ZoneSet& zones, std::span<const uint8_t> query, std::span<uint8_t> out,
                   const QueryContext& ctx, const zones::Zone*& zone_out) {
  dns::Query q;
  const dns::QueryStatus status = dns::parse_query(query, q);
  if (status == dns::QueryStatus::Drop || out.size() < dns::kMinUdpPayload) return 0;

  if (status == dns::QueryStatus::NotImp && q.opcode == dns::opcode::NOTIFY && ctx.transfer) {
    return answer_notify_udp(*ctx.transfer, ctx.notify_target, query, ctx.client, out);
  }
  // A signed query (a secondary's SOA check, say) gets a signed answer.
  if (q.tsig && ctx.transfer) return answer_signed_query(zones, *ctx.transfer, query, out, ctx);
  // An IXFR query carries the client's SOA, which parse_query calls FORMERR.
  if (q.has_question && q.opcode == dns::opcode::QUERY && (q.qtype == dns::rrtype::AXFR || q.qtype == dns::rrtype::IXFR) && ctx.transfer) {
    return answer_transfer_udp(zones, *ctx.transfer, query, ctx.client, out);
  }
  dns::ResponseBuilder rb(out);
  rb.start(q, response_limit(q, ctx, out.size()));
  if (q.edns.present && q.edns.nsid && !ctx.nsid.empty()) rb.set_nsid(ctx.nsid);

  switch (status) {
    case dns::QueryStatus::FormErr:
      rb.set_rcode(dns::rcode::FORMERR);
      return rb.finish();
    case dns::QueryStatus::NotImp:
      rb.set_rcode(dns::rcode::NOTIMP);
      return rb.finish();
    case dns::QueryStatus::BadVers:
      rb.set_rcode(dns::rcode::BADVERS);
      return rb.finish();
    default:
      break;
  }
  // Zone transfers are not offered, and the meta types other than ANY have no answer.
  if (q.qtype == dns::rrtype::AXFR || q.qtype == dns::rrtype::IXFR) {
    rb.set_rcode(dns::rcode::REFUSED);
    return rb.finish();
  }
  if (q.qtype == dns::rrtype::OPT || (dns::is_meta_type(q.qtype) && q.qtype != dns::rrtype::ANY)) {
    rb.set_rcode(dns::rcode::FORMERR);
    return rb.finish();
  }
  if (q.qclass != dns::rrclass::IN) {
    rb.set_rcode(dns::rcode::REFUSED);
    return rb.finish();
  }
  // One hash of each suffix of the name serves the zone choice and the lookup in the zone.
  dns::NameHashes qname_hashes;
  qname_hashes.compute(q.qname.view());
  const zones::Zone* zone = zones.find(qname_hashes);
  zone_out = zone;
  if (!zone) {
    rb.set_rcode(dns::rcode::REFUSED);
    return rb.finish();
  }
  if (ctx.transfer && !ctx.transfer->expired.empty() && ctx.transfer->is_expired(zone)) {
    rb.set_rcode(dns::rcode::SERVFAIL);  // an expired secondary zone (server/transfer_secondary.h)
    return rb.finish();
  }
  // A secondary of the expanded view checks that view's serial (server/transfer_expand.h).
  if (q.qtype == dns::rrtype::SOA) {
    const transfer::TransferPolicy* policy = ctx.transfer ? ctx.transfer : ctx.signed_policy;
    if (policy && policy->any_expanded) {
      zone = transfer::soa_view(*policy, *zone, q.qname.view(), ctx.client, ctx.signed_by);
    }
  }
  // Zones signed online sign and deny per query (signing/answer_signing.h).
  std::optional<signing::AnswerSigning> signing;
  if (q.edns.dnssec_ok && zones.any_online_signed()) signing.emplace(q.edns.compact_ok, ::time(nullptr));
  signing::AnswerSigning* signs = signing ? &*signing : nullptr;
  if (ctx.flatten && ctx.observer) {
    CountingFlattenHook hook(*ctx.flatten, ctx.flatten_call, *ctx.observer, signs);
    zones::answer_query(zones, *zone, q, qname_hashes, rb, &hook);
    if (ctx.flatten_call && ctx.flatten_call->outcome == flatten::FlattenCall::Outcome::Park) return 0;
  } else if (ctx.flatten) {
    flatten::FlattenHook hook(*ctx.flatten, ctx.flatten_call, signs);
    zones::answer_query(zones, *zone, q, qname_hashes, rb, &hook);
    if (ctx.flatten_call && ctx.flatten_call->outcome == flatten::FlattenCall::Outcome::Park) return 0;
  } else {
    zones::answer_query(zones, *zone, q, qname_hashes, rb);
  }
  return rb.finish();
}

}  // namespace

}  // namespace flatns::server
