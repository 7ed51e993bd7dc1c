// A full, allocating DNS message parser and a query writer, for code that is
// not on the server's packet path: the resolver client (upstream responses),
// tools and tests. Names are decompressed, RDATA is stored uncompressed
// (dns/rdata.h), and malformed messages are rejected as a whole.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/name.h"

namespace flatns::dns {

struct ResourceRecord {
  Name owner;
  uint16_t type = 0;
  uint16_t rclass = 0;
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;
  // "owner ttl CLASS TYPE rdata", as dig prints it.
  std::string to_text() const;
};

struct EdnsOption {
  uint16_t code = 0;
  std::vector<uint8_t> data;
};

struct Message {
  uint16_t id = 0;
  uint16_t flags = 0;  // second header word; rcode() adds the OPT extension
  Name qname;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  bool has_question = false;
  std::vector<ResourceRecord> answer, authority, additional;  // OPT excluded
  bool has_edns = false;
  uint16_t edns_udp_size = 0;
  uint8_t edns_version = 0;
  bool dnssec_ok = false;
  uint8_t extended_rcode_high = 0;
  std::vector<EdnsOption> options;

  uint16_t rcode() const { return static_cast<uint16_t>(extended_rcode_high << 4 | (flags & 0xF)); }
  bool has_flag(uint16_t f) const { return (flags & f) != 0; }
  const std::vector<ResourceRecord>& section(Section s) const {
    return s == Section::Answer ? answer : s == Section::Authority ? authority : additional;
  }
};

// What parse_message does with a record whose RDATA does not fit its type's
// format (an A record with RDLENGTH 3) while the record's framing is intact.
enum class MalformedRdata : uint8_t {
  Reject,   // the whole message is malformed (everything the server reads)
  KeepRaw,  // the RDATA is kept as its raw octets, for the resolver client to
            // scrub the record (rdata_is_valid() is false for it), as
            // Unbound's scrubber removes it, rather than drop the response
};

// Parses a whole message; false (with `error` saying where) when malformed.
[[nodiscard]] bool parse_message(std::span<const uint8_t> packet, Message& out,
                                 std::string& error,
                                 MalformedRdata malformed = MalformedRdata::Reject);

struct QueryOptions {
  uint16_t id = 0;
  uint16_t flags = 0;        // e.g. flag::RD, flag::CD
  bool edns = true;
  uint16_t udp_size = kEdnsPayloadSize;  // advertised EDNS payload size
  bool dnssec_ok = false;
};

// Writes a query for (qname, qtype, IN) into `out`; returns its length or 0
// when `out` is too small.
[[nodiscard]] std::size_t write_query(std::span<uint8_t> out, NameView qname, uint16_t qtype,
                                      const QueryOptions& options);

}  // namespace flatns::dns
