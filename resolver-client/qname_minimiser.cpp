#include "resolver-client/qname_minimiser.h"

#include <algorithm>

#include "dns/message.h"
#include "dns/rrtype.h"

namespace flatns::resolver {

namespace {

// Minimised queries per Iteration before the full name is asked (Unbound's
// MAX_MINIMISE_COUNT): bounds the extra queries a very deep name costs.
constexpr unsigned kMaxMinimisedQueries = 10;
// Minimised queries timed out in a row before the full name is asked
// (Unbound's MAX_MINIMISE_TIMEOUT_COUNT): a zone with one server is asked
// minimised three times, then the full name once more and for whatever
// retry rounds (iteration.cpp) are left.
constexpr unsigned kMaxMinimisedTimeouts = 3;

}  // namespace

QnameMinimiser::QnameMinimiser(bool enabled, const dns::Name& qname, uint16_t qtype)
    : state_(enabled ? State::Minimising : State::Off), qname_(qname), qtype_(qtype) {}

void QnameMinimiser::enter_zone(const dns::Name& zone) {
  known_labels_ = static_cast<unsigned>(zone.labels());
  timeouts_in_row_ = 0;
}

void QnameMinimiser::zone_moved_down(const dns::Name& zone) {
  known_labels_ = std::max<unsigned>(known_labels_, static_cast<unsigned>(zone.labels()));
}

unsigned QnameMinimiser::next_labels(const dns::Name& zone) const {
  return std::max<unsigned>(known_labels_, static_cast<unsigned>(zone.labels())) + 1;
}

bool QnameMinimiser::minimising(const dns::Name& zone) const {
  if (state_ != State::Minimising || minimised_sent_ >= kMaxMinimisedQueries) return false;
  // A DS lives in the parent: the name below which to minimise is its parent.
  const dns::Name& below = (qtype_ == dns::rrtype::DS && !qname_.is_root()) ? qname_.parent() : qname_;
  const unsigned next = next_labels(zone);
  return next <= static_cast<unsigned>(below.labels()) &&
         next < static_cast<unsigned>(qname_.labels()) && qname_.is_subdomain_of(zone);
}

void QnameMinimiser::prepare_query(const dns::Name& zone, Protocol protocol) {
  asked_minimised_ = minimising(zone);
  if (asked_minimised_ && protocol == Protocol::Udp) ++minimised_sent_;
}

dns::Name QnameMinimiser::asked_name(const dns::Name& zone) const {
  if (!asked_minimised_) return qname_;
  const int next = static_cast<int>(next_labels(zone));
  dns::Name out;
  (void)dns::Name::from_wire(dns::strip_labels(qname_.wire(), qname_.labels() - next), out);
  return out;
}

uint16_t QnameMinimiser::asked_type() const { return asked_minimised_ ? dns::rrtype::A : qtype_; }

uint16_t QnameMinimiser::type_for(const dns::Name& zone) const {
  return minimising(zone) ? dns::rrtype::A : qtype_;
}

bool QnameMinimiser::on_timeout() {
  if (!asked_minimised_ || state_ != State::Minimising) return false;
  if (++timeouts_in_row_ < kMaxMinimisedTimeouts) return false;
  state_ = State::FullName;
  return true;
}

QnameMinimiser::Reaction QnameMinimiser::on_response(const ValidatedResponse& vr, uint16_t rcode,
                                                     const dns::Name& asked) {
  timeouts_in_row_ = 0;
  switch (vr.kind) {
    case ResponseKind::Referral:
      return Reaction::UseAsUsual;  // followed as usual; the child's servers get the next label
    case ResponseKind::Unusable:
      if (rcode == dns::rcode::REFUSED || rcode == dns::rcode::FORMERR ||
          rcode == dns::rcode::NOTIMP) {
        state_ = State::FullName;
        return Reaction::FullName;
      }
      return Reaction::UseAsUsual;  // SERVFAIL, lame: the next server, as for any query
    case ResponseKind::YxDomain:
      state_ = State::FullName;  // the full name's own answer says more
      return Reaction::FullName;
    case ResponseKind::NxDomain:
      // RFC 8020: nothing exists below a proven NXDOMAIN (Unbound's
      // harden-below-nxdomain), so the full name does not exist either.
      if (vr.verdict.is_secure()) return Reaction::NxDomain;
      // Unsigned: some servers answer NXDOMAIN for empty non-terminals.
      state_ = State::FullName;
      return Reaction::FullName;
    default:
      // The name exists in this zone and is no cut here: one label further.
      ++known_labels_;
      known_labels_ = std::max<unsigned>(known_labels_, static_cast<unsigned>(asked.labels()));
      return Reaction::NextLabel;
  }
}

}  // namespace flatns::resolver
