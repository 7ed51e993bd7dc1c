// What a worker thread answers from: an immutable snapshot of the zone set
// and the run-time settings that a reload may change. The daemon builds a new
// WorkerState on reload and posts it to every worker; each worker swaps its
// own shared_ptr between packets, so the packet path takes no lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "flatten/flattener.h"
#include "server/query_observer.h"
#include "server/rrl.h"
#include "transfer/outgoing.h"
#include "zones/zone_set.h"

namespace flatns::server {

class NotifyTarget;  // server/transfer_secondary.h

struct WorkerState {
  std::shared_ptr<const zones::ZoneSet> zones;
  std::shared_ptr<const flatten::Flattener> flatten;  // answers A/AAAA at flattened names
  std::string nsid;
  uint32_t tcp_idle_timeout_ms = 10000;
  uint32_t tcp_max_connections = 1024;
  RrlSettings rrl;  // each worker keeps its own table (server/rrl.h)
  uint32_t flatten_deadline_ms = 1200;  // a parked query is answered by then
  std::shared_ptr<const transfer::TransferPolicy> transfer;  // null: AXFR/IXFR refused
  NotifyTarget* notify_target = nullptr;  // accepted NOTIFYs go there (it outlives the workers)
  std::shared_ptr<const ZoneSlots> zone_slots;  // metric label per zone; null: no counting
};

}  // namespace flatns::server
