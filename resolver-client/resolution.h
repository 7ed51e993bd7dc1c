// One resolution inside the Resolver (internal header).
//
// A Resolution follows the CNAME chain from the query name (at most
// max_cname_chain links, loops detected) by running one Iteration per name
// (iteration.h: the iterator proper, one state machine per (name, type)).
// An Iteration finds the keys of each zone it enters with its KeyFinder
// (key_finder.h: DNSKEY against DS, and the chain walk for zones no referral
// revealed) and decides what each zone is asked with its QnameMinimiser
// (qname_minimiser.h, RFC 9156). The validator (validator.h) is pure: the
// Iteration hands it each response with the keys found.
//
// Every callback checks that the resolution is still running; when it ends
// (result or deadline) its outstanding queries are cancelled.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "resolver-client/iteration.h"
#include "resolver-client/resolver.h"
#include "resolver-client/val_context.h"

namespace flatns::resolver {

// How a server is named in verdicts and logs: the address, with the port
// only when it is not 53.
[[nodiscard]] std::string server_label(const dns::ServerAddress& a);

class Resolution : public std::enable_shared_from_this<Resolution> {
 public:
  Resolution(Resolver& resolver, dns::Name qname, uint16_t qtype, uint32_t deadline_ms,
             ResultCallback done);
  void start();
  // Ends the resolution with this result (once); cancels what is in flight.
  void finish(Result&& result);
  void on_deadline();
  // Ends without calling back (the Resolver is being destroyed).
  void abandon();

  [[nodiscard]] bool running() const { return !finished_; }
  // Validation applies: the resolver validates and the query did not
  // disable checking (ResolveOptions::checking_disabled).
  [[nodiscard]] bool validating() const {
    return resolver.settings().validate && !options.checking_disabled;
  }
  [[nodiscard]] uint64_t remaining_ms() const;
  [[nodiscard]] ValidationContext validation_context();
  void note_server(const dns::ServerAddress& a);
  // `count` records with malformed RDATA were removed (`what` names the first).
  void note_malformed(unsigned count, const std::string& what);
  QueryHandle send(const UpstreamQuery& q, ReplyCallback cb);
  void forget(QueryHandle h) { outstanding_.erase(h); }
  // Iterations live as long as the resolution (at most chain + NS lookups),
  // so callbacks never outlive them.
  Iteration* make_iteration(const dns::Name& qname, uint16_t qtype, unsigned depth,
                            Iteration::Done done);

  Resolver& resolver;
  ResolveOptions options;
  Result result;
  unsigned ns_lookups = 0;
  unsigned failed_ns_lookups = 0;  // ResolverLimits::max_failed_ns_lookups
  // A refresh: delegations expiring sooner than this count as expired.
  uint64_t refresh_leeway_ms = 0;
  std::vector<std::string> all_failures;

 private:
  void step(const dns::Name& name);
  void on_outcome(IterationOutcome&& o);

  uint64_t started_ms_, deadline_at_ms_;
  uint32_t deadline_ms_;
  ResultCallback done_;
  bool finished_ = false;
  bool ttl_set_ = false;
  bool first_step_ = true;
  TimerId deadline_timer_ = kNoTimer;
  ValidationBudget budget_;
  std::set<QueryHandle> outstanding_;
  std::set<std::string> seen_names_;
  std::vector<std::unique_ptr<Iteration>> iterations_;
};

}  // namespace flatns::resolver
