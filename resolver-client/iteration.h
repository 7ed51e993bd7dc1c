// The iterator: one Iteration per (name, type) inside a Resolution
// (resolution.h), as Unbound's iterator module runs one per query:
//
//   Idle ──cache hit──────────────────────────────────────────────▶ Done
//     │miss: the closest cached zone cut (or the primed root, priming.cpp:
//     │      ". NS" of a hint first, RFC 8109; the hints when that fails;
//     │      or the forwarders)
//     ▼
//   FindingKeys ─ the zone's DNSKEY, or a chain walk (key_finder.h) ─┐
//     │ keys known                                                   │
//     ▼                                                              │
//   Querying ── pick the best server not yet tried (health: not      │
//     │         backed off, lowest smoothed RTT), ask the question   │
//     │         (minimised: qname_minimiser.h); TC=1 ─▶ TCP          │
//     │         (a server that dropped the last 3 queries of the     │
//     │         type is passed over: ServerHealth::drops_type)       │
//     │ reply ─ validate_response ─▶ answer / CNAME exit / NXDOMAIN / NODATA ─▶ Done
//     │   referral: follow it (referral.cpp; glue only within the bailiwick
//     │             of the zone that sent it; NS names without glue
//     │             resolved, A and AAAA at once, by nested Iterations,
//     │             bounded against NXNS; harden_unverified_glue:
//     │             names outside the child too, their glue the last
//     │             resort), DS set decides the
//     │             child's keys ─▶ FindingKeys or Querying
//     │   signed below the keys held: hold it, FindingKeys (walk) ───────┘
//     │   timeout, lame, unusable: next server of the zone
//     │   bogus: back the server off, log it with the zone, re-ask up to
//     │          bogus_retries other servers, then the verdict is bogus
//     ▼
//   Done (the outcome is handed to the Resolution once)
//
// Forward mode sends every query to the forwarders with RD=1, CD=1 and DO=1
// and validates exactly as above, starting from the trust anchor: the
// forwarders' own validation is not trusted. A bogus answer is re-asked at
// the other forwarders before the verdict is bogus. A name below a forward
// zone (ResolverSettings::zones) is forwarded the same way to its servers;
// a name below a stub zone is iterated from the stub's servers.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "resolver-client/key_finder.h"
#include "resolver-client/qname_minimiser.h"
#include "resolver-client/resolver.h"
#include "resolver-client/validator.h"

namespace flatns::resolver {

struct IterationOutcome {
  // YxDomain: the server's YXDOMAIN for a DNAME substitution too long (RFC 6672 §2.2).
  enum class Kind { Answer, CnameExit, NxDomain, NoData, YxDomain, Bogus, Failed } kind = Kind::Failed;
  std::vector<dns::ResourceRecord> answer;  // answer-section records (RRSIGs excluded)
  dns::Name next_name;                      // CnameExit: the target
  std::vector<dns::ResourceRecord> authority;  // NxDomain / NoData: the proof (Result::authority)
  Verdict verdict;
  uint32_t ttl = 0;
  std::string failure;
  bool from_cache = false;  // answered from the cache when it started: no server was asked
};

class Resolution;

class Iteration {
 public:
  enum class State : uint8_t {
    Idle,         // not started
    FindingKeys,  // the zone's servers are asked for DNSKEY or DS (key_finder_)
    Querying,     // the zone's servers are asked the question
    Done,         // the outcome has been handed over
  };
  using Done = std::function<void(IterationOutcome&&)>;

  Iteration(Resolution& res, dns::Name qname, uint16_t qtype, unsigned depth, Done done);
  void start();
  [[nodiscard]] State state() const { return state_; }
  // This Iteration is the root priming query (". NS" of the hints, RFC 8109
  // §3): it starts from the hints, never from the cache, asks each hint
  // once, and caches the root NS RRset with the addresses of its names
  // from the additional section (priming.cpp). Before start().
  void mark_priming() { priming_ = true; }

 private:
  struct NameServer {
    dns::Name name;
    std::vector<dns::ServerAddress> addresses;
    bool looked_up = false;
    // lookup_ns_address(): its A and AAAA lookups still out; settled once it
    // has an address or is known to have none; asked_upstream: a lookup went
    // past the cache (only those count against max_failed_ns_lookups).
    unsigned lookups_pending = 0;
    bool settled = false;
    bool asked_upstream = false;
    std::string lookup_failure;
  };

  // Validation applies to this iteration's name: on, no CD=1, and no
  // negative trust anchor covers it (which also keeps its insecure DS and
  // answers for names outside the anchor out of the cache).
  [[nodiscard]] bool validating() const;

  // iteration.cpp: the zone's servers, queries and replies.
  bool from_cache();
  // The closest cached zone cut above the question (or strictly above
  // `below`) and below the deepest stub or forward zone that holds it
  // (else that zone's servers), else the primed root (priming it first)
  // or the root hints / forwarders. False when the zone's DS is asked
  // first (a stub under a trust anchor) or the root is being primed: the
  // zone is entered, and asked, when that comes.
  [[nodiscard]] bool find_cut(const dns::Name* below = nullptr);
  // The validation context of this iteration's zone (forwarded answers or not).
  [[nodiscard]] ValidationContext validation_context();
  void enter_zone(const dns::Name& zone, std::vector<NameServer> servers, const DsSet* ds);

  // priming.cpp: the root's servers (RFC 8109). The primed root NS RRset
  // from the cache, when it has an address: entered, true.
  bool enter_primed_root();
  // Primes the root in a nested Iteration when priming is due; true when
  // it started (find_cut() runs again when it ends).
  bool start_priming(const dns::Name* below);
  void on_priming_done(IterationOutcome&& o, std::optional<dns::Name> below);
  // The priming answer's addresses of the root NS names (its additional
  // section), cached as glue.
  void store_priming_glue(const dns::Message& msg);
  // Every primed root server failed: the hints not asked yet are tried.
  bool fall_back_to_hints();
  std::vector<NameServer> cached_servers(const dns::Name& zone);
  void next_server();
  void give_up();
  // give_up() while asking for keys: the outcome turns bogus (EDE 9 or 23).
  void key_fetch_failed(IterationOutcome& o);
  void send(const dns::ServerAddress& server, Protocol protocol);
  // `qtype`: the type the query asked (server health keeps timeouts by type).
  void on_reply(const dns::ServerAddress& server, Protocol protocol, uint16_t qtype,
                UpstreamReply&& reply);
  // The type the next query to the zone's servers asks.
  [[nodiscard]] uint16_t next_query_type() const;
  // `server` dropped the last queries of `qtype` (ServerHealth::drops_type):
  // it is not asked, and the zone's failure says why. True when so.
  // A reason the zone's failure names (and a deadline's), given once.
  void note_failure_once(std::string text);
  // A timeout or network error from `server`: the zone's retry rounds apply.
  void note_timeout_here(const dns::ServerAddress& server);
  bool passed_over(const dns::ServerAddress& server, uint16_t qtype, uint64_t now);
  // Every address of the zone not tried yet (one at least) drops `qtype`.
  [[nodiscard]] bool every_server_drops(uint16_t qtype, uint64_t now);
  // The minimised query timed out once too often: the full name is asked
  // of the zone's servers, each once more.
  void stop_minimising(const dns::ServerAddress& server);
  void server_failed(const dns::ServerAddress& server, const std::string& why);
  void on_bogus(const dns::ServerAddress& server, Verdict verdict);
  // The verdict when every server asked sent bogus data: the first one's
  // reason, naming all of them (EDE EXTRA-TEXT shows who broke).
  [[nodiscard]] Verdict zone_bogus_verdict() const;
  void finish(IterationOutcome&& outcome);

  // iteration_response.cpp: a response to the question.
  bool from_cached_dname();
  // NXDOMAIN / NODATA synthesized from the cached NSECs of a secure zone
  // (RFC 8198, resolver.aggressive_nsec).
  bool from_cached_nsec();
  void on_response(const dns::ServerAddress& server, const dns::Message& msg);
  // on_response after a DS question's referral is read as its answer.
  void on_response_as_given(const dns::ServerAddress& server, const dns::Message& msg);
  bool on_minimised_response(const dns::ServerAddress& server, const dns::Message& msg,
                             const ValidatedResponse& vr);
  void accept_response(const dns::Message& msg, const ValidatedResponse& vr);
  void remember_child_ns(const dns::Message& msg);
  // A recursion-lame or empty answer: set aside, the other servers are
  // asked (last_resort_).
  bool set_aside_last_resort(const dns::ServerAddress& server, const dns::Message& msg);
  // Keys insecure only for want of an anchor, and the response is about a
  // zone below a trust anchor (an island of trust whose parent's servers
  // serve it too): its keys are walked to from that anchor, never taken
  // from the insecurity above it (Unbound: iter_scrub_dname_sec).
  bool walk_to_anchored_island(const dns::ServerAddress& server, const dns::Message& msg,
                               const dns::Name& asked);
  // Keys for the zone that signed `msg` (key_finder.h): `msg` is held and
  // validated again when the walk ends.
  void start_walk(const dns::ServerAddress& server, const dns::Message& msg, const dns::Name& target);
  void on_key_step(const dns::ServerAddress& server, KeyFinder::Step step);
  void resume_held_response();

  // referral.cpp
  // Adds the other side of the delegation (resolver_cache.h): the NS names
  // the zone's own servers gave and the glue the parent gave for the NS
  // names. True when there is something new to try.
  bool widen_to_other_side();
  void on_referral(const dns::ServerAddress& server, const dns::Message& msg, ValidatedResponse& vr);
  // Asks A and AAAA for an NS name without glue, both at once, and waits
  // until it has an address or neither lookup can give one.
  void lookup_ns_address(NameServer& ns);
  void on_ns_address(const dns::Name& name, uint16_t type, IterationOutcome&& o);
  void store_referral_ds(const dns::Message& msg, const DsSet& ds, uint64_t now);
  // A referral without DS or denial (ValidatedResponse::ds_left_out): asks
  // "DS child" of this zone's servers in a nested Iteration, then enters
  // the child with the DS set its validated answer gives.
  void fetch_left_out_ds(const dns::ServerAddress& server, const dns::Name& child,
                         std::vector<NameServer> servers);
  void enter_child_with_ds(const dns::ServerAddress& server, const dns::Name& child,
                           IterationOutcome&& o);

  Resolution& res_;
  Resolver& resolver_;
  dns::Name qname_;
  uint16_t qtype_;
  unsigned depth_;
  Done done_;
  State state_ = State::Idle;
  const dns::Name* negative_anchor_;  // at or above qname_ (insecure_domains), or null

  // The zone whose servers are asked.
  dns::Name zone_;
  std::vector<NameServer> servers_;
  std::vector<dns::ServerAddress> tried_;  // in this zone and state
  std::vector<dns::ServerAddress> timed_out_here_;  // in this zone, any round
  unsigned bogus_in_zone_ = 0;
  std::optional<Verdict> first_bogus_;
  std::vector<std::string> bogus_servers_;  // of this zone, in the order asked
  std::vector<std::string> failures_;       // "192.0.2.1: timeout" for this zone
  unsigned referrals_ = 0;
  bool timeouts_in_zone_ = false;
  unsigned retry_rounds_ = 0;  // rounds over the zone's servers again after timeouts
  bool cut_from_cache_ = false;  // the zone's servers came from the cache, not a referral
  // The zone's servers are forwarders (forward mode, or a forward zone):
  // asked with RD=1, CD=1, their answers read as recursive answers.
  bool forwarding_ = false;
  // The stub or forward zone entered, when it may fall back to the root
  // (stub-first / forward-first); fell_back_: configured zones are passed over.
  const ConfiguredZone* fall_back_from_ = nullptr;
  bool fell_back_ = false;
  bool priming_ = false;       // this is the priming query (mark_priming)
  bool primed_root_ = false;   // zone_ is the root, its servers from the priming answer
  bool tcp_only_ = false;  // the zone's servers are a configured zone's with `tcp`

  // The first answer that is the zone's only if nothing better comes (as
  // Unbound does): from a server that offers recursion but is not
  // authoritative (RA=1, AA=0, "recursion lame": a cache's answer), or an
  // entirely empty NOERROR (iter_ignore_empty). The zone's other servers
  // are asked first.
  std::optional<std::pair<dns::ServerAddress, dns::Message>> last_resort_;
  bool use_last_resort_ = false;
  // The last resort is a recursion-lame server's empty NOERROR without SOA:
  // to a query without RD that is a cache's "nothing held", not NODATA, so
  // the server is asked again with RD=1 and its reply read as a
  // forwarder's (Unbound's chase_to_rd, iter_lame_nosoa).
  bool last_resort_asks_recursion_ = false;
  bool asking_recursion_ = false;

  // FindingKeys: a server answered the key question with an error or an
  // unusable answer (not only timeouts): see key_fetch_failed().
  bool key_answer_failed_ = false;
  // Records with malformed RDATA removed from the reply being handled.
  unsigned malformed_in_reply_ = 0;

  // The response held while the key finder walks to its signer.
  std::optional<dns::Message> held_;
  dns::ServerAddress held_server_;
  std::vector<dns::ServerAddress> held_tried_;

  // lookup_ns_address(): the NS name whose address next_server() waits for;
  // zone_generation_ changes with servers_ so that a late lookup finds
  // the servers it was for or nothing.
  std::optional<dns::Name> awaiting_ns_;
  unsigned zone_generation_ = 0;
  bool from_cache_now_ = false;  // start() is trying the cache (IterationOutcome::from_cache)

  // The child's servers while its left-out DS is asked (fetch_left_out_ds).
  std::vector<NameServer> child_servers_;

  KeyFinder key_finder_;
  QnameMinimiser minimiser_;
};

}  // namespace flatns::resolver
