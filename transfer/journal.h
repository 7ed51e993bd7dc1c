// The journal of a zone's differences, for IXFR out (RFC 1995 §4).
//
// When a reload (or an incoming transfer) replaces a zone snapshot with one
// of a newer serial, the two snapshots are compared record by record in
// canonical order (like Knot's `zonefile-load: difference` and BIND's
// `ixfr-from-differences`) and the difference is appended to the zone's
// journal. A journal is immutable: each change makes a new one that shares
// the older differences, so a transfer in progress keeps what it read.
//
// Bounds: at most `max_depth` differences and `max_bytes` octets of
// records; the oldest go first. A serial that does not move forward (RFC
// 1982) or content changed without a new serial starts the journal afresh:
// a client older than what is kept gets the zone AXFR-style.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dns/message_parser.h"
#include "dns/name.h"

namespace flatns::zones {
class Zone;
}

namespace flatns::transfer {

// Records are kept as [owner, uncompressed wire][type u16][ttl u32]
// [rdlength u16][rdata], back to back (class IN).
struct ZoneDiff {
  uint32_t from = 0;  // serial before
  uint32_t to = 0;    // serial after
  std::vector<uint8_t> old_soa;
  std::vector<uint8_t> new_soa;
  std::vector<uint8_t> removed;
  std::vector<uint8_t> added;
  std::size_t removed_count = 0;
  std::size_t added_count = 0;
  std::size_t bytes() const { return old_soa.size() + new_soa.size() + removed.size() + added.size(); }
};

struct JournalLimits {
  std::size_t max_depth = 20;         // differences kept; 0: no journal
  std::size_t max_bytes = 16u << 20;  // octets of records kept
};

class Journal {
 public:
  // Oldest first; each one's `from` is the previous one's `to`.
  const std::vector<std::shared_ptr<const ZoneDiff>>& diffs() const { return diffs_; }
  std::size_t bytes() const { return bytes_; }
  // The differences from `serial` to the newest, or an empty span when the
  // history does not reach back to `serial`.
  [[nodiscard]] std::span<const std::shared_ptr<const ZoneDiff>> since(uint32_t serial) const;

  // A journal with `diff` appended to `previous` (which may be null), the
  // oldest differences dropped to stay within `limits`. Null when nothing
  // is to be kept.
  [[nodiscard]] static std::shared_ptr<const Journal> append(const Journal* previous,
                                                             std::shared_ptr<const ZoneDiff> diff,
                                                             const JournalLimits& limits);

 private:
  std::vector<std::shared_ptr<const ZoneDiff>> diffs_;
  std::size_t bytes_ = 0;
};

// The difference between two versions of a zone. Null with `why` set when
// `next` cannot follow `old` in a journal (serial not after, RFC 1982).
[[nodiscard]] std::shared_ptr<const ZoneDiff> diff_zones(const zones::Zone& old, const zones::Zone& next,
                                                         std::string& why);

// Every record of `zone`, its SOA first (the current version a secondary
// applies an incremental IXFR to).
[[nodiscard]] std::vector<dns::ResourceRecord> zone_records(const zones::Zone& zone);

// One record of the journal encoding, read at `pos` (advanced past it).
struct JournalRecord {
  dns::NameView owner;
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::span<const uint8_t> rdata;
};
[[nodiscard]] JournalRecord read_journal_record(std::span<const uint8_t> records, std::size_t& pos);

// Appends one record in the journal encoding.
void append_journal_record(std::vector<uint8_t>& out, dns::NameView owner, uint16_t type, uint32_t ttl,
                           std::span<const uint8_t> rdata);

}  // namespace flatns::transfer
