// QNAME minimisation for the Lookup (RFC 9156), relaxed like Unbound's
// default (qname-minimisation-strict: no): each zone's servers learn only the
// next label below the zone, asked with type A (RFC 9156 §3: it hides the
// real type and is answered correctly by more servers than NS), until a
// referral or the full name.
#include <algorithm>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "resolver-client/resolution.h"

namespace flatns::resolver {

namespace {

// Minimised queries per Lookup before the full name is asked (Unbound's
// MAX_MINIMISE_COUNT): bounds the extra queries a very deep name costs.
constexpr unsigned kMaxMinimisedQueries = 10;

}  // namespace

bool Lookup::minimising() const {
  if (!minimise_ || phase_ != Phase::Query || minimised_sent_ >= kMaxMinimisedQueries) return false;
  const dns::Name& below = (qtype_ == dns::rrtype::DS && !qname_.is_root()) ? qname_.parent() : qname_;
  const unsigned next = std::max<unsigned>(known_labels_, static_cast<unsigned>(zone_.labels())) + 1;
  return next <= static_cast<unsigned>(below.labels()) &&
         next < static_cast<unsigned>(qname_.labels()) && qname_.is_subdomain_of(zone_);
}

dns::Name Lookup::question_name() const {
  if (!asked_minimised_) return qname_;
  const int next = std::max(static_cast<int>(known_labels_), zone_.labels()) + 1;
  dns::Name out;
  (void)dns::Name::from_wire(dns::strip_labels(qname_.wire(), qname_.labels() - next), out);
  return out;
}

bool Lookup::on_minimised_response(const ServerAddress& server, const dns::Message& msg,
                                   const ValidatedResponse& vr) {
  Resolver& r = res_.resolver;
  const dns::Name asked = question_name();
  auto full_name_from_now_on = [&](const std::string& why) {
    r.log(LogLevel::Debug, "resolver: " + server_label(server) + " (zone " + zone_.to_text() +
                               ") answered the minimised query " + asked.to_text() + " with " +
                               why + "; asking the full name " + qname_.to_text());
    minimise_ = false;
    tried_.clear();
    next_server();
    return true;
  };
  switch (vr.kind) {
    case ResponseKind::Referral:
      return false;  // followed as usual; the child's servers get the next label
    case ResponseKind::Unusable: {
      const uint16_t rc = msg.rcode();
      if (rc == dns::rcode::REFUSED || rc == dns::rcode::FORMERR || rc == dns::rcode::NOTIMP) {
        return full_name_from_now_on(dns::rcode_to_text(rc));
      }
      return false;  // SERVFAIL, lame: the next server, as for any query
    }
    case ResponseKind::NxDomain:
      if (vr.verdict.is_secure()) {
        // RFC 8020: nothing exists below a proven NXDOMAIN (Unbound's
        // harden-below-nxdomain), so the full name does not exist either.
        LookupOutcome o;
        o.kind = LookupOutcome::Kind::NxDomain;
        o.verdict = vr.verdict;
        o.ttl = vr.ttl;
        finish(std::move(o));
        return true;
      }
      // Unsigned: some servers answer NXDOMAIN for empty non-terminals.
      return full_name_from_now_on("NXDOMAIN");
    default:
      // The name exists in this zone and is no cut here: one label further.
      ++known_labels_;
      known_labels_ = std::max<unsigned>(known_labels_, static_cast<unsigned>(asked.labels()));
      tried_.clear();
      next_server();
      return true;
  }
}

}  // namespace flatns::resolver
