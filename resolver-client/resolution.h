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
// Keys for a zone no referral revealed ("needs keys"): when a response is
// signed by a zone below the one whose keys we hold (the same servers serve
// parent and child; or forward mode, where nothing is a referral), the
// Lookup builds the chain of trust itself, label by label from the keys it
// holds down to the signer (or, for unsigned data, down to the owner name):
// DS at the next label ─ signed DS ─▶ DNSKEY of that zone, validated against it
//                      ├ NODATA, NSEC/NSEC3 shows NS: unsigned delegation, insecure
//                      └ NODATA, no cut there: go one label further down
// then validates the held response again with the keys found. DS, DNSKEY and
// "no cut here" are cached, so the next resolution below the same zones
// starts where this one ended.
//
// Forward mode sends every query to the forwarders with RD=1, CD=1 and DO=1
// and validates exactly as above, starting from the trust anchor: the
// forwarders' own validation is not trusted. A bogus answer is re-asked at
// the other forwarders before the verdict is bogus.
//
// QNAME minimisation (RFC 9156, recursive mode): each zone's servers are asked
// "A" for the name one label below the zone, going down one label per NOERROR
// until a referral or the full name; at most kMaxMinimisedQueries per Lookup.
// Relaxed like Unbound's default: NXDOMAIN, REFUSED, FORMERR or NOTIMP to a
// minimised query (broken servers, RFC 9156 §2.3) make the Lookup ask the full
// name from then on.
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

// How a server is named in verdicts and logs: the address, with the port
// only when it is not 53.
[[nodiscard]] std::string server_label(const ServerAddress& a);
// The zone whose keys validate `response` to a question for `qname`: the
// signer of its RRSIGs over the answer at qname (or over the SOA/NSEC/NSEC3
// of a denial); for unsigned data the owner (or the SOA's owner), whose
// ancestors' DS records then tell whether it may be unsigned.
[[nodiscard]] dns::Name response_zone(const dns::Message& response, const dns::Name& qname);

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
  // Keys: DNSKEY of ds_.zone; Ds: DS of ds_name_ (chain walk); Query: the question.
  enum class Phase { Keys, Ds, Query };

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
  // The verdict when every server asked sent bogus data: the first one's
  // reason, naming all of them (EDE EXTRA-TEXT shows who broke).
  [[nodiscard]] Verdict zone_bogus_verdict() const;
  // Chain of trust below keys_ (chain_walk.cpp).
  void start_walk(const ServerAddress& server, const dns::Message& msg, const dns::Name& target);
  void walk_step();
  void on_ds(const ServerAddress& server, const dns::Message& msg);
  void end_walk();
  // QNAME minimisation (chain_walk.cpp).
  [[nodiscard]] dns::Name question_name() const;  // what the query in flight asks
  [[nodiscard]] bool minimising() const;
  bool on_minimised_response(const ServerAddress& server, const dns::Message& msg,
                             const ValidatedResponse& vr);
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
  std::vector<std::string> bogus_servers_;  // of this zone, in the order asked
  std::vector<std::string> failures_;  // "192.0.2.1: timeout" for this zone
  unsigned referrals_ = 0;
  bool timeouts_in_zone_ = false;
  unsigned retry_rounds_ = 0;  // rounds over the zone's servers again after timeouts

  // Chain walk state (see above).
  std::optional<dns::Name> walk_target_;
  dns::Name walk_at_;   // deepest name whose cut status is known
  dns::Name ds_name_;   // Phase::Ds: the name whose DS is asked
  std::optional<dns::Message> pending_;
  ServerAddress pending_server_;
  std::vector<ServerAddress> query_tried_;
  unsigned walks_ = 0;
  std::optional<dns::Name> walk_done_for_;  // the last walk's target

  // QNAME minimisation state.
  bool minimise_ = false;
  unsigned known_labels_ = 0;  // labels of the deepest name below zone_ known not to be a cut
  unsigned minimised_sent_ = 0;
  bool asked_minimised_ = false;  // the query in flight asks a minimised name
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
  ResolveOptions options;
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
