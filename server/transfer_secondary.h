// Secondary zones (RFC 1034 §4.3.5, RFC 1996, RFC 5936): a zone with
// `primaries:` is kept in step with them by its own thread, so that workers
// never wait on a primary (NSD's xfrd does the same in a process):
//
// - at start, on each NOTIFY from a listed primary, and when the SOA refresh
//   timer runs out (retry after a failure), the primaries are asked in turn
//   for their SOA serial; when one is newer (RFC 1982), the zone comes by
//   AXFR, checked whole (transfer/incoming.h), and is written atomically to
//   the zone's `file`, with the time of the refresh in its header, then the
//   daemon reloads it;
// - timers get a random 0-10 % off (so that many zones spread out), and a
//   zone seen for the first time is checked within its first second at a
//   random point, never all at once;
// - a zone whose file is already there is served from it at once: the
//   check at start is one SOA query, and a transfer only when the primary
//   has a newer serial;
// - a zone that reaches no primary for its SOA expire time (counted from
//   the last success, kept in the file's header across restarts) is
//   answered SERVFAIL until a refresh succeeds (RFC 1035 §3.3.13).
// A transfer that fails any check changes nothing: the zone keeps serving.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/config.h"
#include "server/transfer_client.h"
#include "zones/zone_set.h"

namespace flatns::server {

// Where a worker hands an accepted NOTIFY.
class NotifyTarget {
 public:
  virtual ~NotifyTarget() = default;
  // Thread-safe; must not block.
  virtual void notified(const dns::Name& origin) = 0;
};

// What `flatns ctl zone-status` shows of one secondary zone's transfers.
struct SecondaryState {
  dns::Name origin;
  bool served = false;        // a copy is served (from the file or a transfer)
  bool transferring = false;  // a refresh (SOA check or AXFR) is running
  bool expired = false;       // past the SOA expire time: answered SERVFAIL
  uint32_t serial = 0;        // of the served copy
  int64_t last_ok = 0;        // Unix time of the last successful refresh (0: never)
  int64_t next_check_s = 0;   // seconds until the next refresh (0: due now)
  std::string last_error;     // of the last refresh, "" when it succeeded
};

class SecondaryService final : public NotifyTarget {
 public:
  // `zone_written` runs on the service's thread after a zone file was
  // replaced; the daemon reloads zones then.
  explicit SecondaryService(std::function<void()> zone_written);
  ~SecondaryService() override;
  SecondaryService(const SecondaryService&) = delete;
  SecondaryService& operator=(const SecondaryService&) = delete;

  // Thread-safe: the secondary zones of `config`, and what is served now.
  void configure(const Config& config, const zones::ZoneSet& served);
  void notified(const dns::Name& origin) override;
  void stop();
  // Thread-safe: the zones past their expire time (the daemon answers them
  // SERVFAIL; `zone_written` runs when this list changes).
  [[nodiscard]] std::vector<dns::Name> expired() const;
  // Thread-safe: every secondary zone's transfer state, in config order.
  [[nodiscard]] std::vector<SecondaryState> states() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Zone {
    dns::Name origin;
    std::string file;
    std::vector<PrimaryServer> primaries;
    bool served = false;
    uint32_t serial = 0;
    std::shared_ptr<const zones::Zone> snapshot;  // what is served: IXFR applies to it
    TransferLimits limits;                         // from the config's transfer: section
    uint32_t refresh_s = 3600, retry_s = 600, expire_s = 604800;
    Clock::time_point next;
    int64_t last_ok = 0;  // Unix time of the last transfer or SOA check that succeeded
    bool expired = false;
    bool busy = false;
    std::string last_error;  // of the last refresh ("" after a success)
  };

  void run();
  // Marks zones whose expire time has passed; true when one changed.
  bool expire_due(Clock::time_point& soonest);
  void refresh(Zone& zone);  // on a copy: runs without the lock
  // IXFR, then AXFR when IXFR fails; false when neither brought the zone.
  bool fetch(Zone& zone, const PrimaryServer& primary, std::vector<dns::ResourceRecord>& records,
             uint32_t& serial, std::string& how);
  Clock::duration jittered(uint32_t seconds);

  std::function<void()> zone_written_;
  TransferLimits limits_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Zone> zones_;
  bool stop_ = false;
  std::atomic<bool> cancel_{false};  // ends a transfer in progress at stop()
  std::thread thread_;
};

}  // namespace flatns::server
