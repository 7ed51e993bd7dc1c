// The query path: one DNS message in, one response out, from a zone-set
// snapshot. It allocates nothing, takes no lock and throws nothing; the
// worker owns the buffers. See DESIGN.md "The path of one query".
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <sys/socket.h>

#include "flatten/flattener.h"
#include "server/query_observer.h"
#include "transfer/outgoing.h"
#include "zones/zone_set.h"

namespace flatns::server {

// Like NSD and Knot: answers over UDP are kept to 1232 octets (the DNS Flag
// Day 2020 value) even when the client offers more.
inline constexpr std::size_t kMaxUdpResponse = 1232;

struct QueryContext {
  bool tcp = false;
  std::string_view nsid;  // answered to NSID requests when not empty (RFC 5001)
  const flatten::Flattener* flatten = nullptr;  // null: CNAMEs are never flattened
  // In and out for flattened names (flatten/flatten_call.h); null: answer at
  // once (a final call). When it comes back with Outcome::Park the returned
  // length is 0 and the caller holds the query (server/query_parking.h).
  flatten::FlattenCall* flatten_call = nullptr;
  // AXFR/IXFR over UDP go to transfer/ (server/transfer_glue.h); null: REFUSED.
  const transfer::TransferPolicy* transfer = nullptr;
  const sockaddr* client = nullptr;  // who asked (transfer ACLs, dnstap); null: unknown
  class NotifyTarget* notify_target = nullptr;  // where a NOTIFY for a secondary zone goes
  // Counts and logs the query with its final response (metrics, dnstap);
  // null: nothing is recorded.
  QueryObserver* observer = nullptr;
  // Set by answer_signed_query for the query it answers once the TSIG
  // verified: the transfer policy and the key (an apex SOA query from an
  // `expand` client is answered from the expanded view, as AXFR would be).
  const transfer::TransferPolicy* signed_policy = nullptr;
  const dns::Name* signed_by = nullptr;
};

// Writes the response to `query` into `out` and returns its length, or 0
// when the query must be dropped (short header, QR=1) or was parked. `out` should hold
// 65535 octets; over UDP the answer is truncated (TC=1) to the client's
// payload size (512 without EDNS).
[[nodiscard]] std::size_t answer_query(const zones::ZoneSet& zones, std::span<const uint8_t> query,
                                       std::span<uint8_t> out, const QueryContext& ctx);

}  // namespace flatns::server
