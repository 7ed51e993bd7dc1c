#include "resolver-client/val_nsec3.h"

#include <algorithm>

#include "dns/encoding.h"
#include "dns/rrtype.h"
#include "dns/type_bitmap.h"

namespace flatns::resolver {

namespace {

bool parse_nsec3(const SignedRrset& set, const std::vector<uint8_t>& rdata, Nsec3Record& rec) {
  // hash alg, flags, iterations(2), salt len, salt, hash len, next hash, bitmap
  if (rdata.size() < 5) return false;
  rec.hash_algorithm = rdata[0];
  rec.flags = rdata[1];
  rec.iterations = static_cast<uint16_t>(rdata[2] << 8 | rdata[3]);
  std::size_t pos = 4;
  const std::size_t salt_len = rdata[pos++];
  if (pos + salt_len + 1 > rdata.size()) return false;
  rec.salt.assign(rdata.begin() + static_cast<std::ptrdiff_t>(pos),
                  rdata.begin() + static_cast<std::ptrdiff_t>(pos + salt_len));
  pos += salt_len;
  const std::size_t hash_len = rdata[pos++];
  if (hash_len == 0 || pos + hash_len > rdata.size()) return false;
  rec.next_hash.assign(rdata.begin() + static_cast<std::ptrdiff_t>(pos),
                       rdata.begin() + static_cast<std::ptrdiff_t>(pos + hash_len));
  pos += hash_len;
  rec.bitmap.assign(rdata.begin() + static_cast<std::ptrdiff_t>(pos), rdata.end());
  if (!dns::type_bitmap_valid(rec.bitmap)) return false;
  rec.owner = set.owner;
  const auto wire = set.owner.wire();
  if (wire.empty() || wire[0] == 0) return false;
  const std::string_view label(reinterpret_cast<const char*>(wire.data() + 1), wire[0]);
  return dns::base32hex_decode(label, rec.owner_hash) &&
         rec.owner_hash.size() == rec.next_hash.size();
}

bool same_params(const Nsec3Record& a, const Nsec3Record& b) {
  return a.hash_algorithm == b.hash_algorithm && a.iterations == b.iterations && a.salt == b.salt;
}

// Hashes names with the set's parameters (all records share them).
struct Hasher {
  const Nsec3Set& set;
  bool hash(const dns::Name& name, std::vector<uint8_t>& out) const {
    const Nsec3Record& p = set.records.front();
    if (set.budget != nullptr && !set.budget->spend_nsec3_hash()) return false;
    dns::Nsec3Hash h;
    if (!dns::nsec3_hash(name.wire(), p.hash_algorithm, p.salt, p.iterations, h)) return false;
    out.assign(h.begin(), h.end());
    return true;
  }
};

const Nsec3Record* matching(const Nsec3Set& set, const std::vector<uint8_t>& hash) {
  for (const auto& r : set.records) {
    if (r.owner_hash == hash) return &r;
  }
  return nullptr;
}

// owner < hash < next, or the last record (next <= owner) wrapping round.
const Nsec3Record* covering(const Nsec3Set& set, const std::vector<uint8_t>& hash) {
  for (const auto& r : set.records) {
    if (r.owner_hash.size() != hash.size()) continue;
    const bool after_owner = r.owner_hash < hash;
    const bool before_next = hash < r.next_hash;
    const bool wraps = !(r.owner_hash < r.next_hash);
    if (wraps ? (after_owner || before_next) : (after_owner && before_next)) return &r;
  }
  return nullptr;
}

bool has(const Nsec3Record& r, uint16_t type) { return dns::type_bitmap_has(r.bitmap, type); }

struct ClosestEncloser {
  dns::Name ce;
  dns::Name next_closer;
  const Nsec3Record* nc_cover = nullptr;
};

// RFC 5155 §8.3: the longest ancestor of `qname` with a matching NSEC3, and
// an NSEC3 covering the next closer name. The encloser must not be a
// delegation point or DNAME seen from the parent (RFC 6840 §4.1).
bool closest_encloser_proof(const Nsec3Set& set, const dns::Name& qname, ClosestEncloser& out,
                            std::string& why) {
  const Hasher hasher{set};
  std::vector<uint8_t> hash;
  dns::Name candidate = qname;
  dns::Name child;
  bool have_child = false;
  while (true) {
    if (!hasher.hash(candidate, hash)) {
      why = "cannot hash " + candidate.to_text();
      return false;
    }
    if (const Nsec3Record* m = matching(set, hash)) {
      if (!have_child) {
        why = "an NSEC3 matches " + qname.to_text() + " itself";
        return false;
      }
      if ((has(*m, dns::rrtype::NS) && !has(*m, dns::rrtype::SOA)) ||
          has(*m, dns::rrtype::DNAME)) {
        why = "the closest encloser " + candidate.to_text() + " is a delegation or DNAME";
        return false;
      }
      out.ce = candidate;
      out.next_closer = child;
      break;
    }
    if (candidate == set.zone || candidate.is_root()) {
      why = "no NSEC3 matches an ancestor of " + qname.to_text();
      return false;
    }
    child = candidate;
    have_child = true;
    candidate = candidate.parent();
  }
  if (!hasher.hash(out.next_closer, hash)) return false;
  out.nc_cover = covering(set, hash);
  if (out.nc_cover == nullptr) {
    why = "no NSEC3 covers the next closer name " + out.next_closer.to_text();
    return false;
  }
  return true;
}

}  // namespace

Nsec3Set nsec3_records(std::span<const SignedRrset* const> rrsets, const dns::Name& zone,
                       const ValidatorOptions& options, ValidationBudget* budget) {
  Nsec3Set set;
  set.zone = zone;
  set.budget = budget;
  bool any = false;
  for (const SignedRrset* rrset : rrsets) {
    if (rrset->type != dns::rrtype::NSEC3 || rrset->owner.labels() != zone.labels() + 1 ||
        !rrset->owner.is_subdomain_of(zone)) {
      continue;
    }
    for (const auto& rdata : rrset->rdatas) {
      Nsec3Record rec;
      if (!parse_nsec3(*rrset, rdata, rec)) continue;
      any = true;
      if (rec.hash_algorithm != dns::kNsec3HashSha1) continue;
      if (!set.records.empty() && !same_params(set.records.front(), rec)) continue;
      set.records.push_back(std::move(rec));
    }
  }
  if (!any) {
    set.usability = Nsec3Usability::NoRecords;
  } else if (set.records.empty()) {
    set.usability = Nsec3Usability::UnknownHash;
  } else if (set.records.front().iterations > options.max_nsec3_iterations) {
    set.usability = Nsec3Usability::IterationsTooHigh;
  } else {
    set.usability = Nsec3Usability::Usable;
  }
  return set;
}

DenialResult nsec3_proves_name_error(const Nsec3Set& set, const dns::Name& qname,
                                     std::string& why) {
  if (set.usability != Nsec3Usability::Usable) {
    why = "no usable NSEC3";
    return DenialResult::NotProven;
  }
  ClosestEncloser ce;
  if (!closest_encloser_proof(set, qname, ce, why)) return DenialResult::NotProven;
  std::vector<uint8_t> hash;
  const dns::Name wc = ce.ce.prepend("*");
  if (!Hasher{set}.hash(wc, hash) || covering(set, hash) == nullptr) {
    why = "no NSEC3 covers the wildcard " + wc.to_text();
    return DenialResult::NotProven;
  }
  // RFC 5155 §9.2: with opt-out the name might exist as an unsigned delegation.
  return ce.nc_cover->opt_out() ? DenialResult::OptOut : DenialResult::Proven;
}

const Nsec3Record* nsec3_matching(const Nsec3Set& set, const dns::Name& name) {
  if (set.usability != Nsec3Usability::Usable) return nullptr;
  std::vector<uint8_t> hash;
  if (!Hasher{set}.hash(name, hash)) return nullptr;
  return matching(set, hash);
}

DenialResult nsec3_proves_nodata(const Nsec3Set& set, const dns::Name& qname, uint16_t qtype,
                                 std::string& why) {
  if (set.usability != Nsec3Usability::Usable) {
    why = "no usable NSEC3";
    return DenialResult::NotProven;
  }
  const Hasher hasher{set};
  std::vector<uint8_t> hash;
  if (!hasher.hash(qname, hash)) {
    why = "cannot hash " + qname.to_text();
    return DenialResult::NotProven;
  }
  if (const Nsec3Record* m = matching(set, hash)) {
    // §8.5 / §8.6 with a matching NSEC3.
    if (has(*m, qtype) || has(*m, dns::rrtype::CNAME)) {
      why = "the NSEC3 of " + qname.to_text() + " lists " + dns::type_to_text(qtype) +
            " or CNAME";
      return DenialResult::NotProven;
    }
    if (qtype != dns::rrtype::DS && has(*m, dns::rrtype::NS) && !has(*m, dns::rrtype::SOA) &&
        !(qname == set.zone)) {
      why = "the NSEC3 of " + qname.to_text() + " is from the parent side of a delegation";
      return DenialResult::NotProven;
    }
    if (qtype == dns::rrtype::DS && has(*m, dns::rrtype::SOA) && !qname.is_root()) {
      why = "the NSEC3 of " + qname.to_text() + " is the child apex's";
      return DenialResult::NotProven;
    }
    return DenialResult::Proven;
  }
  ClosestEncloser ce;
  if (!closest_encloser_proof(set, qname, ce, why)) return DenialResult::NotProven;
  // §8.6: DS at a name in an opt-out span.
  if (qtype == dns::rrtype::DS) {
    if (ce.nc_cover->opt_out()) return DenialResult::OptOut;
    why = "no NSEC3 matches " + qname.to_text() + " and the span covering it is not opt-out";
    return DenialResult::NotProven;
  }
  // §8.7: wildcard no-data.
  const dns::Name wc = ce.ce.prepend("*");
  if (!hasher.hash(wc, hash)) return DenialResult::NotProven;
  const Nsec3Record* w = matching(set, hash);
  if (w == nullptr) {
    // The name may be an empty non-terminal (or unsigned data below an
    // unsigned delegation) in an opt-out span, which has no NSEC3 of its
    // own: insecure, not bogus (RFC 5155 §9.2, as Unbound decides).
    if (ce.nc_cover->opt_out()) return DenialResult::OptOut;
    why = "no NSEC3 matches " + qname.to_text() + " or its wildcard " + wc.to_text();
    return DenialResult::NotProven;
  }
  if (has(*w, qtype) || has(*w, dns::rrtype::CNAME)) {
    why = "the NSEC3 of " + wc.to_text() + " lists " + dns::type_to_text(qtype) + " or CNAME";
    return DenialResult::NotProven;
  }
  return ce.nc_cover->opt_out() ? DenialResult::OptOut : DenialResult::Proven;
}

DenialResult nsec3_proves_wildcard_answer(const Nsec3Set& set, const dns::Name& qname,
                                          const dns::Name& closest, std::string& why) {
  if (set.usability != Nsec3Usability::Usable) {
    why = "no usable NSEC3";
    return DenialResult::NotProven;
  }
  // §8.8: the next closer name (one label more than the closest encloser) is covered.
  const int extra = qname.labels() - closest.labels() - 1;
  if (extra < 0 || !qname.is_subdomain_of(closest)) {
    why = "wildcard closest encloser " + closest.to_text() + " is not above " + qname.to_text();
    return DenialResult::NotProven;
  }
  dns::Name next_closer;
  (void)dns::Name::from_wire(dns::strip_labels(qname.wire(), extra), next_closer);
  std::vector<uint8_t> hash;
  const Nsec3Record* cover = Hasher{set}.hash(next_closer, hash) ? covering(set, hash) : nullptr;
  if (cover == nullptr) {
    why = "no NSEC3 covers the next closer name " + next_closer.to_text() +
          " of the wildcard answer";
    return DenialResult::NotProven;
  }
  // As Unbound does: in an opt-out span the name could be an unsigned
  // delegation, so the expansion is only insecurely proven.
  return cover->opt_out() ? DenialResult::OptOut : DenialResult::Proven;
}

DenialResult nsec3_proves_no_ds(const Nsec3Set& set, const dns::Name& child, std::string& why) {
  if (set.usability != Nsec3Usability::Usable) {
    why = "no usable NSEC3";
    return DenialResult::NotProven;
  }
  std::vector<uint8_t> hash;
  if (!Hasher{set}.hash(child, hash)) return DenialResult::NotProven;
  if (const Nsec3Record* m = matching(set, hash)) {
    if (!has(*m, dns::rrtype::NS) || has(*m, dns::rrtype::DS) || has(*m, dns::rrtype::SOA)) {
      why = "the NSEC3 of " + child.to_text() + " does not show an unsigned delegation";
      return DenialResult::NotProven;
    }
    return DenialResult::Proven;
  }
  // §8.9: no match; an opt-out span must cover the next closer name.
  ClosestEncloser ce;
  if (!closest_encloser_proof(set, child, ce, why)) return DenialResult::NotProven;
  if (!ce.nc_cover->opt_out()) {
    why = "the NSEC3 covering " + ce.next_closer.to_text() + " is not opt-out";
    return DenialResult::NotProven;
  }
  return DenialResult::OptOut;
}

}  // namespace flatns::resolver
