#include "transfer/notify.h"

#include "dns/message.h"
#include "dns/message_parser.h"
#include "dns/rrtype.h"
#include "dns/wire.h"

namespace flatns::transfer {

std::vector<uint8_t> make_notify(const zones::Zone& zone, uint16_t id, const dns::TsigKey* key, uint64_t now,
                                 std::vector<uint8_t>& request_mac) {
  std::vector<uint8_t> buffer(1024);
  dns::WireWriter w(buffer);
  const uint16_t flags = static_cast<uint16_t>(dns::opcode::NOTIFY << 11 | dns::flag::AA);
  w.u16(id);
  w.u16(flags);
  w.u16(1);
  w.u16(1);
  w.u16(0);
  w.u16(0);
  const dns::NameView origin = zone.name(zone.apex());
  w.name(origin);
  w.u16(dns::rrtype::SOA);
  w.u16(dns::rrclass::IN);
  const zones::RRset* soa = zone.rrset(zone.apex(), dns::rrtype::SOA);
  std::span<const uint8_t> soa_rdata;
  zone.records(*soa).for_each([&](std::span<const uint8_t> rdata) { soa_rdata = rdata; });
  w.name(origin);
  w.u16(dns::rrtype::SOA);
  w.u16(dns::rrclass::IN);
  w.u32(soa->ttl);
  w.u16(static_cast<uint16_t>(soa_rdata.size()));
  w.bytes(soa_rdata);  // uncompressed: the secondary reads it as stored
  std::size_t n = w.size();
  request_mac.clear();
  if (key) {
    dns::TsigSigner signer(*key, {});
    n = signer.sign(buffer, n, now);
    request_mac.assign(signer.mac().begin(), signer.mac().end());
  }
  buffer.resize(n);
  return buffer;
}

NotifyReply check_notify_reply(std::span<const uint8_t> reply, uint16_t id, dns::NameView origin,
                               const dns::TsigKey* key, std::span<const uint8_t> request_mac, uint64_t now,
                               std::string& detail) {
  dns::Message m;
  std::string problem;
  if (reply.size() < 12) return NotifyReply::NotOurs;
  const uint16_t reply_id = static_cast<uint16_t>(reply[0] << 8 | reply[1]);
  if (reply_id != id || !(reply[2] & 0x80)) return NotifyReply::NotOurs;
  if (!dns::parse_message(reply, m, problem)) {
    detail = "malformed answer: " + problem;
    return NotifyReply::Malformed;
  }
  if (((m.flags >> 11) & 0xF) != dns::opcode::NOTIFY ||
      (m.has_question && !dns::name_equal(m.qname.wire(), origin))) {
    return NotifyReply::NotOurs;
  }
  if (key) {
    dns::TsigVerifier verifier(*key, request_mac);
    const dns::TsigStatus s = verifier.verify(reply, now);
    if (s != dns::TsigStatus::Ok) {
      detail = "TSIG: " + std::string(dns::tsig_status_text(s));
      return NotifyReply::Error;
    }
  }
  if (m.rcode() != dns::rcode::NOERROR) {
    detail = "rcode " + std::to_string(m.rcode());
    return NotifyReply::Error;
  }
  return NotifyReply::Acknowledged;
}

}  // namespace flatns::transfer

namespace flatns::transfer {

NotifyAnswer answer_notify(const TransferPolicy& policy, const TransferRequest& request, std::span<uint8_t> out) {
  NotifyAnswer a;
  dns::Message m;
  std::string problem;
  dns::Query q;
  if (dns::parse_query(request.query, q) == dns::QueryStatus::Drop) return a;
  const std::string from(request.client_text);
  auto respond = [&](uint16_t rcode, const dns::TsigRequestCheck* tsig) {
    dns::ResponseBuilder rb(out);
    rb.start(q, 512 - (tsig && tsig->key ? 400 : 0));
    rb.set_rcode(rcode);
    if (rcode == dns::rcode::NOERROR) rb.set_aa(true);
    std::size_t n = rb.finish();
    if (tsig && tsig->status == dns::TsigStatus::Ok) {
      dns::TsigSigner signer(*tsig->key, tsig->record.mac);
      n = signer.sign(out, n, request.now);
    } else if (tsig && tsig->status != dns::TsigStatus::Unsigned && tsig->status != dns::TsigStatus::FormErr) {
      n = dns::append_tsig_error(out, n, tsig->record, dns::tsig_error_code(tsig->status));
    }
    return n;
  };
  if (!dns::parse_message(request.query, m, problem) || !m.has_question || m.qtype != dns::rrtype::SOA) {
    q.has_question = q.has_question && m.has_question;
    a.length = respond(dns::rcode::FORMERR, nullptr);
    a.warn = true;
    a.log = "NOTIFY from " + from + " malformed: " + (problem.empty() ? "no SOA question" : problem);
    return a;
  }
  a.zone = m.qname;
  const std::string what = "NOTIFY " + m.qname.to_text() + " from " + from;
  if (m.qclass != dns::rrclass::IN) {
    a.length = respond(dns::rcode::FORMERR, nullptr);
    a.warn = true;
    a.log = what + " refused: class " + dns::class_to_text(m.qclass) + ", not IN";
    return a;
  }
  const dns::TsigRequestCheck tsig = dns::verify_tsig_request(request.query, policy.keys, request.now);
  if (tsig.status == dns::TsigStatus::FormErr) {
    a.length = respond(dns::rcode::FORMERR, nullptr);
    a.warn = true;
    a.log = what + " refused: malformed TSIG record";
    return a;
  }
  if (tsig.status != dns::TsigStatus::Ok && tsig.status != dns::TsigStatus::Unsigned) {
    a.length = respond(dns::rcode::NOTAUTH, &tsig);
    a.warn = true;
    a.log = what + " refused: TSIG " + std::string(dns::tsig_status_text(tsig.status));
    return a;
  }
  const ZoneTransferPolicy* zone = policy.zone(m.qname.wire());
  if (!zone || zone->notify_from.empty()) {
    a.length = respond(dns::rcode::REFUSED, &tsig);
    a.warn = true;
    a.log = what + " refused: not a secondary zone here";
    return a;
  }
  if (!match_acl(zone->notify_from, request.client, tsig.key ? &tsig.key->name : nullptr)) {
    a.length = respond(dns::rcode::REFUSED, &tsig);
    a.warn = true;
    a.log = what + " refused: not from one of its primaries" + (tsig.key ? "" : " (or unsigned)");
    return a;
  }
  a.length = respond(dns::rcode::NOERROR, &tsig);
  a.accepted = true;
  a.log = what + (tsig.key ? " (TSIG key " + tsig.key->name.to_text() + ")" : "") + ": refresh scheduled";
  return a;
}

}  // namespace flatns::transfer
