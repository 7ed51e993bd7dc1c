#include "dns/message.h"

#include <algorithm>
#include <cstring>

#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace flatns::dns {

namespace {

// Skips one resource record; when it is an OPT record, records what the
// client asked for. Returns false on malformed input.
bool read_additional_record(WireReader& r, Query& q, bool& seen_opt) {
  NameBuffer owner;
  uint16_t type, rclass, rdlength;
  uint32_t ttl;
  if (!r.name(owner) || !r.u16(type) || !r.u16(rclass) || !r.u32(ttl) || !r.u16(rdlength)) {
    return false;
  }
  std::span<const uint8_t> rdata;
  if (!r.bytes(rdlength, rdata)) return false;
  if (type == 250) q.tsig = true;  // TSIG (RFC 8945); verified by whoever answers signed queries
  if (type != rrtype::OPT) return true;
  // RFC 6891 §6.1.1: one OPT, owned by the root.
  if (seen_opt || owner.length != 1) return false;
  seen_opt = true;
  q.edns.present = true;
  q.edns.udp_size = rclass < kMinUdpPayload ? kMinUdpPayload : rclass;
  q.edns.version = static_cast<uint8_t>(ttl >> 16);
  q.edns.dnssec_ok = (ttl & 0x8000) != 0;
  q.edns.compact_ok = (ttl & 0x4000) != 0;
  WireReader opts(rdata);
  while (opts.remaining() > 0) {
    uint16_t code, len;
    std::span<const uint8_t> value;
    if (!opts.u16(code) || !opts.u16(len) || !opts.bytes(len, value)) return false;
    if (code == edns_option::NSID) q.edns.nsid = true;
  }
  return true;
}

// Types whose RDATA holds no name that RFC 3597 §4 allows to compress:
// copied as they are, without rdata_write's walk over the fields.
bool has_no_compressible_name(uint16_t type) {
  switch (type) {
    case rrtype::A:
    case rrtype::AAAA:
    case rrtype::TXT:
    case rrtype::DS:
    case rrtype::RRSIG:
    case rrtype::NSEC:
    case rrtype::DNSKEY:
    case rrtype::NSEC3:
    case rrtype::NSEC3PARAM:
      return true;
    default:
      return false;
  }
}

}  // namespace

NameView question_name(std::span<const uint8_t> packet) {
  constexpr std::size_t kQdcountOffset = 4;
  if (packet.size() <= kHeaderSize || packet[kQdcountOffset] != 0 || packet[kQdcountOffset + 1] != 1) return {};
  std::size_t pos = kHeaderSize;
  while (pos < packet.size()) {
    const std::size_t label = packet[pos];
    if (label == 0) {
      const std::size_t length = pos + 1 - kHeaderSize;
      if (length > kMaxNameLength) return {};
      return packet.subspan(kHeaderSize, length);
    }
    if (label > kMaxLabelLength) return {};  // a compression pointer or a reserved label type
    pos += 1 + label;
  }
  return {};
}

QueryStatus parse_query(std::span<const uint8_t> packet, Query& q) {
  // Field by field rather than `q = Query{}`: the name's 255 octets need no clearing.
  q.id = 0;
  q.flags = 0;
  q.opcode = 0;
  q.has_question = false;
  q.qname.length = 0;
  q.qtype = 0;
  q.qclass = 0;
  q.edns = EdnsRequest{};
  q.tsig = false;
  WireReader r(packet);
  uint16_t qdcount, ancount, nscount, arcount;
  if (!r.u16(q.id) || !r.u16(q.flags) || !r.u16(qdcount) || !r.u16(ancount) || !r.u16(nscount) ||
      !r.u16(arcount)) {
    return QueryStatus::Drop;
  }
  if (q.flags & flag::QR) return QueryStatus::Drop;
  q.opcode = static_cast<uint8_t>((q.flags >> 11) & 0xF);
  if (qdcount == 1) {
    if (r.name(q.qname) && r.u16(q.qtype) && r.u16(q.qclass)) q.has_question = true;
  }
  if (q.opcode != opcode::QUERY) return QueryStatus::NotImp;
  if (qdcount != 1 || !q.has_question) return QueryStatus::FormErr;
  if (ancount != 0 || nscount != 0) return QueryStatus::FormErr;
  bool seen_opt = false;
  for (uint16_t i = 0; i < arcount; ++i) {
    if (!read_additional_record(r, q, seen_opt)) return QueryStatus::FormErr;
  }
  if (r.remaining() != 0) return QueryStatus::FormErr;
  if (q.edns.present && q.edns.version > 0) return QueryStatus::BadVers;
  return QueryStatus::Ok;
}

void ResponseBuilder::start(const Query& q, std::size_t max_size) {
  w_.rollback(0);
  max_size_ = max_size;
  edns_ = q.edns.present;
  dnssec_ok_ = q.edns.dnssec_ok;
  flags_ = static_cast<uint16_t>(flag::QR | (q.flags & (0x7800 | flag::RD | flag::CD)));
  rcode_ = rcode::NOERROR;
  counts_[0] = counts_[1] = counts_[2] = 0;
  has_ede_ = false;
  nsid_ = {};
  w_.set_limit(SIZE_MAX);
  // The header in one write; flags and counts are filled in by finish().
  const uint8_t header[kHeaderSize] = {static_cast<uint8_t>(q.id >> 8), static_cast<uint8_t>(q.id), 0, 0, 0,
                                       q.has_question ? uint8_t{1} : uint8_t{0}, 0, 0, 0, 0, 0, 0};
  w_.bytes(header);
  qname_ = {};
  if (q.has_question) {
    qname_ = q.qname.view();
    w_.uncompressed_name(qname_);
    const uint8_t type_class[4] = {static_cast<uint8_t>(q.qtype >> 8), static_cast<uint8_t>(q.qtype),
                                   static_cast<uint8_t>(q.qclass >> 8), static_cast<uint8_t>(q.qclass)};
    w_.bytes(type_class);
  }
  // Records must leave room for the OPT record written by finish().
  w_.set_limit(max_size_);
}

std::size_t ResponseBuilder::opt_size() const {
  if (!edns_) return 0;
  std::size_t n = 11;
  if (!nsid_.empty()) n += 4 + nsid_.size();
  if (has_ede_) n += 6 + ede_.text.size();
  return n;
}

void ResponseBuilder::rollback(std::size_t mark, Section s, uint16_t count_before) {
  w_.rollback(mark);
  counts_[static_cast<int>(s)] = count_before;
}

bool ResponseBuilder::is_qname(NameView owner) const {
  return !qname_.empty() && owner.size() == qname_.size() &&
         (owner.data() == qname_.data() || std::memcmp(owner.data(), qname_.data(), owner.size()) == 0);
}

std::size_t ResponseBuilder::begin_record() {
  const std::size_t reserve = opt_size();
  w_.set_limit(max_size_ > reserve ? max_size_ - reserve : 0);
  return w_.size();
}

bool ResponseBuilder::end_record(std::size_t start, bool owner_written, Section s, uint16_t type, uint16_t rclass,
                                 uint32_t ttl, std::span<const uint8_t> rdata) {
  bool ok = owner_written && w_.u16(type) && w_.u16(rclass) && w_.u32(ttl);
  const std::size_t rdlength_at = w_.size();
  ok = ok && w_.u16(0) && (has_no_compressible_name(type) ? w_.bytes(rdata) : rdata_write(type, rdata, w_));
  if (!ok) {
    w_.rollback(start);
    return false;
  }
  w_.put_u16_at(rdlength_at, static_cast<uint16_t>(w_.size() - rdlength_at - 2));
  ++counts_[static_cast<int>(s)];
  return true;
}

bool ResponseBuilder::add(Section s, NameView owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                          std::span<const uint8_t> rdata) {
  const std::size_t start = begin_record();
  // Most owners are the question's name: point at it without searching.
  const bool owner_written = is_qname(owner) ? w_.pointer(kHeaderSize) : w_.name(owner);
  return end_record(start, owner_written, s, type, rclass, ttl, rdata);
}

namespace {

// Label starts of a well-formed uncompressed name, leftmost first; the count.
std::size_t label_starts(NameView name, std::array<uint8_t, OwnerChain::kMaxLabels>& at) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < name.size() && name[i] != 0 && n < at.size(); i += 1 + name[i]) {
    at[n++] = static_cast<uint8_t>(i);
  }
  return n;
}

}  // namespace

void OwnerChain::seed(NameView name, std::size_t at) {
  labels_ = label_starts(name, label_at_);
  std::memcpy(name_.data(), name.data(), std::min(name.size(), name_.size()));
  for (std::size_t d = 1; d <= labels_; ++d) {
    suffix_at_[d - 1] = static_cast<uint16_t>(at + label_at_[labels_ - d]);
  }
}

bool ResponseBuilder::add_chained(Section s, OwnerChain& chain, NameView owner, uint16_t type, uint32_t ttl,
                                  std::span<const uint8_t> rdata) {
  std::array<uint8_t, OwnerChain::kMaxLabels> at;
  const std::size_t n = label_starts(owner, at);
  // The labels shared with the previous owner, counted from the root: each
  // one compared once, since the suffix below it already matched.
  std::size_t shared = 0;
  while (shared < n && shared < chain.labels_) {
    const uint8_t* mine = owner.data() + at[n - 1 - shared];
    const uint8_t* theirs = chain.name_.data() + chain.label_at_[chain.labels_ - 1 - shared];
    if (mine[0] != theirs[0] || std::memcmp(mine + 1, theirs + 1, mine[0]) != 0) break;
    ++shared;
  }
  // A pointer reaches the first 16 KiB of a message only.
  while (shared > 0 && chain.suffix_at_[shared - 1] >= 0x4000) --shared;
  const std::size_t start = begin_record();
  const bool owner_written = shared > 0 ? w_.bytes(owner.first(at[n - shared])) &&
                                              w_.pointer(chain.suffix_at_[shared - 1])
                                        : w_.bytes(owner);
  if (!end_record(start, owner_written, s, type, rrclass::IN, ttl, rdata)) return false;
  // The suffixes of more than `shared` labels are now spelled out at `start`.
  for (std::size_t d = shared + 1; d <= n; ++d) {
    chain.suffix_at_[d - 1] = static_cast<uint16_t>(std::min<std::size_t>(start + at[n - d], 0xFFFF));
  }
  chain.labels_ = n;
  chain.label_at_ = at;
  std::memcpy(chain.name_.data(), owner.data(), std::min(owner.size(), chain.name_.size()));
  return true;
}

bool ResponseBuilder::add_rrset(Section s, NameView owner, uint16_t type, uint32_t ttl,
                                std::span<const uint8_t> records, uint16_t count) {
  const std::size_t start = w_.size();
  const uint16_t before = counts_[static_cast<int>(s)];
  if (has_no_compressible_name(type) && is_qname(owner)) {
    const std::size_t reserve = opt_size();
    w_.set_limit(max_size_ > reserve ? max_size_ - reserve : 0);
    // Each record adds the owner pointer, TYPE, CLASS and TTL to what is stored.
    uint8_t* out = w_.claim(records.size() + std::size_t{10} * count);
    if (!out) {
      w_.rollback(start);
      return false;
    }
    const uint8_t fixed[10] = {0xC0,
                               static_cast<uint8_t>(kHeaderSize),
                               static_cast<uint8_t>(type >> 8),
                               static_cast<uint8_t>(type),
                               0,
                               static_cast<uint8_t>(rrclass::IN),
                               static_cast<uint8_t>(ttl >> 24),
                               static_cast<uint8_t>(ttl >> 16),
                               static_cast<uint8_t>(ttl >> 8),
                               static_cast<uint8_t>(ttl)};
    const uint8_t* in = records.data();
    for (uint16_t i = 0; i < count; ++i) {
      const std::size_t stored = 2 + (static_cast<std::size_t>(in[0]) << 8 | in[1]);
      std::memcpy(out, fixed, sizeof fixed);
      std::memcpy(out + sizeof fixed, in, stored);
      out += sizeof fixed + stored;
      in += stored;
    }
    counts_[static_cast<int>(s)] = static_cast<uint16_t>(before + count);
    return true;
  }
  std::size_t pos = 0;
  for (uint16_t i = 0; i < count; ++i) {
    const std::size_t length = static_cast<std::size_t>(records[pos]) << 8 | records[pos + 1];
    if (!add(s, owner, type, rrclass::IN, ttl, records.subspan(pos + 2, length))) {
      rollback(start, s, before);
      return false;
    }
    pos += 2 + length;
  }
  return true;
}

std::size_t ResponseBuilder::finish() {
  w_.set_limit(max_size_);
  if (edns_) {
    // An EDE text longer than what fits is dropped rather than the OPT record.
    if (w_.size() + opt_size() > max_size_) has_ede_ = false;
    if (w_.size() + opt_size() > max_size_) nsid_ = {};
    const std::size_t opt_start = w_.size();
    std::size_t rdlen = opt_size() - 11;
    bool ok = w_.u8(0) && w_.u16(rrtype::OPT) && w_.u16(kEdnsPayloadSize) &&
              w_.u8(static_cast<uint8_t>(rcode_ >> 4)) && w_.u8(0) &&
              w_.u16(dnssec_ok_ ? 0x8000 : 0) && w_.u16(static_cast<uint16_t>(rdlen));
    if (ok && !nsid_.empty()) {
      ok = w_.u16(edns_option::NSID) && w_.u16(static_cast<uint16_t>(nsid_.size())) &&
           w_.bytes({reinterpret_cast<const uint8_t*>(nsid_.data()), nsid_.size()});
    }
    if (ok && has_ede_) {
      ok = w_.u16(edns_option::EDE) && w_.u16(static_cast<uint16_t>(2 + ede_.text.size())) &&
           w_.u16(ede_.code) &&
           w_.bytes({reinterpret_cast<const uint8_t*>(ede_.text.data()), ede_.text.size()});
    }
    if (ok) {
      ++counts_[2];
    } else {
      w_.rollback(opt_start);
    }
  }
  const uint16_t header_flags = static_cast<uint16_t>(flags_ | (rcode_ & 0xF));
  w_.put_u16_at(2, header_flags);
  w_.put_u16_at(6, counts_[0]);
  w_.put_u16_at(8, counts_[1]);
  w_.put_u16_at(10, counts_[2]);
  return w_.size();
}

}  // namespace flatns::dns
