// The IXFR journal (transfer/journal.h) kept across restarts, in a file
// beside the zone file, as Knot keeps its journal and BIND its .jnl.
//
// The file holds the zone's origin, the differences oldest first and a
// digest of the newest version's records, under a checksum. It is read
// back only when all of it holds: the format and checksum, the origin,
// differences that chain (each `from` the previous `to`) and whose records
// parse, the newest serial equal to the zone served, and the digest equal
// to the digest of the zone served — a zone file edited while the server
// was down (same serial or not) does not match, so an IXFR is never
// answered from a history that does not end at what is served. Anything
// else is ignored (the caller logs it, naming the file) and the journal
// starts afresh. The bounds (journal_depth, journal_size) apply on reading
// as on appending. Encoding and decoding only; the server does the I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dns/name.h"
#include "transfer/journal.h"

namespace flatns::zones {
class Zone;
}

namespace flatns::transfer {

// A 64-bit digest of every record of `zone` (names, types, TTLs, RDATA,
// the SOA and RRSIGs included), in canonical order.
[[nodiscard]] uint64_t zone_digest(const zones::Zone& zone);

// The file's bytes for `journal` of the zone `origin`, whose newest
// version has `digest`.
[[nodiscard]] std::vector<uint8_t> encode_journal_file(const dns::Name& origin, const Journal& journal,
                                                       uint64_t digest);

// The journal in `bytes` when it belongs to `zone` as served (see above);
// null with `error` saying why not.
[[nodiscard]] std::shared_ptr<const Journal> decode_journal_file(std::span<const uint8_t> bytes,
                                                                 const zones::Zone& zone, uint64_t digest,
                                                                 const JournalLimits& limits, std::string& error);

}  // namespace flatns::transfer
