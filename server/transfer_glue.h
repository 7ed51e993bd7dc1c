// Where the daemon meets transfer/: the transfer policy built from the
// config (TSIG keys and each zone's allow_transfer), and AXFR/IXFR queries
// handed over by the UDP and TCP listeners, with a log line for each.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <span>

#include "server/config.h"
#include "server/responder.h"
#include "transfer/journal.h"
#include "transfer/outgoing.h"
#include "zones/zone_set.h"

namespace flatns::server {

// The IXFR journals of the zones (transfer/journal.h), kept across reloads
// (with the count of outgoing transfers):
// each time a zone that others may transfer is replaced by a newer version,
// the difference is appended to its journal.
class ZoneJournals {
 public:
  // Compares every zone of `next` that is not the snapshot in `previous`
  // with the one it replaces; forgets zones no longer configured.
  void update(const Config& config, const zones::ZoneSet* previous, const zones::ZoneSet& next);
  [[nodiscard]] std::shared_ptr<const transfer::Journal> find(const dns::Name& origin) const;
  // The count of outgoing transfer streams, shared by every policy made
  // (transfer.max_outgoing), kept here because it outlives reloads too.
  const std::shared_ptr<std::atomic<uint32_t>>& outgoing() const { return outgoing_; }

 private:
  std::shared_ptr<std::atomic<uint32_t>> outgoing_ = std::make_shared<std::atomic<uint32_t>>(0);
  std::map<dns::Name, std::shared_ptr<const transfer::Journal>> journals_;
};

class ExpandedZones;

// `expired`: secondary zones past their expire time (answered SERVFAIL);
// `expanded`: the views `expand` clients get (server/transfer_expand.h).
[[nodiscard]] std::shared_ptr<const transfer::TransferPolicy> make_transfer_policy(
    const Config& config, const zones::ZoneSet& zones, const std::vector<dns::Name>& expired,
    const ZoneJournals* journals, const ExpandedZones* expanded = nullptr);

// An AXFR/IXFR query over UDP: the single response written to `out`.
[[nodiscard]] std::size_t answer_transfer_udp(const zones::ZoneSet& zones, const transfer::TransferPolicy& policy,
                                              std::span<const uint8_t> query, const sockaddr* client,
                                              std::span<uint8_t> out);

// An AXFR/IXFR query over TCP: a single response written to `out` (its
// length returned) or, for a transfer, `stream` set and 0 returned.
[[nodiscard]] std::size_t answer_transfer_tcp(const zones::ZoneSet& zones, const transfer::TransferPolicy& policy,
                                              std::span<const uint8_t> query, const sockaddr* client,
                                              std::span<uint8_t> out,
                                              std::unique_ptr<transfer::TransferStream>& stream);

class NotifyTarget;

// A query with a TSIG record (RFC 8945): answered as usual and signed when
// the signature verifies; NOTAUTH with the TSIG error when it does not.
[[nodiscard]] std::size_t answer_signed_query(const zones::ZoneSet& zones, const transfer::TransferPolicy& policy,
                                              std::span<const uint8_t> query, std::span<uint8_t> out,
                                              const QueryContext& ctx);

// A NOTIFY (RFC 1996), over UDP or TCP: answered, and when it comes from one of the
// zone's primaries handed to `target` (the secondary service).
[[nodiscard]] std::size_t answer_notify_udp(const transfer::TransferPolicy& policy, NotifyTarget* target,
                                            std::span<const uint8_t> query, const sockaddr* client,
                                            std::span<uint8_t> out);

}  // namespace flatns::server
