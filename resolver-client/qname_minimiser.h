// QNAME minimisation for one Iteration (RFC 9156), relaxed like Unbound's
// default (qname-minimisation-strict: no): each zone's servers learn only the
// next label below the zone, asked with type A (RFC 9156 §3: it hides the
// real type and is answered correctly by more servers than NS), going down
// one label per NOERROR until a referral or the full name; at most
// kMaxMinimisedQueries per Iteration. NXDOMAIN, REFUSED, FORMERR or NOTIMP
// to a minimised query (broken servers, RFC 9156 §2.3), or
// kMaxMinimisedTimeouts timeouts in a row (servers that drop the minimised
// query: RFC 9156 lets a resolver stop minimising when it fails; as
// Unbound with qname-minimisation-strict: no), make the Iteration ask the
// full name from then on. Recursive mode only.
//
// The minimiser decides what the next query of the question asks and how a
// response to a minimised query moves it; the Iteration (iteration.h) sends
// and acts on that.
#pragma once

#include <cstdint>

#include "dns/name.h"
#include "resolver-client/transport.h"
#include "resolver-client/validator.h"

namespace flatns::resolver {

class QnameMinimiser {
 public:
  enum class State : uint8_t {
    Off,         // not asked for (setting off, or forward mode)
    Minimising,  // each zone is asked the next label down
    FullName,    // a server broke on a minimised query: the full name from now on
  };
  // What a response to a minimised query does.
  enum class Reaction : uint8_t {
    UseAsUsual,  // a referral, or an error any query gets: handled as usual
    NextLabel,   // the name exists and is no cut: ask one label further down
    FullName,    // the server broke on it: ask the full name (state is FullName now)
    NxDomain,    // a proven NXDOMAIN: nothing exists below it (RFC 8020)
  };

  QnameMinimiser(bool enabled, const dns::Name& qname, uint16_t qtype);

  // The zone's servers are forwarders: they get the full name from now on.
  void turn_off() { state_ = State::Off; }
  // A new zone's servers are asked: their zone is the deepest name known.
  void enter_zone(const dns::Name& zone);
  // The servers asked turned out to serve `zone` (a child below the zone
  // entered, found by a chain of trust): what lies above it is known.
  void zone_moved_down(const dns::Name& zone);

  // Decides what the next query of the question to `zone`'s servers asks
  // (asked_minimised(), asked_name(), asked_type() until the next call).
  void prepare_query(const dns::Name& zone, Protocol protocol);
  [[nodiscard]] bool asked_minimised() const { return asked_minimised_; }
  [[nodiscard]] dns::Name asked_name(const dns::Name& zone) const;
  [[nodiscard]] uint16_t asked_type() const;
  // The type the next query to `zone`'s servers would ask.
  [[nodiscard]] uint16_t type_for(const dns::Name& zone) const;

  // The next query to `zone`'s servers would ask a minimised name.
  [[nodiscard]] bool will_minimise(const dns::Name& zone) const { return minimising(zone); }
  // The minimised query in flight timed out. True when that gave up
  // minimising (state is FullName now): the full name is asked next.
  bool on_timeout();
  // The zone's servers drop minimised queries (they just timed out on
  // them): the full name from now on.
  void give_up() {
    if (state_ == State::Minimising) state_ = State::FullName;
  }

  // A response to the minimised query `asked`, with `rcode`, as validated.
  Reaction on_response(const ValidatedResponse& vr, uint16_t rcode, const dns::Name& asked);

  [[nodiscard]] State state() const { return state_; }

 private:
  [[nodiscard]] bool minimising(const dns::Name& zone) const;
  [[nodiscard]] unsigned next_labels(const dns::Name& zone) const;

  State state_;
  dns::Name qname_;
  uint16_t qtype_;
  unsigned known_labels_ = 0;  // labels of the deepest name below the zone known not to be a cut
  unsigned minimised_sent_ = 0;
  unsigned timeouts_in_row_ = 0;  // of minimised queries, since the last response or zone
  bool asked_minimised_ = false;  // the query in flight asks a minimised name
};

}  // namespace flatns::resolver
