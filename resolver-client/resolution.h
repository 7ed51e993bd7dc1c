// One resolution inside the Resolver (internal header).
//
// A Resolution follows the CNAME chain from the query name (at most
// max_cname_chain links, loops detected) by running one Lookup per name.
// A Lookup is the iterator proper, one state machine per (name, type):
//
//   cache ──hit──────────────────────────────────────────────▶ outcome
//     │miss
//   find the closest cached zone cut (or the root hints / forwarders)
//     │
//   keys ── zone's DNSKEY unknown and its DS secure ─▶ ask the zone's servers
//     │        for DNSKEY, validate against the DS (validator.h)
//   query ─ pick the best server not yet tried (health: not backed off,
//     │      lowest smoothed RTT), send with an adaptive timeout; TC=1 ─▶ TCP
//   reply ─ validate_response ─▶ answer / CNAME exit / NXDOMAIN / NODATA
//            │ referral: follow it (glue only within the bailiwick of the
//            │           zone that sent it; NS names without glue resolved
//            │           by a nested Lookup), DS set decides the child's keys
//            │ timeout, lame, unusable: next server of the zone
//            │ bogus: back the server off, log it with the zone, re-ask up to
//            │        bogus_retries other servers, then the verdict is bogus
//
// Forward mode sends every query to the forwarders with RD=1; it does not
// yet build the chain of trust through them (DS/DNSKEY per signer), so its
// answers are marked insecure and CD stays 0, leaving bogus data to the
// forwarder's own validation.
//
// Every callback checks that the resolution is still running; when it ends
// (result or deadline) its outstanding queries are cancelled.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "resolver-client/resolver.h"
#include "resolver-client/val_context.h"
#include "resolver-client/validator.h"

namespace flatns::resolver {

struct LookupOutcome {
  enum class Kind { Answer, CnameExit, NxDomain, NoData, Bogus, Failed } kind = Kind::Failed;
  std::vector<dns::ResourceRecord> answer;  // answer-section records (RRSIGs excluded)
  dns::Name next_name;                      // CnameExit: the target
  Verdict verdict;
  uint32_t ttl = 0;
  std::string failure;
};

class Resolution;

class Lookup {
 public:
  using Done = std::function<void(LookupOutcome&&)>;
  Lookup(Resolution& res, dns::Name qname, uint16_t qtype, unsigned depth, Done done);
  void start();

 private:
  struct NameServer {
    dns::Name name;
    std::vector<ServerAddress> addresses;
    bool looked_up = false;
  };
  enum class Phase { Keys, Query };

  bool from_cache();
  void enter_zone(const dns::Name& zone, std::vector<NameServer> servers, const DsSet* ds);
  bool find_cut();
  void next_server();
  void send(const ServerAddress& server, Protocol protocol);
  void on_reply(const ServerAddress& server, Protocol protocol, UpstreamReply&& reply);
  void on_keys(const ServerAddress& server, const dns::Message& msg);
  void on_response(const ServerAddress& server, const dns::Message& msg);
  void on_referral(const ServerAddress& server, const dns::Message& msg, ValidatedResponse& vr);
  void on_bogus(const ServerAddress& server, Verdict verdict);
  void server_failed(const ServerAddress& server, const std::string& why);
  void lookup_ns_address(NameServer& ns);
  void finish(LookupOutcome&& outcome);
  std::vector<NameServer> cached_servers(const dns::Name& zone);

  Resolution& res_;
  dns::Name qname_;
  uint16_t qtype_;
  unsigned depth_;
  Done done_;
  bool finished_ = false;

  dns::Name zone_;
  std::vector<NameServer> servers_;
  ZoneKeys keys_;
  DsSet ds_;
  Phase phase_ = Phase::Query;
  std::vector<ServerAddress> tried_;  // in this zone and phase
  unsigned bogus_in_zone_ = 0;
  std::optional<Verdict> first_bogus_;
  std::vector<std::string> failures_;  // "192.0.2.1: timeout" for this zone
  unsigned referrals_ = 0;
};

class Resolution : public std::enable_shared_from_this<Resolution> {
 public:
  Resolution(Resolver& resolver, uint64_t id, dns::Name qname, uint16_t qtype, uint32_t deadline_ms,
             ResultCallback done);
  void start();
  // Ends the resolution with this result (once); cancels what is in flight.
  void finish(Result&& result);
  void on_deadline();
  // Ends without calling back (the Resolver is being destroyed).
  void abandon();

  [[nodiscard]] bool running() const { return !finished_; }
  [[nodiscard]] uint64_t remaining_ms() const;
  [[nodiscard]] ValidationContext validation_context();
  void note_server(const ServerAddress& a);
  QueryHandle send(const UpstreamQuery& q, ReplyCallback cb);
  void forget(QueryHandle h) { outstanding_.erase(h); }
  // Lookups live as long as the resolution (at most chain + NS lookups), so
  // callbacks never outlive them.
  Lookup* make_lookup(const dns::Name& qname, uint16_t qtype, unsigned depth, Lookup::Done done);

  Resolver& resolver;
  Result result;
  unsigned ns_lookups = 0;
  std::vector<std::string> all_failures;

 private:
  void step(const dns::Name& name);
  void on_outcome(LookupOutcome&& o);

  uint64_t id_;
  uint64_t started_ms_, deadline_at_ms_;
  uint32_t deadline_ms_;
  ResultCallback done_;
  bool finished_ = false;
  bool ttl_set_ = false;
  bool first_step_ = true;
  TimerId deadline_timer_ = 0;
  ValidationBudget budget_;
  std::set<QueryHandle> outstanding_;
  std::set<std::string> seen_names_;
  std::vector<std::unique_ptr<Lookup>> lookups_;
};

}  // namespace flatns::resolver
