// The network side of a secondary zone's refresh, run on the secondary
// service's own thread with blocking sockets and hard time limits, so that
// no worker ever waits on a primary (as NSD keeps transfers in xfrd):
// one SOA query over UDP, one IXFR or AXFR over TCP.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "dns/name.h"
#include "dns/tsig.h"
#include "dns/server_address.h"
#include "transfer/incoming.h"

namespace flatns::zones {
class Zone;
}

namespace flatns::server {

struct PrimaryServer {
  dns::ServerAddress address;
  std::optional<dns::TsigKey> key;
};

struct TransferLimits {
  uint32_t soa_timeout_ms = 2000;   // per SOA attempt (two attempts)
  uint32_t idle_timeout_ms = 10000;  // no octet from the primary for this long: give up
  uint32_t max_time_s = 600;         // a whole transfer (a primary that trickles forever)
  transfer::IncomingLimits sizes;
  const std::atomic<bool>* cancel = nullptr;  // set: give up at once (the daemon stops)
};

// The primary's serial for `origin`; false with `error` on failure.
[[nodiscard]] bool query_primary_serial(const PrimaryServer& primary, const dns::Name& origin,
                                        const TransferLimits& limits, uint32_t& serial, std::string& error);

// Transfers `origin` by AXFR; on success `records` holds the zone, SOA first.
[[nodiscard]] bool transfer_zone(const PrimaryServer& primary, const dns::Name& origin, const TransferLimits& limits,
                                 std::vector<dns::ResourceRecord>& records, uint32_t& serial, std::string& error);

enum class IxfrOutcome : uint8_t { Failed, UpToDate, Whole, Incremental };

// Asks IXFR (RFC 1995) from `current`'s serial: on Incremental `records`
// holds `current` with the differences applied, on Whole the zone the
// primary sent AXFR-style; UpToDate: nothing newer. Failed (with `error`):
// transport, TSIG, a malformed or inconsistent answer, a deletion of a
// record we do not hold; the caller falls back to AXFR.
[[nodiscard]] IxfrOutcome ixfr_zone(const PrimaryServer& primary, const zones::Zone& current,
                                    const TransferLimits& limits, std::vector<dns::ResourceRecord>& records,
                                    uint32_t& serial, std::string& error);

}  // namespace flatns::server
