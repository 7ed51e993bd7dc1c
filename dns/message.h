// DNS messages: parsing a query (RFC 1035 §4.1, EDNS(0) RFC 6891, NSID RFC
// 5001) and building a response into a caller buffer with name compression,
// truncation (RFC 2181 §9: whole RRsets only, TC=1) and an OPT record carrying
// extended rcodes and Extended DNS Errors (RFC 8914).
//
// Nothing here allocates; both directions are used on the packet path.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dns/name.h"
#include "dns/rcode.h"
#include "dns/wire.h"

namespace flatns::dns {

namespace opcode {
inline constexpr uint8_t QUERY = 0, IQUERY = 1, STATUS = 2, NOTIFY = 4, UPDATE = 5;
}
namespace flag {  // bits of the second 16-bit header word
inline constexpr uint16_t QR = 0x8000, AA = 0x0400, TC = 0x0200, RD = 0x0100, RA = 0x0080,
                          AD = 0x0020, CD = 0x0010;
}
namespace edns_option {
inline constexpr uint16_t NSID = 3, COOKIE = 10, EDE = 15;
}

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr uint16_t kMinUdpPayload = 512;
// The EDNS(0) UDP payload size flatns advertises, in its answers and in the
// resolver's queries (DNS flag day 2020: no IP fragmentation).
inline constexpr uint16_t kEdnsPayloadSize = 1232;
// The largest DNS message: a TCP frame's 16-bit length (RFC 1035 §4.2.2).
inline constexpr std::size_t kMaxMessageSize = 65535;

enum class Section : uint8_t { Answer = 0, Authority = 1, Additional = 2 };

struct EdnsRequest {
  bool present = false;
  uint16_t udp_size = 0;  // as sent by the client (values below 512 are treated as 512)
  uint8_t version = 0;
  bool dnssec_ok = false;
  bool compact_ok = false;  // CO: compact answers OK (RFC 9824 §4)
  bool nsid = false;  // the client asked for our NSID
};

// parse_query resets every field one by one: a new field needs a line there.
struct Query {
  uint16_t id = 0;
  uint16_t flags = 0;  // the second header word as received
  uint8_t opcode = 0;
  bool has_question = false;
  NameBuffer qname;  // case as received
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  EdnsRequest edns;
  bool tsig = false;  // a TSIG record ends the message (dns/tsig.h checks it)
};

enum class QueryStatus : uint8_t {
  Ok,
  Drop,     // no response can or should be formed (short header, QR=1)
  FormErr,  // malformed: answer FORMERR
  NotImp,   // unsupported opcode
  BadVers,  // EDNS version above 0 (RFC 6891 §6.1.3)
};

// Parses header, question and the additional section (for OPT). Fields that
// could be read before an error are filled in, so a FORMERR can echo them.
[[nodiscard]] QueryStatus parse_query(std::span<const uint8_t> packet, Query& query);

// The question's name in a query as it arrived, or an empty view when the
// message has no single question with an uncompressed, well-formed name.
// A look ahead only (the receive batch's cache warming): it checks nothing
// else, and parse_query decides what the query gets.
[[nodiscard]] NameView question_name(std::span<const uint8_t> packet);

struct ExtendedError {
  uint16_t code = 0;
  std::string_view text;  // EXTRA-TEXT, may be empty
};

// Compression of owner names written one after another in canonical order
// (a zone transfer's records): each owner is written as the labels it does
// not share with the previous one and a pointer to the shared suffix, found
// by comparing the two names from the end, so an owner costs one comparison
// instead of a search of the message's names. Names are compared octet for
// octet (case kept as stored). One chain per message: reset() (or seed())
// when a message starts, since no pointer may reach into another message.
class OwnerChain {
 public:
  static constexpr std::size_t kMaxLabels = 128;  // a 255-octet name has at most 127
  void reset() { labels_ = 0; }
  // Starts from `name`, written uncompressed at `at` (e.g. the question at 12).
  void seed(NameView name, std::size_t at);

 private:
  friend class ResponseBuilder;
  // Where the previous owner's labels start in its wire form, leftmost
  // first, and for each suffix of d labels (d = 1 .. labels_) the message
  // offset of a label sequence spelling it (suffix_at_[d - 1]).
  std::array<uint8_t, kMaxLabels> label_at_;
  std::array<uint16_t, kMaxLabels> suffix_at_;
  std::array<uint8_t, 255> name_;
  std::size_t labels_ = 0;
};

class ResponseBuilder {
 public:
  explicit ResponseBuilder(std::span<uint8_t> out) : w_(out) {}

  // Starts a response to `q`: ID and opcode copied, QR set, RD and CD copied,
  // the question copied when it was parsed. `max_size` is the largest
  // response the transport allows (UDP payload size or 65535 for TCP).
  void start(const Query& q, std::size_t max_size);

  void set_rcode(uint16_t rc) { rcode_ = rc; }
  uint16_t rcode() const { return rcode_; }
  void set_aa(bool on) { set_flag(flag::AA, on); }
  void set_ad(bool on) { set_flag(flag::AD, on); }
  void set_tc() { set_flag(flag::TC, true); }
  bool truncated() const { return (flags_ & flag::TC) != 0; }
  void set_nsid(std::string_view nsid) { nsid_ = nsid; }
  // Copies the EXTRA-TEXT (cut to 255 octets) so callers may pass a temporary.
  void set_extended_error(ExtendedError ede) {
    const std::size_t n = ede.text.size() < ede_text_.size() ? ede.text.size() : ede_text_.size();
    for (std::size_t i = 0; i < n; ++i) ede_text_[i] = ede.text[i];
    ede_ = {ede.code, std::string_view(ede_text_.data(), n)};
    has_ede_ = true;
  }
  bool has_extended_error() const { return has_ede_; }
  ExtendedError extended_error() const { return ede_; }

  // Marks where an RRset starts, so a partial RRset can be removed.
  std::size_t mark() const { return w_.size(); }
  void rollback(std::size_t mark, Section s, uint16_t count_before);
  uint16_t count(Section s) const { return counts_[static_cast<int>(s)]; }

  // Appends one record; sections must be filled in order. False when it does
  // not fit (the partial record is removed).
  [[nodiscard]] bool add(Section s, NameView owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                         std::span<const uint8_t> rdata);

  // Appends a whole RRset of class IN: `count` records stored back to back
  // as RDLENGTH (two octets, network order) and RDATA, as on the wire. The
  // same records as add() one by one; when one does not fit, what was
  // written of the set is removed and the result is false. The common case
  // (owner = the question's name, RDATA without compressible names) is a
  // pointer, eight fixed octets and one copy per record.
  [[nodiscard]] bool add_rrset(Section s, NameView owner, uint16_t type, uint32_t ttl,
                               std::span<const uint8_t> records, uint16_t count);

  // add() for records in canonical order (a zone transfer), the owner
  // compressed through `chain` only (names in the RDATA as in add()).
  // `chain` moves on only when the record fits.
  [[nodiscard]] bool add_chained(Section s, OwnerChain& chain, NameView owner, uint16_t type, uint32_t ttl,
                                 std::span<const uint8_t> rdata);

  // Writes counts, flags, rcode and the OPT record; returns the length.
  std::size_t finish();

 private:
  void set_flag(uint16_t f, bool on) { flags_ = on ? (flags_ | f) : (flags_ & ~f); }
  bool is_qname(NameView owner) const;
  std::size_t opt_size() const;
  // A record is begun (the size limit set, room kept for the OPT record),
  // its owner written by the caller, then ended: type, class, TTL and RDATA,
  // or the whole record rolled back when anything did not fit.
  std::size_t begin_record();
  [[nodiscard]] bool end_record(std::size_t start, bool owner_written, Section s, uint16_t type,
                                uint16_t rclass, uint32_t ttl, std::span<const uint8_t> rdata);

  WireWriter w_;
  NameView qname_;  // the question's name, written at offset 12 (empty without a question)
  std::size_t max_size_ = 0;
  uint16_t flags_ = 0;
  uint16_t rcode_ = 0;
  uint16_t counts_[3] = {0, 0, 0};
  bool edns_ = false;
  bool dnssec_ok_ = false;
  bool has_ede_ = false;
  ExtendedError ede_;
  std::array<char, 255> ede_text_;  // [0, ede_.text.size()) set; not zero-filled per message
  std::string_view nsid_;
};

}  // namespace flatns::dns
