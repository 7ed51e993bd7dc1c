// Sending NOTIFY (RFC 1996) to each zone's `notify` list when the zone is
// loaded and whenever its serial changes on reload, from the daemon's loop.
// A NOTIFY is repeated until the secondary acknowledges it, after 1, 2, 4, 8
// and 16 seconds (RFC 1996 §3.6 leaves the interval to the primary; BIND and
// Knot also retry a few times), then given up with a warning. A newer serial
// replaces a NOTIFY still being retried. Signed with the peer's TSIG key.
// Peers marked `expand` hear of the zone's expanded view instead (its own
// serial, server/transfer_expand.h), each time that view changes.
#pragma once

#include <uv.h>

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/config.h"
#include "zones/zone.h"
#include "zones/zone_set.h"

namespace flatns::server {

class NotifySender {
 public:
  explicit NotifySender(uv_loop_t* loop) : loop_(loop) {}
  ~NotifySender();
  NotifySender(const NotifySender&) = delete;
  NotifySender& operator=(const NotifySender&) = delete;

  // After a load or reload: announces every zone whose serial differs from
  // what was announced before (every zone, the first time).
  // Peers marked `expand` are left to expanded_changed().
  void zones_loaded(const Config& config, const zones::ZoneSet& zones);
  // A new expanded view of a zone (server/transfer_expand.h): NOTIFY with
  // its serial to the zone's `notify` peers marked `expand`.
  void expanded_changed(const Config& config, const std::shared_ptr<const zones::Zone>& expanded);
  // Stops every retry and closes the sockets (the loop then finishes them).
  void stop();

  static constexpr unsigned kAttempts = 5;
  static constexpr uint64_t kFirstRetryMs = 1000;

 private:
  struct Job {
    NotifySender* owner = nullptr;
    std::list<Job>::iterator self;
    std::shared_ptr<const zones::Zone> zone;
    bool expanded = false;  // the zone's expanded view, for `expand` peers
    dns::ServerAddress peer;
    std::optional<dns::TsigKey> key;
    uint16_t id = 0;
    std::vector<uint8_t> request_mac;
    unsigned attempts = 0;
    uv_udp_t udp{};
    uv_timer_t timer{};
    int open_handles = 0;
    bool done = false;
    std::vector<uint8_t> receive_buffer = std::vector<uint8_t>(65535);

    std::string what() const {
      return "NOTIFY " + zone->origin().to_text() + (expanded ? " (expanded view)" : "") + " serial " + std::to_string(zone->serial()) + " to " +
             peer.to_string();
    }
  };

  // NOTIFY of `zone` (or its expanded view) to the peers of `entry` of that kind.
  void announce(const Config& config, const ZoneEntry& entry, const std::shared_ptr<const zones::Zone>& zone,
                bool expanded);
  void start(Job& job);
  void send(Job& job);
  void finish(Job& job);
  static void on_timer(uv_timer_t* timer);
  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_receive(uv_udp_t* udp, ssize_t nread, const uv_buf_t* buf, const sockaddr* from, unsigned flags);
  static void on_closed(uv_handle_t* handle);

  uv_loop_t* loop_;
  std::list<Job> jobs_;
  struct Announced {
    dns::Name origin;
    uint32_t serial;
  };
  std::vector<Announced> announced_;
  bool stopped_ = false;
};

}  // namespace flatns::server
