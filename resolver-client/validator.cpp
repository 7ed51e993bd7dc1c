#include "resolver-client/validator.h"

#include <algorithm>
#include <string>

#include "dns/dnssec.h"
#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/type_bitmap.h"
#include "resolver-client/val_classify.h"
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
    case ResponseKind::YxDomain: return "yxdomain";
  }
  return "unusable";
}

namespace {

// One validation of a response: the grouped sections, the zone's keys, the
// verdict and TTL so far.
class ResponseValidation {
 public:
  ResponseValidation(const ResponseSections& sections, const ZoneKeys& keys, ValidationContext& ctx)
      : keys_(keys), ctx_(ctx), sections_(sections) {
    out_.verdict = keys.verdict.security == Security::Secure ? Verdict::secure(keys.zone)
                                                             : keys.verdict;
  }

  bool secure_keys() const { return keys_.verdict.security == Security::Secure; }
  const std::vector<SignedRrset>& answer() const { return sections_.answer; }
  const std::vector<SignedRrset>& authority() const { return sections_.authority; }
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
      if (auto below = signer_below_zone(rrset, keys_.zone)) {
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

  // Unsigned cuts the authority section's signed NSECs show, and those on
  // the way to `exit` (the chain's next name) its signed NSEC3s show. Pure:
  // a record that does not verify is passed over, not held against the answer.
  void note_unsigned_cuts(const dns::Name& exit) {
    if (!secure_keys()) return;
    note_nsec3_unsigned_cuts(exit);
    for (const auto& set : authority()) {
      if (set.type != dns::rrtype::NSEC || set.owner == keys_.zone ||
          !set.owner.is_subdomain_of(keys_.zone) || signer_below_zone(set, keys_.zone)) {
        continue;
      }
      const RrsetCheck c = verify_rrset(set, keys_, ctx_);
      if (c.verdict.security != Security::Secure || c.wildcard_expanded) continue;
      const SignedRrset* one[] = {&set};
      for (const auto& n : nsec_records(one)) {
        if (dns::type_bitmap_has(n.bitmap, dns::rrtype::NS) &&
            !dns::type_bitmap_has(n.bitmap, dns::rrtype::SOA) &&
            !dns::type_bitmap_has(n.bitmap, dns::rrtype::DS)) {
          out_.unsigned_cuts.push_back({n.owner, InsecureReason::UnsignedDelegation});
        }
      }
    }
  }

  // RFC 5155 §8.9: a name on the way to `exit` whose NSEC3 shows NS without
  // DS and SOA is an unsigned delegation; one whose next closer name an
  // opt-out span covers may be one (insecure, RFC 5155 §9.2).
  void note_nsec3_unsigned_cuts(const dns::Name& exit) {
    if (!exit.is_subdomain_of(keys_.zone) || exit == keys_.zone) return;
    std::vector<const SignedRrset*> verified;
    for (const auto& set : authority()) {
      if (set.type != dns::rrtype::NSEC3 || !set.owner.is_subdomain_of(keys_.zone) ||
          signer_below_zone(set, keys_.zone)) {
        continue;
      }
      const RrsetCheck c = verify_rrset(set, keys_, ctx_);
      if (c.verdict.security == Security::Secure && !c.wildcard_expanded) verified.push_back(&set);
    }
    if (verified.empty()) return;
    const Nsec3Set nsec3 = nsec3_records(verified, keys_.zone, ctx_.options, &ctx_.budget);
    if (nsec3.usability != Nsec3Usability::Usable) return;
    // From the label below the zone down to `exit`: the first cut found.
    for (int labels = keys_.zone.labels() + 1; labels <= exit.labels(); ++labels) {
      dns::Name n;
      if (!dns::Name::from_wire(dns::strip_labels(exit.wire(), exit.labels() - labels), n)) return;
      std::string why;
      switch (nsec3_proves_no_ds(nsec3, n, why)) {
        case DenialResult::Proven:
          out_.unsigned_cuts.push_back({n, InsecureReason::UnsignedDelegation});
          return;
        case DenialResult::OptOut:
          out_.unsigned_cuts.push_back({n, InsecureReason::OptOut});
          return;
        case DenialResult::NotProven:
          break;
      }
    }
  }

  // The authority section's NSEC/NSEC3 RRsets of this zone that validate.
  void collect_denial() {
    if (denial_collected_) return;
    denial_collected_ = true;
    for (const auto& set : authority()) {
      if ((set.type != dns::rrtype::NSEC && set.type != dns::rrtype::NSEC3) ||
          !set.owner.is_subdomain_of(keys_.zone)) {
        continue;
      }
      if (!secure_keys()) continue;
      // check() also notices NSECs signed by a child zone on the same servers.
      const RrsetCheck c = check(set);
      // An NSEC or NSEC3 is owned by a name that exists: one whose RRSIG
      // says it was expanded from a wildcard denies nothing (Unbound's
      // val_wcnsec_nods: *.test.'s NSEC renamed to deny a DS).
      if (c.verdict.security != Security::Secure || c.wildcard_expanded) continue;
      validated_denial_.push_back(&set);
      if (set.type == dns::rrtype::NSEC) out_.secure_nsecs.push_back(set.owner);
    }
    nsecs_ = nsec_records(validated_denial_);
    nsec3_ = nsec3_records(validated_denial_, keys_.zone, ctx_.options, &ctx_.budget);
  }

  // Applies a denial proof; `nsec_ok` for NSEC and `nsec3` for NSEC3.
  template <typename NsecProof, typename Nsec3Proof>
  void require_denial(const std::string& what, NsecProof nsec_ok, Nsec3Proof nsec3) {
    if (!secure_keys()) return;
    collect_denial();
    if (out_.needs_keys_for) return;  // the denial is the child's to prove
    std::string why;
    if (!nsecs_.empty()) {
      if (nsec_ok(nsecs_, why)) return;
    } else if (!nsec3_denial(what, nsec3, why)) {
      return;
    }
    if (out_.verdict.security == Security::Bogus) return;
    bogus(BogusReason::BadDenial, what + ": " + why);
  }

 private:
  // The NSEC3 half of require_denial(): false when it settled the verdict
  // (proven, opt-out, unusable NSEC3 or no records), true when the proof
  // failed with `why`.
  template <typename Nsec3Proof>
  bool nsec3_denial(const std::string& what, Nsec3Proof nsec3, std::string& why) {
    switch (nsec3_.usability) {
      case Nsec3Usability::IterationsTooHigh:
        insecure(InsecureReason::Nsec3IterationsTooHigh,
                 what + ": NSEC3 iterations " + std::to_string(nsec3_.records.front().iterations) +
                     " above " + std::to_string(ctx_.options.max_nsec3_iterations));
        return false;
      case Nsec3Usability::UnknownHash:
        insecure(InsecureReason::UnknownNsec3Hash, what + ": unknown NSEC3 hash algorithm");
        return false;
      case Nsec3Usability::Usable:
        switch (nsec3(nsec3_, why)) {
          case DenialResult::Proven: return false;
          case DenialResult::OptOut: insecure(InsecureReason::OptOut, what + ": NSEC3 opt-out"); return false;
          case DenialResult::NotProven:
            if (ctx_.budget.nsec3_hashes_exhausted()) {
              bogus(BogusReason::TooMuchWork, what + ": more than " +
                                                  std::to_string(ctx_.budget.max_nsec3_hashes) +
                                                  " NSEC3 hashes in this resolution");
              return false;
            }
            return true;
        }
        return true;
      case Nsec3Usability::NoRecords:
        if (out_.verdict.security == Security::Bogus) return false;  // the NSECs failed already
        bogus(BogusReason::MissingDenial, what + ": no NSEC or NSEC3 records");
        return false;
    }
    return true;
  }

  const ZoneKeys& keys_;
  ValidationContext& ctx_;
  const ResponseSections& sections_;
  ValidatedResponse out_;
  bool have_ttl_ = false;
  bool denial_collected_ = false;
  std::vector<const SignedRrset*> validated_denial_;
  std::vector<NsecRecord> nsecs_;
  Nsec3Set nsec3_;
};

// RFC 4035 §5.3.4: an RRset expanded from a wildcard needs the proof that
// no closer name exists.
void require_wildcard_proof(ResponseValidation& v, const RrsetCheck& c, const dns::Name& name) {
  if (!c.wildcard_expanded || !v.secure_keys()) return;
  v.out().wildcard_answer = true;
  v.require_denial(
      "wildcard answer " + name.to_text(),
      [&](std::span<const NsecRecord> nsecs, std::string& why) {
        return nsec_proves_wildcard_answer(nsecs, name, c.wildcard_parent, v.zone(), why);
      },
      [&](const Nsec3Set& set, std::string& why) {
        return nsec3_proves_wildcard_answer(set, name, c.wildcard_parent, why);
      });
}

// The CNAME and DNAME links from the query name, in order. The DNAME is
// what validates a substitution (RFC 6672 §5.3.3); the synthesised CNAME is
// unsigned and ignored.
void check_chain(ResponseValidation& v, const Classification& c) {
  for (const auto& link : c.links) {
    const RrsetCheck rc = v.check(*link.rrset);
    if (link.type == ChainLink::Type::Cname) {
      require_wildcard_proof(v, rc, link.name);
    } else if (rc.wildcard_expanded && v.secure_keys()) {
      // A DNAME signed as expanded from *.<parent>: wildcards never
      // synthesise a DNAME (RFC 4592 §4.4), so its substitution is forged
      // or broken (Unbound: bogus, val_dnamewc).
      v.bogus(BogusReason::Malformed, "DNAME " + link.rrset->owner.to_text() +
                                          " is signed as a wildcard expansion");
    }
  }
}

// RFC 2308 §5: a negative answer lives as long as the SOA's TTL and MINIMUM allow.
void take_soa_ttl(ResponseValidation& v) {
  for (const auto& set : v.authority()) {
    if (set.type != dns::rrtype::SOA || !(set.owner == v.zone())) continue;
    const RrsetCheck c = v.check(set);
    (void)c;
    if (set.rdatas.empty()) continue;  // RRSIGs over SOA without the SOA itself
    const auto& rdata = set.rdatas.front();
    if (const auto numbers = dns::soa_numbers(rdata)) v.take_ttl(numbers->minimum);
  }
}

// The qtype RRset at the end of the chain (RFC 4035 §5.3); for qtype DS it
// is also the child's DS set.
void validate_positive_response(ResponseValidation& v, const Classification& c, uint16_t qtype) {
  auto& out = v.out();
  const RrsetCheck rc = v.check(*c.answer);
  require_wildcard_proof(v, rc, c.name);
  out.kind = ResponseKind::Answer;
  if (qtype == dns::rrtype::DS) {
    out.delegation.zone = c.name;
    out.delegation.verdict = rc.verdict;
    if (rc.verdict.security == Security::Secure) {
      out.delegation.ds = c.answer->rdatas;
      out.delegation.ttl = rc.ttl;
    }
  }
}

// A chain whose links check_chain() validated: it ends in the answer, or
// leaves the zone (or enters one below it) at the name resolved next.
void validate_cname_response(ResponseValidation& v, const Classification& c, uint16_t qtype) {
  if (c.synthesised_answer) {
    v.out().kind = ResponseKind::Answer;  // check_chain() validated the DNAME
    return;
  }
  if (!c.exits) {
    validate_positive_response(v, c, qtype);
    return;
  }
  v.out().kind = ResponseKind::CnameExit;
  v.out().next_name = c.name;
}

// qtype ANY (RFC 8482 allows any subset): every RRset at the query name.
void validate_any_response(ResponseValidation& v, const dns::Name& qname) {
  for (const auto& set : v.answer()) {
    if (!(set.owner == qname) || set.rdatas.empty()) continue;
    const RrsetCheck rc = v.check(set);
    require_wildcard_proof(v, rc, qname);
  }
  v.out().kind = ResponseKind::Answer;
}

// qtype RRSIG: an RRSIG RRset has no signature of its own (RFC 4035 §2.2:
// RRSIGs are not signed), so there is nothing to validate; the answer is
// insecure (not validated), as Unbound answers it, never secure.
void validate_rrsig_response(ResponseValidation& v, const dns::Name& qname) {
  for (const auto& set : v.answer()) {
    if (set.owner == qname && !set.rrsigs.empty()) v.take_ttl(set.ttl);
  }
  v.insecure(InsecureReason::NotValidated, "RRSIG " + qname.to_text() + ": RRSIGs are not signed");
  v.out().kind = ResponseKind::Answer;
}

// NXDOMAIN: the name at the end of the chain does not exist (RFC 4035
// §5.4; RFC 5155 §8.4).
void validate_nameerror_response(ResponseValidation& v, const Classification& c, uint16_t qtype) {
  v.out().kind = ResponseKind::NxDomain;
  take_soa_ttl(v);
  bool empty_non_terminal = false;
  v.require_denial(
      "NXDOMAIN " + dns::type_to_text(qtype) + " " + c.name.to_text(),
      [&](std::span<const NsecRecord> nsecs, std::string& why) {
        if (nsec_proves_name_error(nsecs, c.name, v.zone(), why)) return true;
        // A server that says NXDOMAIN for an empty non-terminal: its own
        // signed NSEC proves the name exists without data, so the answer is
        // a secure NODATA (Unbound reads it the same way), not bogus.
        empty_non_terminal = nsec_proves_empty_non_terminal(nsecs, c.name, v.zone());
        return empty_non_terminal;
      },
      [&](const Nsec3Set& set, std::string& why) {
        return nsec3_proves_name_error(set, c.name, why);
      });
  if (empty_non_terminal) v.out().kind = ResponseKind::NoData;
}

// NODATA: the name exists without the qtype (RFC 4035 §5.4; RFC 5155
// §8.5-8.7). For qtype DS the denial also says whether the child is an
// unsigned delegation (or one in an opt-out span).
void validate_nodata_response(ResponseValidation& v, const Classification& c, uint16_t qtype) {
  auto& out = v.out();
  const dns::Name& name = c.name;
  out.kind = ResponseKind::NoData;
  take_soa_ttl(v);
  const Verdict before = out.verdict;
  v.require_denial(
      "NODATA " + dns::type_to_text(qtype) + " " + name.to_text(),
      [&](std::span<const NsecRecord> nsecs, std::string& why) {
        return nsec_proves_nodata(nsecs, name, qtype, v.zone(), why);
      },
      [&](const Nsec3Set& set, std::string& why) {
        return nsec3_proves_nodata(set, name, qtype, why);
      });
  if (qtype != dns::rrtype::DS) return;
  out.delegation.zone = name;
  if (out.verdict.security == Security::Secure) {
    out.delegation.verdict = Verdict::insecure(name, InsecureReason::UnsignedDelegation,
                                               "no DS for " + name.to_text());
    out.ds_denied_at_cut = v.denial_shows_cut(name);
  } else if (out.verdict.security == Security::Insecure && before.security == Security::Secure &&
             out.verdict.insecure_reason == InsecureReason::OptOut) {
    // An opt-out DS denial: the child is unsigned, and the denial itself is
    // insecure too (RFC 5155 §9.2: no AD for an opt-out proof).
    out.delegation.verdict = out.verdict;
    out.delegation.verdict.zone = name;
  } else {
    out.delegation.verdict = out.verdict;
  }
}

// A referral from this zone: NS RRset at a child name in the authority
// section, no SOA; the DS RRset (signed by this zone) or a proof of its
// absence (RFC 4035 §5.2).
void validate_referral_response(ResponseValidation& v, const Classification& cls) {
  auto& out = v.out();
  const dns::Name& child = cls.referral->owner;
  out.kind = ResponseKind::Referral;
  out.next_name = child;
  out.delegation.zone = child;
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
  out.ds_left_out = before.security != Security::Bogus &&
                    std::none_of(v.authority().begin(), v.authority().end(), [](const SignedRrset& set) {
                      return set.type == dns::rrtype::NSEC || set.type == dns::rrtype::NSEC3;
                    });
  v.require_denial(
      "referral to " + child.to_text(),
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

// A response that answers nothing: its verdict says why.
void validate_unusable_response(ResponseValidation& v, const Classification& c,
                                const dns::Message& response, const dns::Name& qname,
                                uint16_t qtype) {
  auto& out = v.out();
  out.kind = ResponseKind::Unusable;
  switch (c.unusable) {
    case UnusableShape::Rcode:
      out.verdict = Verdict::indeterminate("rcode " + std::to_string(response.rcode()) + " from " +
                                           v.zone().to_text());
      break;
    case UnusableShape::MalformedDname:
      v.bogus(BogusReason::Malformed, "DNAME " + c.malformed->owner.to_text() + " has not one target");
      break;
    case UnusableShape::DnameTooLong:
      // The server says so with YXDOMAIN: that is the answer (Unbound passes it on).
      if (response.rcode() == dns::rcode::YXDOMAIN) out.kind = ResponseKind::YxDomain;
      v.fail(Verdict::indeterminate("DNAME substitution of " + c.name.to_text() +
                                    " is longer than 255 octets"));
      break;
    case UnusableShape::MalformedCname:
      v.bogus(BogusReason::Malformed, "CNAME " + c.name.to_text() + " has not exactly one target");
      break;
    case UnusableShape::ChainTooLong:
      v.fail(Verdict::indeterminate("CNAME chain from " + qname.to_text() + " longer than " +
                                    std::to_string(kMaxValidatedCnameLinks)));
      break;
    case UnusableShape::NoAnswerNoSoa:
      out.verdict = Verdict::indeterminate("neither answer, referral nor SOA for " +
                                           dns::type_to_text(qtype) + " " + c.name.to_text() +
                                           " from " + v.zone().to_text());
      break;
    case UnusableShape::None:
      break;
  }
}

}  // namespace

ValidatedResponse validate_response(const dns::Message& response, const dns::Name& qname,
                                    uint16_t qtype, const ZoneKeys& keys,
                                    ValidationContext& ctx) {
  const ResponseSections sections(response);
  const Classification c =
      classify_response(response, sections, qname, qtype, keys, ctx.options.forwarded_answers);
  ResponseValidation v(sections, keys, ctx);
  // Every class but Positive and Any may follow links first; they are
  // validated in the order followed, before the end of the chain.
  check_chain(v, c);
  switch (c.cls) {
    case ResponseClass::Positive: validate_positive_response(v, c, qtype); break;
    case ResponseClass::Cname: validate_cname_response(v, c, qtype); break;
    case ResponseClass::Any: validate_any_response(v, qname); break;
    case ResponseClass::Rrsig: validate_rrsig_response(v, qname); break;
    case ResponseClass::NameError: validate_nameerror_response(v, c, qtype); break;
    case ResponseClass::NoData: validate_nodata_response(v, c, qtype); break;
    case ResponseClass::Referral: validate_referral_response(v, c); break;
    case ResponseClass::Unusable: validate_unusable_response(v, c, response, qname, qtype); break;
  }
  if (c.cls == ResponseClass::Cname && c.exits && v.out().verdict.is_secure()) v.note_unsigned_cuts(c.name);
  return v.out();
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
