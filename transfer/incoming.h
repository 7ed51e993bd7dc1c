// Incoming zone transfers (secondary side, RFC 5936 AXFR, RFC 1995 IXFR):
// the queries a secondary sends, and the checks every received message
// goes through before any of it may replace the zone being served.
//
// A transfer is accepted only whole: the first record is the zone's SOA,
// every record is in the zone and of class IN, no SOA appears before the
// closing one (which must equal the first, RFC 5936 §2.2), the stream ends
// with it (an IXFR answer: RFC 1995 §4's sequence of differences, each
// opened by the SOA of the serial it starts from, every SOA the apex's),
// every message is signed when a key is used (RFC 8945 §5.3.1: up
// to 99 unsigned in between, the last one signed) and the totals stay under
// the limits (CVE-2016-6170: a primary can send without end). Anything else
// fails the transfer with a message saying what and where, and the caller
// keeps serving the zone it had.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dns/message_parser.h"
#include "dns/name.h"
#include "dns/tsig.h"

namespace flatns::transfer {

struct IncomingLimits {
  std::size_t max_records = 5'000'000;
  std::size_t max_bytes = 1ull << 30;  // octets of messages received
};

// A query for `origin` of `qtype` (SOA or AXFR), signed with `key` when given;
// `request_mac` receives the MAC that the answer's TSIG must cover.
[[nodiscard]] std::vector<uint8_t> make_transfer_query(const dns::Name& origin, uint16_t qtype, uint16_t id,
                                                       const dns::TsigKey* key, uint64_t now,
                                                       std::vector<uint8_t>& request_mac);

// An IXFR query (RFC 1995 §3): `soa_rdata` (ours, uncompressed) goes in the
// authority section.
[[nodiscard]] std::vector<uint8_t> make_ixfr_query(const dns::Name& origin, std::span<const uint8_t> soa_rdata,
                                                   uint16_t id, const dns::TsigKey* key, uint64_t now,
                                                   std::vector<uint8_t>& request_mac);

// RFC 1982 serial arithmetic: is `a` after `b`?
[[nodiscard]] bool serial_after(uint32_t a, uint32_t b);
// The serial of SOA RDATA (uncompressed, as dns::parse_message stores it).
[[nodiscard]] bool soa_serial(std::span<const uint8_t> rdata, uint32_t& serial);

// Checks the answer to a SOA query: on success `serial` is the primary's.
[[nodiscard]] bool check_soa_answer(std::span<const uint8_t> answer, const dns::Name& origin, uint16_t id,
                                    const dns::TsigKey* key, std::span<const uint8_t> request_mac, uint64_t now,
                                    uint32_t& serial, std::string& error);

class AxfrReceiver {
 public:
  enum class State : uint8_t { More, Done, Failed };

  AxfrReceiver(dns::Name origin, uint16_t id, const dns::TsigKey* key, std::span<const uint8_t> request_mac,
               IncomingLimits limits = {});

  // The answer to expect is IXFR's from `serial` (ours): incremental or
  // AXFR-style.
  void expect_ixfr(uint32_t serial);

  // Takes the next message of the answer stream.
  State add(std::span<const uint8_t> message, uint64_t now);
  State state() const { return state_; }
  const std::string& error() const { return error_; }
  uint16_t rcode() const { return rcode_; }  // of the last message (for fallback choices)
  // The zone's records, the SOA first (the closing SOA left out).
  const std::vector<dns::ResourceRecord>& records() const { return records_; }
  uint32_t serial() const { return serial_; }

  // IXFR: the answer was the SOA alone with a serial not after ours.
  bool up_to_date() const { return up_to_date_; }
  // IXFR: the answer was incremental; records() then holds the new SOA alone.
  struct Difference {
    dns::ResourceRecord old_soa, new_soa;
    std::vector<dns::ResourceRecord> removed, added;
  };
  bool incremental() const { return incremental_; }
  const std::vector<Difference>& differences() const { return differences_; }

 private:
  bool take_incremental(const dns::ResourceRecord& rr, bool last_in_message);
  State fail(std::string why);
  bool take(const dns::ResourceRecord& rr, bool last_in_message);

  dns::Name origin_;
  uint16_t id_;
  std::unique_ptr<dns::TsigVerifier> verifier_;
  dns::TsigKey key_;
  IncomingLimits limits_;
  State state_ = State::More;
  std::string error_;
  uint16_t rcode_ = 0;
  std::size_t messages_ = 0;
  std::size_t bytes_ = 0;
  uint32_t serial_ = 0;
  std::vector<dns::ResourceRecord> records_;
  bool closed_ = false;  // the closing SOA was seen
  std::size_t record_count_ = 0;  // incremental: records taken
  bool ixfr_ = false;
  uint32_t ixfr_from_ = 0;
  bool up_to_date_ = false;
  bool incremental_ = false;
  bool adding_ = false;  // incremental: between a difference's new SOA and the next SOA
  std::vector<Difference> differences_;
};

// The records of `current` with the differences applied in order (RFC 1995
// §4): each deletion must find its record (owner, type and RDATA; names in
// RDATA compared without case when nothing matches exactly), the first of
// the differences must start from `current`'s serial. False with `error`
// naming the record at fault; `out` then unspecified. SOA first in `out`.
[[nodiscard]] bool apply_differences(const std::vector<dns::ResourceRecord>& current,
                                     const std::vector<AxfrReceiver::Difference>& differences,
                                     std::vector<dns::ResourceRecord>& out, std::string& error);

// Writes `records` as a zone file at `path`, atomically (a temporary file in
// the same folder, flushed, then renamed over `path`), so that a crash
// leaves the old file or the new one, never half of one. `header` lines are
// written first as comments. False with `error` (naming the file) on failure.
[[nodiscard]] bool write_zone_file(const std::string& path, const dns::Name& origin,
                                   const std::vector<dns::ResourceRecord>& records,
                                   const std::vector<std::string>& header, std::string& error);

}  // namespace flatns::transfer
