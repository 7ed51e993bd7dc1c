#include "dns/message_parser.h"

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/wire.h"

namespace flatns::dns {

std::string ResourceRecord::to_text() const {
  return owner.to_text() + " " + std::to_string(ttl) + " " + class_to_text(rclass) + " " +
         type_to_text(type) + " " + rdata_to_text(type, rdata);
}

namespace {

bool read_record(WireReader& r, std::span<const uint8_t> packet, ResourceRecord& rr,
                 std::string& error, MalformedRdata malformed) {
  NameBuffer owner;
  uint16_t rdlength;
  if (!r.name(owner)) {
    error = "bad owner name at offset " + std::to_string(r.pos());
    return false;
  }
  if (!r.u16(rr.type) || !r.u16(rr.rclass) || !r.u32(rr.ttl) || !r.u16(rdlength)) {
    error = "record header truncated at offset " + std::to_string(r.pos());
    return false;
  }
  if (r.remaining() < rdlength) {
    error = "RDATA of " + type_to_text(rr.type) + " runs past the end of the message";
    return false;
  }
  if (!Name::from_wire(owner.view(), rr.owner)) {
    error = "bad owner name";
    return false;
  }
  if (rr.type == rrtype::OPT) {
    std::span<const uint8_t> raw;
    if (!r.bytes(rdlength, raw)) return false;
    rr.rdata.assign(raw.begin(), raw.end());
    return true;
  }
  if (!rdata_from_wire(rr.type, packet, r.pos(), rdlength, rr.rdata)) {
    if (malformed == MalformedRdata::KeepRaw) {
      std::span<const uint8_t> raw;
      if (!r.bytes(rdlength, raw)) return false;
      rr.rdata.assign(raw.begin(), raw.end());
      return true;
    }
    error = "malformed " + type_to_text(rr.type) + " RDATA for " + rr.owner.to_text();
    return false;
  }
  return r.skip(rdlength);
}

}  // namespace

bool parse_message(std::span<const uint8_t> packet, Message& m, std::string& error,
                   MalformedRdata malformed) {
  m = Message{};
  WireReader r(packet);
  uint16_t qd, counts[3];
  if (!r.u16(m.id) || !r.u16(m.flags) || !r.u16(qd) || !r.u16(counts[0]) || !r.u16(counts[1]) ||
      !r.u16(counts[2])) {
    error = "message shorter than its 12-octet header";
    return false;
  }
  if (qd > 1) {
    error = "more than one question";
    return false;
  }
  if (qd == 1) {
    NameBuffer qname;
    if (!r.name(qname) || !r.u16(m.qtype) || !r.u16(m.qclass) ||
        !Name::from_wire(qname.view(), m.qname)) {
      error = "malformed question";
      return false;
    }
    m.has_question = true;
  }
  std::vector<ResourceRecord>* sections[3] = {&m.answer, &m.authority, &m.additional};
  for (int s = 0; s < 3; ++s) {
    for (uint16_t i = 0; i < counts[s]; ++i) {
      ResourceRecord rr;
      if (!read_record(r, packet, rr, error, malformed)) return false;
      if (rr.type == rrtype::OPT) {
        if (s != 2 || m.has_edns || !rr.owner.is_root()) {
          error = "misplaced or repeated OPT record";
          return false;
        }
        m.has_edns = true;
        m.edns_udp_size = rr.rclass;
        m.extended_rcode_high = static_cast<uint8_t>(rr.ttl >> 24);
        m.edns_version = static_cast<uint8_t>(rr.ttl >> 16);
        m.dnssec_ok = (rr.ttl & 0x8000) != 0;
        WireReader opts(rr.rdata);
        while (opts.remaining() > 0) {
          EdnsOption o;
          uint16_t len;
          std::span<const uint8_t> data;
          if (!opts.u16(o.code) || !opts.u16(len) || !opts.bytes(len, data)) {
            error = "malformed EDNS option";
            return false;
          }
          o.data.assign(data.begin(), data.end());
          m.options.push_back(std::move(o));
        }
        continue;
      }
      sections[s]->push_back(std::move(rr));
    }
  }
  if (r.remaining() != 0) {
    error = std::to_string(r.remaining()) + " octets of trailing data after the message";
    return false;
  }
  return true;
}

std::size_t write_query(std::span<uint8_t> out, NameView qname, uint16_t qtype,
                        const QueryOptions& o) {
  WireWriter w(out);
  bool ok = w.u16(o.id) && w.u16(o.flags) && w.u16(1) && w.u16(0) && w.u16(0) &&
            w.u16(o.edns ? 1 : 0) && w.name(qname, false) && w.u16(qtype) && w.u16(rrclass::IN);
  if (ok && o.edns) {
    ok = w.u8(0) && w.u16(rrtype::OPT) && w.u16(o.udp_size) && w.u32(o.dnssec_ok ? 0x8000 : 0) &&
         w.u16(0);
  }
  return ok ? w.size() : 0;
}

}  // namespace flatns::dns
