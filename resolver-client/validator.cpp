#include "resolver-client/validator.h"

#include <algorithm>
#include <string>

#include "dns/dnssec.h"
#include "dns/message.h"
#include "dns/limits.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/type_bitmap.h"
#include "resolver-client/val_nsec.h"
#include "resolver-client/val_nsec3.h"

namespace flatns::resolver {

const char* to_string(ResponseKind k) {
  switch (k) {
    case ResponseKind::Answer: return "answer";
    case ResponseKind::CnameExit: return "cname";
    case ResponseKind::NxDomain: return "nxdomain";
    case ResponseKind::NoData: return "nodata";
    case ResponseKind::Referral: return "referral";
    case ResponseKind::Unusable: return "unusable";
  }
  return "unusable";
}

namespace {

using dns::kMaxCnameChain;

// One validation of a response: the grouped sections, the zone's keys, the
// verdict and TTL so far.
class ResponseValidation {
 public:
  ResponseValidation(const dns::Message& msg, const ZoneKeys& keys, ValidationContext& ctx)
      : keys_(keys), ctx_(ctx), answer_(group_rrsets(msg.answer)),
        authority_(group_rrsets(msg.authority)) {
    out_.verdict = keys.verdict.security == Security::Secure ? Verdict::secure(keys.zone)
                                                             : keys.verdict;
  }

  bool secure_keys() const { return keys_.verdict.security == Security::Secure; }
  const std::vector<SignedRrset>& answer() const { return answer_; }
  const std::vector<SignedRrset>& authority() const { return authority_; }
  ValidatedResponse& out() { return out_; }
  const dns::Name& zone() const { return keys_.zone; }

  void fail(const Verdict& v) { out_.verdict = combine(out_.verdict, v); }
  void bogus(BogusReason r, std::string detail) {
    fail(Verdict::bogus(keys_.zone, r, std::move(detail)));
  }
  void insecure(InsecureReason r, std::string detail) {
    fail(Verdict::insecure(keys_.zone, r, std::move(detail)));
  }
  void take_ttl(uint32_t ttl) { out_.ttl = have_ttl_ ? std::min(out_.ttl, ttl) : ttl; have_ttl_ = true; }

  // Validates one RRset's signatures; false when it did not validate (the
  // verdict has been updated).
  RrsetCheck check(const SignedRrset& rrset) {
    if (secure_keys()) {
      if (auto below = signer_below_zone(rrset)) {
        RrsetCheck c;
        c.verdict = Verdict::indeterminate(dns::type_to_text(rrset.type) + " " +
                                           rrset.owner.to_text() + " is signed by " +
                                           below->to_text() + ", a zone below " +
                                           keys_.zone.to_text() + ": its keys are needed");
        c.verdict.zone = *below;
        out_.needs_keys_for = *below;
        fail(c.verdict);
        return c;
      }
    }
    RrsetCheck c = verify_rrset(rrset, keys_, ctx_);
    if (secure_keys()) {
      if (c.verdict.security == Security::Secure) {
        take_ttl(c.ttl);
      } else {
        fail(c.verdict);
      }
    } else {
      take_ttl(rrset.ttl);
    }
    return c;
  }

  // The signer of `rrset` when every RRSIG names the same zone strictly below
  // this one and above the owner.
  std::optional<dns::Name> signer_below_zone(const SignedRrset& rrset) const {
    std::optional<dns::Name> signer;
    for (const auto& sig_rdata : rrset.rrsigs) {
      dns::RrsigRdata sig;
      dns::Name name;
      if (!dns::parse_rrsig(sig_rdata, sig) || !dns::Name::from_wire(sig.signer, name)) {
        return std::nullopt;
      }
      if (name == keys_.zone || !name.is_subdomain_of(keys_.zone) ||
          !rrset.owner.is_subdomain_of(name) || (signer && !(*signer == name))) {
        return std::nullopt;
      }
      signer = name;
    }
    return signer;
  }

  // The validated denial records show `name` as a delegation point: NS set,
  // SOA clear, at the NSEC or matching NSEC3 of the name itself.
  bool denial_shows_cut(const dns::Name& name) {
    if (!secure_keys()) return false;
    collect_denial();
    auto cut = [](std::span<const uint8_t> bitmap) {
      return dns::type_bitmap_has(bitmap, dns::rrtype::NS) &&
             !dns::type_bitmap_has(bitmap, dns::rrtype::SOA);
    };
    for (const auto& n : nsecs_) {
      if (n.owner == name) return cut(n.bitmap);
    }
    if (const Nsec3Record* m = nsec3_matching(nsec3_, name)) return cut(m->bitmap);
    return false;
  }

  // The authority section's NSEC/NSEC3 RRsets of this zone that validate.
  void collect_denial() {
    if (denial_collected_) return;
    denial_collected_ = true;
    for (const auto& set : authority_) {
      if ((set.type != dns::rrtype::NSEC && set.type != dns::rrtype::NSEC3) ||
          !set.owner.is_subdomain_of(keys_.zone)) {
        continue;
      }
      if (!secure_keys()) continue;
      // check() also notices NSECs signed by a child zone on the same servers.
      const RrsetCheck c = check(set);
      if (c.verdict.security != Security::Secure) continue;
      validated_denial_.push_back(&set);
    }
    nsecs_ = nsec_records(validated_denial_);
    nsec3_ = nsec3_records(validated_denial_, keys_.zone, ctx_.options, &ctx_.budget);
  }

  // Applies a denial proof; `nsec_ok` for NSEC and `nsec3` for NSEC3.
  template <typename NsecProof, typename Nsec3Proof>
  void require_denial(const std::string& what, NsecProof nsec_ok, Nsec3Proof nsec3,
                      InsecureReason opt_out_reason = InsecureReason::OptOut) {
    if (!secure_keys()) return;
    collect_denial();
    if (out_.needs_keys_for) return;  // the denial is the child's to prove
    std::string why;
    if (!nsecs_.empty()) {
      if (nsec_ok(nsecs_, why)) return;
    } else {
      switch (nsec3_.usability) {
        case Nsec3Usability::IterationsTooHigh:
          insecure(InsecureReason::Nsec3IterationsTooHigh,
                   what + ": NSEC3 iterations " +
                       std::to_string(nsec3_.records.front().iterations) + " above " +
                       std::to_string(ctx_.options.max_nsec3_iterations));
          return;
        case Nsec3Usability::UnknownHash:
          insecure(InsecureReason::UnknownNsec3Hash, what + ": unknown NSEC3 hash algorithm");
          return;
        case Nsec3Usability::Usable:
          switch (nsec3(nsec3_, why)) {
            case DenialResult::Proven: return;
            case DenialResult::OptOut: insecure(opt_out_reason, what + ": NSEC3 opt-out"); return;
            case DenialResult::NotProven:
              if (ctx_.budget.nsec3_hashes_exhausted()) {
                bogus(BogusReason::TooMuchWork,
                      what + ": more than " + std::to_string(ctx_.budget.max_nsec3_hashes) +
                          " NSEC3 hashes in this resolution");
                return;
              }
              break;
          }
          break;
        case Nsec3Usability::NoRecords:
          if (out_.verdict.security == Security::Bogus) return;  // the NSECs failed already
          bogus(BogusReason::MissingDenial, what + ": no NSEC or NSEC3 records");
          return;
      }
    }
    if (out_.verdict.security == Security::Bogus) return;
    bogus(BogusReason::BadDenial, what + ": " + why);
  }

 private:
  const ZoneKeys& keys_;
  ValidationContext& ctx_;
  std::vector<SignedRrset> answer_, authority_;
  ValidatedResponse out_;
  bool have_ttl_ = false;
  bool denial_collected_ = false;
  std::vector<const SignedRrset*> validated_denial_;
  std::vector<NsecRecord> nsecs_;
  Nsec3Set nsec3_;
};

// The CNAME target of a one-record CNAME RRset.
bool cname_target(const SignedRrset& set, dns::Name& out) {
  if (set.rdatas.size() != 1) return false;
  return dns::Name::from_wire(set.rdatas.front(), out);
}

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

// RFC 2308 §5: a negative answer lives as long as the SOA's TTL and MINIMUM allow.
void take_soa_ttl(ResponseValidation& v) {
  for (const auto& set : v.authority()) {
    if (set.type != dns::rrtype::SOA || !(set.owner == v.zone())) continue;
    const RrsetCheck c = v.check(set);
    (void)c;
    if (set.rdatas.empty()) continue;  // RRSIGs over SOA without the SOA itself
    if (const auto soa = dns::soa_numbers(set.rdatas.front())) v.take_ttl(soa->minimum);
  }
}

// A referral from this zone: NS RRset at a child name in the authority
// section, no SOA; the DS RRset (signed by this zone) or a proof of its absence.
void validate_referral(ResponseValidation& v, const SignedRrset& ns) {
  auto& out = v.out();
  out.kind = ResponseKind::Referral;
  out.next_name = ns.owner;
  const dns::Name& child = ns.owner;
  out.delegation.zone = child;
  const std::string what = "referral to " + child.to_text();
  if (const SignedRrset* ds = find_rrset(v.authority(), child, dns::rrtype::DS)) {
    const RrsetCheck c = v.check(*ds);
    out.delegation.verdict = c.verdict;
    if (c.verdict.security == Security::Secure) {
      out.delegation.ds = ds->rdatas;
      out.delegation.ttl = c.ttl;
    }
    return;
  }
  if (!v.secure_keys()) {
    out.delegation.verdict = out.verdict;
    return;
  }
  const Verdict before = out.verdict;
  v.require_denial(
      what,
      [&](std::span<const NsecRecord> nsecs, std::string& why) {
        return nsec_proves_no_ds(nsecs, child, why);
      },
      [&](const Nsec3Set& set, std::string& why) { return nsec3_proves_no_ds(set, child, why); });
  if (out.verdict.security == Security::Secure) {
    // The referral itself is secure; the child is provably unsigned.
    out.delegation.verdict = Verdict::insecure(child, InsecureReason::UnsignedDelegation,
                                               "no DS for " + child.to_text() + " in " +
                                                   v.zone().to_text());
  } else {
    out.delegation.verdict = out.verdict;
    if (out.verdict.security == Security::Insecure) {
      // Opt-out or iteration limits make the child insecure, not the referral bogus.
      out.delegation.verdict.zone = child;
      out.verdict = before;
    }
  }
}

}  // namespace

ValidatedResponse validate_response(const dns::Message& response, const dns::Name& qname,
                                    uint16_t qtype, const ZoneKeys& keys,
                                    ValidationContext& ctx) {
  ResponseValidation v(response, keys, ctx);
  auto& out = v.out();
  const uint16_t rcode = response.rcode();
  if (rcode != dns::rcode::NOERROR && rcode != dns::rcode::NXDOMAIN) {
    out.kind = ResponseKind::Unusable;
    out.verdict = Verdict::indeterminate("rcode " + std::to_string(rcode) + " from " +
                                         keys.zone.to_text());
    return out;
  }

  // Follow the answer section from qname through CNAMEs in this zone.
  dns::Name name = qname;
  for (unsigned step = 0; step <= kMaxCnameChain; ++step) {
    if (!name.is_subdomain_of(keys.zone)) {
      out.kind = ResponseKind::CnameExit;
      out.next_name = name;
      return out;
    }
    if (const SignedRrset* dname = dname_above(v.answer(), name, keys.zone)) {
      // RFC 6672 §5.3.3: the synthesised CNAME is unsigned; the DNAME is what
      // validates, and the substitution gives the next name.
      if (dname->rdatas.size() != 1) {
        v.bogus(BogusReason::Malformed, "DNAME " + dname->owner.to_text() + " has not one target");
        out.kind = ResponseKind::Unusable;
        return out;
      }
      (void)v.check(*dname);
      dns::Name target;
      if (!dname_substitute(name, *dname, target)) {
        out.kind = ResponseKind::Unusable;
        out.verdict = combine(out.verdict, Verdict::indeterminate(
                                               "DNAME substitution of " + name.to_text() +
                                               " is longer than 255 octets"));
        return out;
      }
      name = target;
      continue;
    }
    const SignedRrset* hit = find_rrset(v.answer(), name, qtype);
    const SignedRrset* cname =
        qtype == dns::rrtype::CNAME ? nullptr : find_rrset(v.answer(), name, dns::rrtype::CNAME);
    const SignedRrset* rrset = hit != nullptr && !hit->rdatas.empty() ? hit : cname;
    // After a CNAME, data this zone does not vouch for (signed by a zone
    // below, unsigned, or absent without this zone's SOA) means the target
    // lies below a cut: resolve the rest there, trusting none of it here.
    const bool elsewhere =
        step > 0 && v.secure_keys() &&
        (rrset == nullptr || rrset->rdatas.empty()
             ? rcode == dns::rcode::NOERROR &&
                   find_rrset(v.authority(), keys.zone, dns::rrtype::SOA) == nullptr
             : rrset->rrsigs.empty() || v.signer_below_zone(*rrset).has_value());
    if (elsewhere) {
      out.kind = ResponseKind::CnameExit;
      out.next_name = name;
      return out;
    }
    if (rrset == nullptr || rrset->rdatas.empty()) break;
    const RrsetCheck c = v.check(*rrset);
    if (c.wildcard_expanded && v.secure_keys()) {
      out.wildcard_answer = true;
      const std::string what = "wildcard answer " + name.to_text();
      v.require_denial(
          what,
          [&](std::span<const NsecRecord> nsecs, std::string& why) {
            return nsec_proves_wildcard_answer(nsecs, name, c.wildcard_parent, keys.zone, why);
          },
          [&](const Nsec3Set& set, std::string& why) {
            return nsec3_proves_wildcard_answer(set, name, c.wildcard_parent, why);
          });
    }
    if (rrset == hit) {
      out.kind = ResponseKind::Answer;
      if (qtype == dns::rrtype::DS) {
        out.delegation.zone = name;
        out.delegation.verdict = c.verdict;
        if (c.verdict.security == Security::Secure) {
          out.delegation.ds = hit->rdatas;
          out.delegation.ttl = c.ttl;
        }
      }
      return out;
    }
    dns::Name target;
    if (!cname_target(*rrset, target)) {
      v.bogus(BogusReason::Malformed, "CNAME " + name.to_text() + " has not exactly one target");
      out.kind = ResponseKind::Unusable;
      return out;
    }
    name = target;
    if (step == kMaxCnameChain) {
      out.kind = ResponseKind::Unusable;
      out.verdict = combine(out.verdict,
                            Verdict::indeterminate("CNAME chain from " + qname.to_text() +
                                                   " longer than " +
                                                   std::to_string(kMaxCnameChain)));
      return out;
    }
  }
  if (!name.is_subdomain_of(keys.zone)) {
    out.kind = ResponseKind::CnameExit;
    out.next_name = name;
    return out;
  }

  // No answer RRset for `name`: a name error, a referral or no data.
  const std::string what = dns::type_to_text(qtype) + " " + name.to_text();
  if (rcode == dns::rcode::NXDOMAIN) {
    out.kind = ResponseKind::NxDomain;
    take_soa_ttl(v);
    v.require_denial(
        "NXDOMAIN " + what,
        [&](std::span<const NsecRecord> nsecs, std::string& why) {
          return nsec_proves_name_error(nsecs, name, keys.zone, why);
        },
        [&](const Nsec3Set& set, std::string& why) {
          return nsec3_proves_name_error(set, name, why);
        });
    return out;
  }
  const bool has_soa = find_rrset(v.authority(), keys.zone, dns::rrtype::SOA) != nullptr;
  if (!has_soa && qtype != dns::rrtype::DS) {
    for (const auto& set : v.authority()) {
      if (set.type == dns::rrtype::NS && !set.rdatas.empty() && !(set.owner == keys.zone) &&
          set.owner.is_subdomain_of(keys.zone) && name.is_subdomain_of(set.owner)) {
        validate_referral(v, set);
        return out;
      }
    }
    if (response.answer.empty() && !response.has_flag(dns::flag::AA)) {
      out.kind = ResponseKind::Unusable;
      out.verdict = Verdict::indeterminate("neither answer, referral nor SOA for " + what +
                                           " from " + keys.zone.to_text());
      return out;
    }
  }
  out.kind = ResponseKind::NoData;
  take_soa_ttl(v);
  const Verdict before = out.verdict;
  v.require_denial(
      "NODATA " + what,
      [&](std::span<const NsecRecord> nsecs, std::string& why) {
        return nsec_proves_nodata(nsecs, name, qtype, keys.zone, why);
      },
      [&](const Nsec3Set& set, std::string& why) {
        return nsec3_proves_nodata(set, name, qtype, why);
      });
  if (qtype == dns::rrtype::DS) {
    out.delegation.zone = name;
    if (out.verdict.security == Security::Secure) {
      out.delegation.verdict = Verdict::insecure(name, InsecureReason::UnsignedDelegation,
                                                 "no DS for " + name.to_text());
      out.ds_denied_at_cut = v.denial_shows_cut(name);
    } else if (out.verdict.security == Security::Insecure && before.security == Security::Secure &&
               out.verdict.insecure_reason == InsecureReason::OptOut) {
      // An opt-out DS denial: the parent's answer is fine, the child is unsigned.
      out.delegation.verdict = out.verdict;
      out.delegation.verdict.zone = name;
      out.verdict = before;
    } else {
      out.delegation.verdict = out.verdict;
    }
  }
  return out;
}

ZoneKeys validate_dnskey_response(const dns::Message& response, const DsSet& ds,
                                  ValidationContext& ctx) {
  if (ds.verdict.security != Security::Secure) {
    ZoneKeys keys;
    keys.zone = ds.zone;
    keys.verdict = ds.verdict;
    return keys;
  }
  const auto answer = group_rrsets(response.answer);
  const SignedRrset* dnskeys = find_rrset(answer, ds.zone, dns::rrtype::DNSKEY);
  if (dnskeys == nullptr) {
    ZoneKeys keys;
    keys.zone = ds.zone;
    keys.verdict = Verdict::bogus(ds.zone, BogusReason::NoDnskey,
                                  "no DNSKEY RRset in the answer for " + ds.zone.to_text() +
                                      " (rcode " + std::to_string(response.rcode()) + ")");
    return keys;
  }
  return validate_dnskeys(*dnskeys, ds, ctx);
}

}  // namespace flatns::resolver
