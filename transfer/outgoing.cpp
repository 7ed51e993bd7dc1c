#include "transfer/outgoing.h"

#include <algorithm>

#include "dns/message.h"
#include "dns/message_parser.h"
#include "dns/rcode.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "transfer/journal.h"
#include "zones/zone.h"

namespace flatns::transfer {
namespace {

// Room kept in every signed message for its TSIG record: owner and
// algorithm names, fixed fields, a 64-octet MAC and 6 octets of other data.
constexpr std::size_t kTsigRoom = 255 + 10 + 13 + 16 + 64 + 6 + 16;

dns::Query query_of(const dns::Message& m) {
  dns::Query q;
  q.id = m.id;
  q.flags = m.flags;
  q.opcode = static_cast<uint8_t>((m.flags >> 11) & 0xF);
  q.has_question = m.has_question;
  q.qname.assign(m.qname.wire());
  q.qtype = m.qtype;
  q.qclass = m.qclass;
  q.edns.present = m.has_edns;
  q.edns.udp_size = m.edns_udp_size;
  q.edns.version = m.edns_version;
  q.edns.dnssec_ok = m.dnssec_ok;
  return q;
}

// RFC 1982: is `a` at or after `b`?
bool serial_at_or_after(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }

const zones::RRset* apex_soa(const zones::Zone& zone) { return zone.rrset(zone.apex(), dns::rrtype::SOA); }

std::span<const uint8_t> first_record(const zones::Zone& zone, const zones::RRset& set) {
  std::span<const uint8_t> wire = zone.records(set).wire();
  const std::size_t length = static_cast<std::size_t>(wire[0]) << 8 | wire[1];
  return wire.subspan(2, length);
}

// Walks every record of a zone in canonical node order: RRsets, then the
// RRSIGs covering each. The apex SOA is left out (it opens and closes the
// transfer).
class RecordCursor {
 public:
  explicit RecordCursor(const zones::Zone& zone) : zone_(zone) { settle(); }

  bool done() const { return node_ >= zone_.nodes().size(); }
  dns::NameView owner() const { return zone_.name(zone_.node(static_cast<uint32_t>(node_))); }
  uint16_t type() const { return in_sigs_ ? dns::rrtype::RRSIG : set().type; }
  uint32_t ttl() const { return in_sigs_ ? zone_.sigs(set())->ttl : set().ttl; }
  std::span<const uint8_t> rdata() const {
    const std::span<const uint8_t> w = wire();
    const std::size_t length = static_cast<std::size_t>(w[offset_]) << 8 | w[offset_ + 1];
    return w.subspan(offset_ + 2, length);
  }
  void advance() {
    offset_ += 2 + rdata().size();
    if (offset_ < wire().size()) return;
    offset_ = 0;
    if (!in_sigs_ && zone_.sigs(set())) {
      in_sigs_ = true;
      return;
    }
    in_sigs_ = false;
    ++set_;
    settle();
  }

 private:
  const zones::RRset& set() const { return zone_.rrsets(zone_.node(static_cast<uint32_t>(node_)))[set_]; }
  std::span<const uint8_t> wire() const {
    return in_sigs_ ? zone_.records(*zone_.sigs(set())).wire() : zone_.records(set()).wire();
  }
  // Moves to the next RRset that holds records to send.
  void settle() {
    while (node_ < zone_.nodes().size()) {
      const zones::Node* node = zone_.node(static_cast<uint32_t>(node_));
      const auto sets = zone_.rrsets(node);
      if (set_ < sets.size()) {
        const zones::RRset& s = sets[set_];
        const bool skip = (node == zone_.apex() && s.type == dns::rrtype::SOA) || s.count == 0;
        if (!skip) return;
        if (s.count != 0 && zone_.sigs(s)) {  // the apex SOA's RRSIGs still go out
          in_sigs_ = true;
          return;
        }
        ++set_;
        continue;
      }
      ++node_;
      set_ = 0;
    }
  }

  const zones::Zone& zone_;
  std::size_t node_ = 0;
  std::size_t set_ = 0;
  std::size_t offset_ = 0;
  bool in_sigs_ = false;
};

// One record to send.
struct OutRecord {
  dns::NameView owner;
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::span<const uint8_t> rdata;
};

// The records of an AXFR: the SOA, every other record, the SOA again.
class AxfrSource {
 public:
  explicit AxfrSource(std::shared_ptr<const zones::Zone> zone) : zone_(std::move(zone)), cursor_(*zone_) {
    const zones::RRset* soa = apex_soa(*zone_);
    soa_ = {zone_->name(zone_->apex()), dns::rrtype::SOA, soa->ttl, first_record(*zone_, *soa)};
  }
  bool done() const { return phase_ == Phase::Done; }
  OutRecord current() const {
    if (phase_ != Phase::Body) return soa_;
    return {cursor_.owner(), cursor_.type(), cursor_.ttl(), cursor_.rdata()};
  }
  void advance() {
    switch (phase_) {
      case Phase::LeadingSoa: phase_ = cursor_.done() ? Phase::TrailingSoa : Phase::Body; break;
      case Phase::Body:
        cursor_.advance();
        if (cursor_.done()) phase_ = Phase::TrailingSoa;
        break;
      default: phase_ = Phase::Done; break;
    }
  }

 private:
  enum class Phase : uint8_t { LeadingSoa, Body, TrailingSoa, Done };
  std::shared_ptr<const zones::Zone> zone_;
  RecordCursor cursor_;
  OutRecord soa_;
  Phase phase_ = Phase::LeadingSoa;
};

// The records of an incremental IXFR (RFC 1995 §4): the newest SOA, then
// per difference the old SOA, what was removed, the new SOA, what was
// added; the newest SOA again.
class IxfrSource {
 public:
  IxfrSource(const zones::Zone& zone, std::span<const std::shared_ptr<const ZoneDiff>> diffs)
      : diffs_(diffs.begin(), diffs.end()) {
    const zones::RRset* soa = apex_soa(zone);
    append_journal_record(current_soa_, zone.name(zone.apex()), dns::rrtype::SOA, soa->ttl,
                          first_record(zone, *soa));
    segments_.push_back(current_soa_);
    for (const auto& d : diffs_) {
      segments_.push_back(d->old_soa);
      segments_.push_back(d->removed);
      segments_.push_back(d->new_soa);
      segments_.push_back(d->added);
    }
    segments_.push_back(current_soa_);
    settle();
  }
  bool done() const { return segment_ >= segments_.size(); }
  OutRecord current() const { return {record_.owner, record_.type, record_.ttl, record_.rdata}; }
  void advance() {
    pos_ = next_;
    settle();
  }

 private:
  void settle() {
    while (segment_ < segments_.size() && pos_ >= segments_[segment_].size()) {
      ++segment_;
      pos_ = 0;
    }
    if (segment_ < segments_.size()) {
      next_ = pos_;
      record_ = read_journal_record(segments_[segment_], next_);
    }
  }

  std::vector<std::shared_ptr<const ZoneDiff>> diffs_;
  std::vector<uint8_t> current_soa_;
  std::vector<std::span<const uint8_t>> segments_;
  std::size_t segment_ = 0;
  std::size_t pos_ = 0;
  std::size_t next_ = 0;
  JournalRecord record_;
};

// Adds records from `source` until the message is full or the source is
// done; false when not even one record fitted. Owners are compressed
// against the previous owner only (dns::OwnerChain), starting from the
// question's name when the message has one: records come in zone order, so
// this finds what a search of the message would, at a fraction of its cost.
template <typename Source>
bool fill_message(dns::ResponseBuilder& rb, Source& source, const dns::Query& q) {
  dns::OwnerChain chain;
  if (q.has_question) {
    chain.seed(q.qname.view(), dns::kHeaderSize);
  } else {
    chain.reset();
  }
  bool any = false;
  while (!source.done()) {
    const OutRecord r = source.current();
    if (!rb.add_chained(dns::Section::Answer, chain, r.owner, r.type, r.ttl, r.rdata)) return any;
    source.advance();
    any = true;
  }
  return true;
}

template <typename Source>
class MessageStream final : public TransferStream {
 public:
  MessageStream(Source source, const dns::Query& query, const dns::TsigKey* key, std::span<const uint8_t> request_mac,
                uint64_t now, std::size_t message_size, std::shared_ptr<std::atomic<uint32_t>> slot)
      : source_(std::move(source)), query_(query), now_(now), message_size_(message_size), slot_(std::move(slot)),
        buffer_(message_size) {
    if (key) {
      key_ = *key;
      signer_ = std::make_unique<dns::TsigSigner>(key_, request_mac);
    }
  }

  ~MessageStream() override {
    if (slot_) slot_->fetch_sub(1, std::memory_order_relaxed);
  }
  MessageStream(const MessageStream&) = delete;
  MessageStream& operator=(const MessageStream&) = delete;

  bool next(std::vector<uint8_t>& out, std::size_t budget) override {
    std::size_t added = 0;
    while (!source_.done() && added < budget) {
      const std::size_t n = build_message();
      if (n == 0) {  // cannot happen with a well-formed zone; end rather than loop
        ended_ = true;
        break;
      }
      out.push_back(static_cast<uint8_t>(n >> 8));
      out.push_back(static_cast<uint8_t>(n));
      out.insert(out.end(), buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n));
      added += 2 + n;
    }
    return !ended_ && !source_.done();
  }

 private:
  std::size_t build_message() {
    dns::Query q = query_;
    q.has_question = first_message_;  // RFC 5936 §2.2.1: the question in the first message
    const std::size_t room = signer_ ? kTsigRoom : 0;
    // A record too big for message_size gets a message of its own, up to 64 KiB.
    std::size_t limit = std::max(message_size_, room + 512) - room;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (buffer_.size() < limit + room) buffer_.resize(limit + room);
      dns::ResponseBuilder rb(buffer_);
      rb.start(q, limit);
      rb.set_aa(true);
      if (!fill_message(rb, source_, q) && rb.count(dns::Section::Answer) == 0) {
        limit = 65535 - room;
        continue;
      }
      std::size_t n = rb.finish();
      if (signer_) n = signer_->sign(buffer_, n, now_);
      first_message_ = false;
      return n;
    }
    return 0;
  }

  Source source_;
  dns::Query query_;
  uint64_t now_;
  std::size_t message_size_;
  std::shared_ptr<std::atomic<uint32_t>> slot_;  // the count of streams this one is in
  dns::TsigKey key_;
  std::unique_ptr<dns::TsigSigner> signer_;
  std::vector<uint8_t> buffer_;
  bool first_message_ = true;
  bool ended_ = false;
};

struct Context {
  const TransferRequest& request;
  std::span<uint8_t> out;
  dns::Query query;
  dns::TsigRequestCheck tsig;
  std::string what;  // "AXFR example.com. from 192.0.2.1:5353"
};

// A single response (rcode and optionally the SOA), signed when the request was.
std::size_t single_response(Context& c, uint16_t rcode, const zones::Zone* soa_of) {
  dns::ResponseBuilder rb(c.out);
  const std::size_t room = c.tsig.key ? kTsigRoom : 0;
  rb.start(c.query, (c.request.tcp ? 65535 : 512) - room);
  rb.set_rcode(rcode);
  if (soa_of) {
    rb.set_aa(true);
    const zones::RRset* soa = apex_soa(*soa_of);
    (void)rb.add(dns::Section::Answer, soa_of->name(soa_of->apex()), dns::rrtype::SOA, dns::rrclass::IN, soa->ttl,
                 first_record(*soa_of, *soa));
  }
  return finish_signed_response(c.out, rb.finish(), c.tsig, c.request.now);
}

TransferAnswer refuse(Context& c, uint16_t rcode, std::string reason) {
  TransferAnswer a;
  a.length = single_response(c, rcode, nullptr);
  a.log_level = TransferAnswer::LogLevel::Warn;
  a.log = c.what + " refused (" + dns::rcode_to_text(rcode) + "): " + std::move(reason);
  return a;
}

// One more outgoing stream, unless transfer.max_outgoing are running.
bool take_slot(const TransferPolicy& policy) {
  if (!policy.outgoing) return true;
  if (policy.outgoing->fetch_add(1, std::memory_order_relaxed) < policy.max_outgoing) return true;
  policy.outgoing->fetch_sub(1, std::memory_order_relaxed);
  return false;
}

// SERVFAIL, as BIND answers past transfers-out: the secondary tries again later.
TransferAnswer busy(Context& c, const TransferPolicy& policy) {
  return refuse(c, dns::rcode::SERVFAIL,
                "transfer.max_outgoing (" + std::to_string(policy.max_outgoing) + ") transfers in progress");
}

// RFC 1995 §2: an IXFR over UDP gets the differences when they fit in one
// message, else 0 (the caller sends the SOA alone, which sends the client
// to TCP).
std::size_t incremental_over_udp(Context& c, const zones::Zone& zone,
                                 std::span<const std::shared_ptr<const ZoneDiff>> diffs) {
  IxfrSource source(zone, diffs);
  // This key's TSIG record exactly (a datagram has little room to spare).
  const dns::TsigKey* key = c.tsig.key;
  const std::size_t room = key ? key->name.wire().size() + 10 + dns::tsig_algorithm_name(key->algorithm).size() +
                                     16 + dns::tsig_mac_size(key->algorithm) + 6
                               : 0;
  const std::size_t size = c.query.edns.present ? std::clamp<std::size_t>(c.query.edns.udp_size, 512, 4096) : 512;
  if (size <= room + 12) return 0;
  dns::ResponseBuilder rb(c.out);
  rb.start(c.query, size - room);
  rb.set_aa(true);
  if (!fill_message(rb, source, c.query) || !source.done()) return 0;
  return finish_signed_response(c.out, rb.finish(), c.tsig, c.request.now);
}

}  // namespace

std::size_t finish_signed_response(std::span<uint8_t> out, std::size_t n, const dns::TsigRequestCheck& check,
                                   uint64_t now) {
  switch (check.status) {
    case dns::TsigStatus::Ok: {
      dns::TsigSigner signer(*check.key, check.record.mac);
      return signer.sign(out, n, now);
    }
    case dns::TsigStatus::BadTime: {  // signed, with our time as other data
      const uint8_t now48[6] = {static_cast<uint8_t>(now >> 40), static_cast<uint8_t>(now >> 32),
                                static_cast<uint8_t>(now >> 24), static_cast<uint8_t>(now >> 16),
                                static_cast<uint8_t>(now >> 8),  static_cast<uint8_t>(now)};
      dns::TsigSigner signer(*check.key, check.record.mac);
      return signer.sign(out, n, check.record.time_signed, dns::rcode::BADTIME, now48);
    }
    case dns::TsigStatus::BadKey:
    case dns::TsigStatus::BadSig:
    case dns::TsigStatus::BadTrunc:
      return dns::append_tsig_error(out, n, check.record, dns::tsig_error_code(check.status));
    default:
      return n;
  }
}

const ZoneTransferPolicy* TransferPolicy::zone(dns::NameView origin) const {
  for (const auto& z : zones) {
    if (dns::name_equal(z.origin.wire(), origin)) return &z;
  }
  return nullptr;
}

const zones::Zone* soa_view(const TransferPolicy& policy, const zones::Zone& zone, dns::NameView qname,
                            const sockaddr* client, const dns::Name* key) {
  if (!dns::name_equal(zone.origin().wire(), qname)) return &zone;
  const ZoneTransferPolicy* z = policy.zone(zone.origin().wire());
  if (!z || !z->expanded) return &zone;
  const AclEntry* allowed = match_acl(z->allow_transfer, client, key);
  return allowed && allowed->expand ? z->expanded.get() : &zone;
}

bool is_transfer_query(std::span<const uint8_t> query) {
  dns::WireReader r(query);
  uint16_t id, flags, qdcount;
  if (!r.u16(id) || !r.u16(flags) || !r.u16(qdcount) || !r.skip(6) || qdcount != 1) return false;
  if (flags & dns::flag::QR) return false;
  dns::NameBuffer name;
  uint16_t qtype;
  if (!r.name(name) || !r.u16(qtype)) return false;
  return qtype == dns::rrtype::AXFR || qtype == dns::rrtype::IXFR;
}

TransferAnswer answer_transfer(const zones::ZoneSet& zones, const TransferPolicy& policy,
                               const TransferRequest& request, std::span<uint8_t> out) {
  dns::Message message;
  std::string problem;
  Context c{request, out, {}, {}, {}};
  if (!dns::parse_message(request.query, message, problem) || !message.has_question) {
    // Echo what can be read: the header (ID, opcode) and no question.
    dns::Query q;
    if (dns::parse_query(request.query, q) == dns::QueryStatus::Drop) return {};
    q.has_question = false;
    c.query = q;
    c.what = "transfer query from " + std::string(request.client_text);
    c.tsig.status = dns::TsigStatus::Unsigned;
    return refuse(c, dns::rcode::FORMERR, "malformed: " + (problem.empty() ? "no question" : problem));
  }
  c.query = query_of(message);
  c.what = dns::type_to_text(message.qtype) + " " + message.qname.to_text() + " from " +
           std::string(request.client_text);
  c.tsig = dns::verify_tsig_request(request.query, policy.keys, request.now);
  switch (c.tsig.status) {
    case dns::TsigStatus::FormErr:
      c.tsig.status = dns::TsigStatus::Unsigned;
      return refuse(c, dns::rcode::FORMERR, "malformed TSIG record");
    case dns::TsigStatus::BadKey:
    case dns::TsigStatus::BadSig:
    case dns::TsigStatus::BadTime:
    case dns::TsigStatus::BadTrunc:
      return refuse(c, dns::rcode::NOTAUTH,
                    "TSIG key " + dns::name_to_text(c.tsig.record.key_name) + ": " +
                        std::string(dns::tsig_status_text(c.tsig.status)));
    default:
      break;
  }
  const std::string signed_with = c.tsig.key ? " (TSIG key " + c.tsig.key->name.to_text() + ")" : " (unsigned)";
  if (message.qclass != dns::rrclass::IN) return refuse(c, dns::rcode::REFUSED, "class is not IN");
  std::shared_ptr<const zones::Zone> zone = zones.find_exact(message.qname);
  if (!zone) return refuse(c, dns::rcode::REFUSED, "not a zone served here");
  const ZoneTransferPolicy* zone_policy = policy.zone(zone->origin().wire());
  const AclEntry* allowed = zone_policy ? match_acl(zone_policy->allow_transfer, request.client,
                                                    c.tsig.key ? &c.tsig.key->name : nullptr)
                                        : nullptr;
  if (!allowed) return refuse(c, dns::rcode::REFUSED, "no allow_transfer entry matches" + signed_with);
  const bool expand = allowed->expand;
  if (expand) {
    if (!zone_policy->expanded) {
      return refuse(c, dns::rcode::SERVFAIL, "the expanded view (expand: true) is not built yet; try again");
    }
    zone = zone_policy->expanded;
    c.what += " (expanded view)";
  }
  const bool ixfr = message.qtype == dns::rrtype::IXFR;
  if (!ixfr && !request.tcp) return refuse(c, dns::rcode::REFUSED, "AXFR over UDP (RFC 5936 4.2)");

  TransferAnswer a;
  a.log_level = TransferAnswer::LogLevel::Info;
  if (ixfr) {
    // RFC 1995 §3: the client's SOA is in the authority section.
    const dns::ResourceRecord* client_soa = nullptr;
    for (const auto& rr : message.authority) {
      if (rr.type == dns::rrtype::SOA) client_soa = &rr;
    }
    if (!client_soa || client_soa->rdata.size() < 20 || !(client_soa->owner == zone->origin())) {
      return refuse(c, dns::rcode::FORMERR, "IXFR without the zone's SOA in the authority section");
    }
    const uint32_t client_serial = dns::soa_numbers(client_soa->rdata)->serial;  // size checked above
    const std::string serials = ": serial " + std::to_string(client_serial) + ", ours " + std::to_string(zone->serial());
    if (serial_at_or_after(client_serial, zone->serial())) {
      a.length = single_response(c, dns::rcode::NOERROR, zone.get());
      a.log = c.what + signed_with + serials + ": up to date, SOA only";
      return a;
    }
    const Journal* journal = expand ? nullptr : zone_policy->journal.get();
    const auto diffs = journal && !journal->diffs().empty() && journal->diffs().back()->to == zone->serial()
                           ? journal->since(client_serial)
                           : std::span<const std::shared_ptr<const ZoneDiff>>{};
    if (!request.tcp) {
      if (!diffs.empty() && (a.length = incremental_over_udp(c, *zone, diffs)) != 0) {
        a.log = c.what + signed_with + serials + ": incremental over UDP, " + std::to_string(diffs.size()) +
                " differences";
        return a;
      }
      a.length = single_response(c, dns::rcode::NOERROR, zone.get());
      a.log = c.what + signed_with + serials + ": SOA only over UDP (ask over TCP)";
      return a;
    }
    if (!diffs.empty()) {
      std::size_t removed = 0, added = 0;
      for (const auto& d : diffs) {
        removed += d->removed_count;
        added += d->added_count;
      }
      if (!take_slot(policy)) return busy(c, policy);
      a.stream = std::make_unique<MessageStream<IxfrSource>>(IxfrSource(*zone, diffs), c.query, c.tsig.key,
                                                             c.tsig.record.mac, request.now, policy.message_size,
                                                             policy.outgoing);
      a.log = c.what + signed_with + serials + ": incremental, " + std::to_string(diffs.size()) +
              " differences, " + std::to_string(removed) + " records removed, " + std::to_string(added) + " added";
      return a;
    }
  }
  if (!take_slot(policy)) return busy(c, policy);
  a.stream = std::make_unique<MessageStream<AxfrSource>>(AxfrSource(zone), c.query, c.tsig.key, c.tsig.record.mac,
                                                         request.now, policy.message_size, policy.outgoing);
  a.log = c.what + signed_with + ": " + (ixfr ? "whole zone (history does not reach the serial asked), " : "") +
          "serial " + std::to_string(zone->serial()) + ", " + std::to_string(zone->record_count()) + " records";
  return a;
}

}  // namespace flatns::transfer
