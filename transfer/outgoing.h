// Outgoing zone transfers: AXFR (RFC 5936) and IXFR (RFC 1995) answered from
// a zone snapshot, with the `allow_transfer` ACL (transfer/acl.h) and TSIG
// (RFC 8945, dns/tsig.h).
//
// - AXFR over TCP is a stream of messages (at most message_size octets each,
//   names compressed within one message only), the SOA first and last
//   (RFC 5936 §2.2), every message signed when the request was (§5.3.1 of
//   RFC 8945). The stream holds its zone snapshot: a reload meanwhile does
//   not change what it sends.
// - IXFR: a client whose serial is not older than ours (RFC 1982) gets the
//   SOA alone. Otherwise, when the zone's journal (transfer/journal.h)
//   reaches back to the client's serial, the differences since then
//   (RFC 1995 §4); when it does not, the whole zone AXFR-style. Over UDP
//   the differences go out when they fit in one message, else the SOA
//   alone, which tells the client to ask over TCP (RFC 1995 §2).
// - AXFR over UDP is refused (RFC 5936 §4.2). A zone that is not ours, a
//   client no ACL entry allows: REFUSED. A bad signature: NOTAUTH with the
//   TSIG error (BADKEY/BADSIG/BADTRUNC unsigned, BADTIME signed, RFC 8945
//   §5.3.2); a malformed TSIG record: FORMERR. Each refusal comes back with
//   a log line naming zone, client and reason.
// - A client whose `allow_transfer` entry says `expand` gets the zone's
//   expanded view (ZoneTransferPolicy::expanded) instead of the zone as
//   written, AXFR-style for IXFR too.
//
// Not on the static query path: this allocates (the stream's buffers).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "dns/tsig.h"
#include "transfer/acl.h"
#include "transfer/journal.h"
#include "zones/zone_set.h"

namespace flatns::transfer {

// Largest message in a transfer stream (TSIG record included) unless the
// config's transfer.message_size says otherwise; like NSD's and Knot's,
// well under 64 KiB so that a slow link moves in small steps.
inline constexpr std::size_t kMaxMessage = 16384;

// Transfer settings of one zone.
struct ZoneTransferPolicy {
  dns::Name origin;
  std::vector<AclEntry> allow_transfer;  // empty: nobody may transfer the zone
  // A secondary zone: its primaries, from whom NOTIFY is accepted (the
  // prefixes are single addresses; a key, when given, must sign it).
  std::vector<AclEntry> notify_from;
  // Differences of recent versions, for incremental IXFR (null: none).
  std::shared_ptr<const Journal> journal;
  // What `allow_transfer` entries with `expand` get: the zone with each
  // flattened name's CNAME/ALIAS replaced by its flattened A/AAAA, under a
  // serial of its own (server/transfer_expand.h). Null while not built: such
  // clients get SERVFAIL and try again. It has no journal: an IXFR gets it
  // whole, AXFR-style (RFC 1995 §4), or the SOA alone when up to date.
  std::shared_ptr<const zones::Zone> expanded;
};

// What every worker answers transfers from; immutable, replaced on reload.
struct TransferPolicy {
  std::vector<dns::TsigKey> keys;
  std::vector<ZoneTransferPolicy> zones;
  bool any_expanded = false;  // some zone has an expanded view (soa_view)
  // Secondary zones past their SOA expire time without reaching a primary:
  // answered SERVFAIL (RFC 1035 §3.3.13) until a refresh succeeds.
  std::vector<const zones::Zone*> expired;
  [[nodiscard]] const ZoneTransferPolicy* zone(dns::NameView origin) const;
  // Outgoing streams: at most `max_outgoing` at once, counted in `outgoing`
  // (shared by every worker and kept across reloads; null: no limit), of
  // messages of at most `message_size` octets.
  uint32_t max_outgoing = 10;
  std::shared_ptr<std::atomic<uint32_t>> outgoing;
  std::size_t message_size = kMaxMessage;
  [[nodiscard]] bool is_expired(const zones::Zone* zone) const {
    for (const zones::Zone* z : expired) {
      if (z == zone) return true;
    }
    return false;
  }
};

// An answer that is sent as several messages, pulled as the socket drains.
class TransferStream {
 public:
  virtual ~TransferStream() = default;
  // Appends the next messages, each with its 2-octet TCP length prefix, to
  // `out` until about `budget` octets were added; false once nothing is
  // left (what was appended before still counts).
  virtual bool next(std::vector<uint8_t>& out, std::size_t budget) = 0;
};

struct TransferRequest {
  std::span<const uint8_t> query;
  const sockaddr* client = nullptr;
  std::string_view client_text;  // "192.0.2.1:5353", for log lines
  bool tcp = false;
  uint64_t now = 0;  // seconds since the epoch, for TSIG
};

struct TransferAnswer {
  std::size_t length = 0;                  // a single response in `out` (0: none)
  std::unique_ptr<TransferStream> stream;  // or a stream of messages (TCP)
  enum class LogLevel : uint8_t { None, Info, Warn } log_level = LogLevel::None;
  std::string log;                         // what happened, naming zone and client
};

// The zone an SOA query for `qname` in `zone` is answered from: the
// expanded view when `qname` is the apex and the first allow_transfer entry
// matching the client (and `key`, the TSIG key that signed the query, null
// if unsigned) says `expand` — so the foreign secondary's refresh sees the
// serial it transfers (RFC 1996 §3.11) — else `zone`. No allocation, no lock.
[[nodiscard]] const zones::Zone* soa_view(const TransferPolicy& policy, const zones::Zone& zone, dns::NameView qname,
                                          const sockaddr* client, const dns::Name* key);

// True when `query` asks for AXFR or IXFR (header and question only).
[[nodiscard]] bool is_transfer_query(std::span<const uint8_t> query);

// Answers an AXFR or IXFR query. `out` receives single responses (it should
// hold 65535 octets).
[[nodiscard]] TransferAnswer answer_transfer(const zones::ZoneSet& zones, const TransferPolicy& policy,
                                             const TransferRequest& request, std::span<uint8_t> out);

// Finishes a response of `length` octets in `out` to a request whose TSIG
// check was `check`: signed with the request's key when it verified,
// BADTIME signed with our time as other data, BADKEY/BADSIG/BADTRUNC with
// an unsigned error record (RFC 8945 §5.3.2); unchanged for an unsigned
// request. Returns the new length (0 when it does not fit).
[[nodiscard]] std::size_t finish_signed_response(std::span<uint8_t> out, std::size_t length,
                                                 const dns::TsigRequestCheck& check, uint64_t now);


}  // namespace flatns::transfer
