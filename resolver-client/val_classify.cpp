#include "resolver-client/val_classify.h"

#include <algorithm>

#include "dns/dnssec.h"
#include "dns/message.h"
#include "dns/rrtype.h"

namespace flatns::resolver {

const char* to_string(ResponseClass c) {
  switch (c) {
    case ResponseClass::Positive: return "positive";
    case ResponseClass::Cname: return "cname";
    case ResponseClass::NoData: return "nodata";
    case ResponseClass::NameError: return "nameerror";
    case ResponseClass::Referral: return "referral";
    case ResponseClass::Any: return "any";
    case ResponseClass::Rrsig: return "rrsig";
    case ResponseClass::Unusable: return "unusable";
  }
  return "unusable";
}

ResponseSections::ResponseSections(const dns::Message& msg)
    : answer(group_answer_rrsets(msg)), authority(group_rrsets(msg.authority)) {}

std::optional<dns::Name> signer_below_zone(const SignedRrset& rrset, const dns::Name& zone) {
  std::optional<dns::Name> signer;
  for (const auto& sig_rdata : rrset.rrsigs) {
    dns::RrsigRdata sig;
    dns::Name name;
    if (!dns::parse_rrsig(sig_rdata, sig) || !dns::Name::from_wire(sig.signer, name)) {
      return std::nullopt;
    }
    if (name == zone || !name.is_subdomain_of(zone) || !rrset.owner.is_subdomain_of(name) ||
        (signer && !(*signer == name))) {
      return std::nullopt;
    }
    signer = name;
  }
  return signer;
}

namespace {

// A DNAME RRset in `answer` owned by a proper ancestor of `name` inside `zone`.
const SignedRrset* dname_above(const std::vector<SignedRrset>& answer, const dns::Name& name,
                               const dns::Name& zone) {
  for (const auto& set : answer) {
    if (set.type == dns::rrtype::DNAME && !set.rdatas.empty() && !(set.owner == name) &&
        name.is_subdomain_of(set.owner) && set.owner.is_subdomain_of(zone)) {
      return &set;
    }
  }
  return nullptr;
}

// `name` with the DNAME owner suffix replaced by its target.
bool dname_substitute(const dns::Name& name, const SignedRrset& dname, dns::Name& out) {
  const auto wire = name.wire();
  std::vector<uint8_t> joined(wire.begin(), wire.end() - static_cast<std::ptrdiff_t>(dname.owner.size()));
  const auto& target = dname.rdatas.front();
  joined.insert(joined.end(), target.begin(), target.end());
  return dns::Name::from_wire(joined, out);
}

// The CNAME target of a one-record CNAME RRset.
bool cname_target(const SignedRrset& set, dns::Name& out) {
  if (set.rdatas.size() != 1) return false;
  return dns::Name::from_wire(set.rdatas.front(), out);
}

// A name with both a CNAME and the qtype RRset (RFC 2181 §10.1 forbids it):
// the one the answer section lists first decides, as in Unbound. A server
// lists the CNAME first when it took the name for an alias and went on to
// the target (RFC 1034 §4.3.2 step 3a); both RRsets are validated either way.
bool cname_listed_first(const dns::Message& response, const dns::Name& name, uint16_t qtype) {
  for (const auto& rr : response.answer) {
    if (!(rr.owner == name)) continue;
    if (rr.type == dns::rrtype::CNAME) return true;
    if (rr.type == qtype) return false;
  }
  return false;
}

bool has_zone_soa(const ResponseSections& s, const dns::Name& zone) {
  return find_rrset(s.authority, zone, dns::rrtype::SOA) != nullptr;
}

// The class of a response with no answer RRset at `c.name` (the end of the
// chain): a name error, a referral, no data, or nothing usable.
void classify_no_answer(const dns::Message& response, const ResponseSections& s, uint16_t qtype,
                        const dns::Name& zone, bool forwarded, Classification& c) {
  if (response.rcode() == dns::rcode::NXDOMAIN) {
    c.cls = ResponseClass::NameError;
    return;
  }
  if (!has_zone_soa(s, zone)) {
    // Forwarders answer with recursion: their NS records are no referral.
    for (const auto& set : s.authority) {
      if (forwarded) break;
      // A DS question is answered by the parent: NS at the name itself is no
      // referral for it, NS above it is (the root refers "DS sub.example.com."
      // to com., as in Unbound's val_qds_* scenarios).
      if (set.type == dns::rrtype::NS && !set.rdatas.empty() && !(set.owner == zone) &&
          set.owner.is_subdomain_of(zone) && c.name.is_subdomain_of(set.owner) &&
          !(qtype == dns::rrtype::DS && set.owner == c.name)) {
        c.cls = ResponseClass::Referral;
        c.referral = &set;
        return;
      }
    }
    // NSEC/NSEC3 in the authority section make it a NODATA whose denial is
    // then checked, even without AA and SOA (as Unbound reads it).
    bool denial = false;
    for (const auto& set : s.authority) {
      denial = denial || set.type == dns::rrtype::NSEC || set.type == dns::rrtype::NSEC3;
    }
    const bool loops = std::any_of(c.links.begin(), c.links.end(),
                                   [&](const ChainLink& l) { return l.name == c.name; });
    if (!c.links.empty() && !denial && !loops) {
      // A CNAME chain that stops at a name with neither data nor a denial
      // (a forwarder's partial answer): the rest of the chain is asked on
      // its own, as Unbound does, instead of reading NODATA into it.
      c.exits = true;
      c.cls = ResponseClass::Cname;
      return;
    }
    // The SOA of a zone below this one that holds the name: the servers
    // serve that child too and answer NODATA from it (Unbound's
    // val_cnametonsec); the validation then finds the child's keys or its
    // proven absence of DS.
    const bool child_soa = std::any_of(s.authority.begin(), s.authority.end(), [&](const auto& set) {
      return set.type == dns::rrtype::SOA && !set.rdatas.empty() && set.owner.is_subdomain_of(zone) &&
             !(set.owner == zone) && c.name.is_subdomain_of(set.owner);
    });
    // A forwarder's NOERROR without answer or SOA is its NODATA; from an
    // authority only when AA vouches for it. NS records above the zone
    // ("upward referral", often the root's) are a lame server's, whatever
    // its AA bit says (Unbound: iter_lame_aaaa).
    const bool upward = std::any_of(s.authority.begin(), s.authority.end(), [&](const auto& set) {
      return set.type == dns::rrtype::NS && !set.owner.is_subdomain_of(zone);
    });
    // A forwarder's upward NS (iter_scrub_ns_fwd) is as lame as an authority's.
    if (qtype != dns::rrtype::DS && response.answer.empty() && !denial && !child_soa &&
        ((!response.has_flag(dns::flag::AA) && !forwarded) || upward)) {
      c.cls = ResponseClass::Unusable;
      c.unusable = UnusableShape::NoAnswerNoSoa;
      return;
    }
  }
  c.cls = ResponseClass::NoData;
}

Classification unusable(Classification c, UnusableShape shape) {
  c.cls = ResponseClass::Unusable;
  c.unusable = shape;
  return c;
}

Classification chain_exit(Classification c) {
  c.cls = ResponseClass::Cname;
  c.exits = true;
  return c;
}

// After a link, data this zone does not vouch for (signed by a zone below,
// unsigned, or absent without this zone's SOA) means the target lies below
// a cut: the rest is resolved there, and none of it is trusted here.
bool vouched_elsewhere(const dns::Message& response, const ResponseSections& s,
                       const SignedRrset* rrset, const dns::Name& zone) {
  if (rrset == nullptr || rrset->rdatas.empty()) {
    return response.rcode() == dns::rcode::NOERROR && !has_zone_soa(s, zone);
  }
  return rrset->rrsigs.empty() || signer_below_zone(*rrset, zone).has_value();
}

Classification classify_chain(const dns::Message& response, const ResponseSections& s,
                              const dns::Name& qname, uint16_t qtype, const ZoneKeys& keys,
                              bool forwarded) {
  Classification c;
  c.name = qname;
  const uint16_t rcode = response.rcode();
  const dns::Name& zone = keys.zone;
  const bool secure = keys.verdict.security == Security::Secure;
  if (qtype == dns::rrtype::ANY && rcode == dns::rcode::NOERROR && qname.is_subdomain_of(zone)) {
    for (const auto& set : s.answer) {
      if (set.owner == qname && !set.rdatas.empty()) {
        c.cls = ResponseClass::Any;
        return c;
      }
    }
  }
  if (qtype == dns::rrtype::RRSIG && rcode == dns::rcode::NOERROR) {
    // RRSIGs asked for are grouped with the RRset they cover, absent here.
    for (const auto& set : s.answer) {
      if (set.owner == qname && !set.rrsigs.empty()) {
        c.cls = ResponseClass::Rrsig;
        return c;
      }
    }
  }
  for (int step = 0; step <= kMaxValidatedCnameLinks; ++step) {
    if (!c.name.is_subdomain_of(zone)) return chain_exit(std::move(c));
    if (const SignedRrset* dname = dname_above(s.answer, c.name, zone)) {
      if (dname->rdatas.size() != 1) {
        c.malformed = dname;
        return unusable(std::move(c), UnusableShape::MalformedDname);
      }
      c.links.push_back({ChainLink::Type::Dname, dname, c.name});
      dns::Name target;
      if (!dname_substitute(c.name, *dname, target)) {
        return unusable(std::move(c), UnusableShape::DnameTooLong);
      }
      if (qtype == dns::rrtype::CNAME) {
        // The CNAME the DNAME synthesises at this name is the answer
        // (RFC 6672 §3.3); its target is not followed.
        if (const SignedRrset* synth = find_rrset(s.answer, c.name, dns::rrtype::CNAME)) {
          dns::Name synth_target;
          if (cname_target(*synth, synth_target) && synth_target == target) {
            c.cls = ResponseClass::Cname;
            c.answer = synth;
            c.synthesised_answer = true;
            return c;
          }
        }
      }
      c.name = std::move(target);
      continue;
    }
    const SignedRrset* hit = find_rrset(s.answer, c.name, qtype);
    const SignedRrset* cname =
        qtype == dns::rrtype::CNAME ? nullptr : find_rrset(s.answer, c.name, dns::rrtype::CNAME);
    const bool data = hit != nullptr && !hit->rdatas.empty();
    const SignedRrset* rrset =
        data && !(cname != nullptr && cname_listed_first(response, c.name, qtype)) ? hit : cname;
    if (step > 0 && secure && vouched_elsewhere(response, s, rrset, zone)) {
      return chain_exit(std::move(c));
    }
    if (rrset == nullptr || rrset->rdatas.empty()) break;
    if (rrset == hit) {
      c.cls = c.links.empty() ? ResponseClass::Positive : ResponseClass::Cname;
      c.answer = hit;
      return c;
    }
    c.links.push_back({ChainLink::Type::Cname, rrset, c.name});
    dns::Name target;
    if (!cname_target(*rrset, target)) return unusable(std::move(c), UnusableShape::MalformedCname);
    if (step == kMaxValidatedCnameLinks) return unusable(std::move(c), UnusableShape::ChainTooLong);
    c.name = std::move(target);
  }
  // A DNAME as the last link allowed may lead out of the zone.
  if (!c.name.is_subdomain_of(zone)) return chain_exit(std::move(c));
  classify_no_answer(response, s, qtype, zone, forwarded, c);
  return c;
}

}  // namespace

Classification classify_response(const dns::Message& response, const ResponseSections& s,
                                  const dns::Name& qname, uint16_t qtype, const ZoneKeys& keys,
                                  bool forwarded) {
  const uint16_t rcode = response.rcode();
  if (rcode == dns::rcode::NOERROR || rcode == dns::rcode::NXDOMAIN) {
    return classify_chain(response, s, qname, qtype, keys, forwarded);
  }
  // YXDOMAIN answers only a DNAME whose substitution is too long (RFC 6672
  // §2.2): the chain to that DNAME is followed to be validated.
  if (rcode == dns::rcode::YXDOMAIN) {
    Classification c = classify_chain(response, s, qname, qtype, keys, forwarded);
    if (c.cls == ResponseClass::Unusable && c.unusable == UnusableShape::DnameTooLong) return c;
  }
  Classification c;
  c.name = qname;
  return unusable(std::move(c), UnusableShape::Rcode);
}

}  // namespace flatns::resolver
