#include "resolver-client/val_nsec.h"

#include "dns/rrtype.h"
#include "dns/type_bitmap.h"

namespace flatns::resolver {

namespace {

// Length of the uncompressed wire name at the start of `data`, 0 if malformed.
std::size_t wire_name_length(std::span<const uint8_t> data) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    const uint8_t len = data[pos];
    if (len > dns::kMaxLabelLength) return 0;
    pos += 1 + len;
    if (pos > dns::kMaxNameLength) return 0;
    if (len == 0) return pos;
  }
  return 0;
}

bool has(const NsecRecord& n, uint16_t type) { return dns::type_bitmap_has(n.bitmap, type); }

// A delegation point (parent side) or DNAME owner: names below it are not
// this zone's to deny.
bool is_cut(const NsecRecord& n) {
  return (has(n, dns::rrtype::NS) && !has(n, dns::rrtype::SOA)) || has(n, dns::rrtype::DNAME);
}

dns::Name wildcard_at(const dns::Name& ce) { return ce.prepend("*"); }

const NsecRecord* matching(std::span<const NsecRecord> nsecs, const dns::Name& name) {
  for (const auto& n : nsecs) {
    if (n.owner == name) return &n;
  }
  return nullptr;
}

const NsecRecord* covering(std::span<const NsecRecord> nsecs, const dns::Name& name,
                           const dns::Name& zone) {
  for (const auto& n : nsecs) {
    if (nsec_covers(n, name, zone)) return &n;
  }
  return nullptr;
}

}  // namespace

dns::Name closest_encloser(const NsecRecord& n, const dns::Name& name) {
  dns::Name a = common_ancestor(name, n.owner);
  dns::Name b = common_ancestor(name, n.next);
  return a.labels() >= b.labels() ? a : b;
}

dns::Name common_ancestor(const dns::Name& a, const dns::Name& b) {
  int la = a.labels(), lb = b.labels();
  auto va = a.wire(), vb = b.wire();
  if (la > lb) va = dns::strip_labels(va, la - lb);
  if (lb > la) vb = dns::strip_labels(vb, lb - la);
  while (!dns::name_equal(va, vb)) {
    va = dns::strip_labels(va, 1);
    vb = dns::strip_labels(vb, 1);
  }
  dns::Name out;
  (void)dns::Name::from_wire(va, out);
  return out;
}

std::vector<NsecRecord> nsec_records(std::span<const SignedRrset* const> rrsets) {
  std::vector<NsecRecord> out;
  for (const SignedRrset* set : rrsets) {
    if (set->type != dns::rrtype::NSEC) continue;
    for (const auto& rdata : set->rdatas) {
      const std::size_t len = wire_name_length(rdata);
      NsecRecord rec;
      rec.owner = set->owner;
      if (len == 0 || !dns::Name::from_wire({rdata.data(), len}, rec.next)) continue;
      rec.bitmap.assign(rdata.begin() + static_cast<std::ptrdiff_t>(len), rdata.end());
      if (!dns::type_bitmap_valid(rec.bitmap)) continue;
      out.push_back(std::move(rec));
    }
  }
  return out;
}

bool nsec_covers(const NsecRecord& n, const dns::Name& name, const dns::Name& zone) {
  if (!name.is_subdomain_of(zone)) return false;
  if (name.is_subdomain_of(n.owner) && !(name == n.owner) && is_cut(n)) return false;
  const int after_owner = dns::canonical_compare(n.owner.wire(), name.wire());
  if (after_owner >= 0) return false;  // name <= owner
  // RFC 4034 §4.1.1: the next owner name is in the zone (the last NSEC's is
  // the apex). One outside would deny names of other zones (Unbound's
  // val_nx_overreach): it covers nothing.
  if (!n.next.is_subdomain_of(zone)) return false;
  const bool last = dns::canonical_compare(n.next.wire(), n.owner.wire()) <= 0;
  if (last) return true;  // the last NSEC of the zone: next is the apex
  return dns::canonical_compare(name.wire(), n.next.wire()) < 0;
}

bool nsec_proves_empty_non_terminal(std::span<const NsecRecord> nsecs, const dns::Name& qname,
                                    const dns::Name& zone) {
  const NsecRecord* cover = covering(nsecs, qname, zone);
  return cover != nullptr && cover->next.is_subdomain_of(qname) && !(cover->next == qname);
}

bool nsec_proves_name_error(std::span<const NsecRecord> nsecs, const dns::Name& qname,
                            const dns::Name& zone, std::string& why) {
  const NsecRecord* cover = covering(nsecs, qname, zone);
  if (cover == nullptr) {
    why = "no NSEC covers " + qname.to_text();
    return false;
  }
  if (cover->next.is_subdomain_of(qname)) {
    why = qname.to_text() + " is an empty non-terminal above " + cover->next.to_text();
    return false;
  }
  const dns::Name ce = closest_encloser(*cover, qname);
  const dns::Name wc = wildcard_at(ce);
  if (covering(nsecs, wc, zone) == nullptr) {
    why = "no NSEC covers the wildcard " + wc.to_text();
    return false;
  }
  return true;
}

bool nsec_proves_nodata(std::span<const NsecRecord> nsecs, const dns::Name& qname,
                        uint16_t qtype, const dns::Name& zone, std::string& why) {
  if (const NsecRecord* m = matching(nsecs, qname)) {
    if (has(*m, qtype) || has(*m, dns::rrtype::CNAME)) {
      why = "the NSEC at " + qname.to_text() + " lists " + dns::type_to_text(qtype) + " or CNAME";
      return false;
    }
    // RFC 6840 §4.4: a parent-side NSEC at a delegation proves nothing about
    // the child's types except DS; an apex NSEC says nothing about the DS.
    if (qtype != dns::rrtype::DS && is_cut(*m) && !(qname == zone)) {
      why = "the NSEC at " + qname.to_text() + " is from the parent side of a delegation";
      return false;
    }
    if (qtype == dns::rrtype::DS && has(*m, dns::rrtype::SOA) && !qname.is_root()) {
      why = "the NSEC at " + qname.to_text() + " is the child apex's, not the parent's";
      return false;
    }
    return true;
  }
  const NsecRecord* cover = covering(nsecs, qname, zone);
  if (cover == nullptr) {
    why = "no NSEC matches or covers " + qname.to_text();
    return false;
  }
  // Empty non-terminal: the name is between owner and next and next is below it.
  if (cover->next.is_subdomain_of(qname) && !(cover->next == qname)) return true;
  // Wildcard no-data (RFC 4035 §3.1.3.4).
  const dns::Name wc = wildcard_at(closest_encloser(*cover, qname));
  const NsecRecord* w = matching(nsecs, wc);
  if (w == nullptr) {
    why = "no NSEC for the wildcard " + wc.to_text() + " of " + qname.to_text();
    return false;
  }
  if (has(*w, qtype) || has(*w, dns::rrtype::CNAME)) {
    why = "the NSEC at " + wc.to_text() + " lists " + dns::type_to_text(qtype) + " or CNAME";
    return false;
  }
  return true;
}

bool nsec_proves_wildcard_answer(std::span<const NsecRecord> nsecs, const dns::Name& qname,
                                 const dns::Name& closest, const dns::Name& zone,
                                 std::string& why) {
  const NsecRecord* cover = covering(nsecs, qname, zone);
  if (cover == nullptr) {
    why = "wildcard answer for " + qname.to_text() + " without an NSEC covering it";
    return false;
  }
  // The covering NSEC must not show a name closer than the wildcard's parent.
  if (closest_encloser(*cover, qname).labels() > closest.labels()) {
    why = "the NSEC covering " + qname.to_text() + " shows a closer encloser than " +
          closest.to_text();
    return false;
  }
  return true;
}

bool nsec_proves_no_ds(std::span<const NsecRecord> nsecs, const dns::Name& child,
                       std::string& why) {
  const NsecRecord* m = matching(nsecs, child);
  if (m == nullptr) {
    why = "no NSEC at the delegation " + child.to_text();
    return false;
  }
  if (!has(*m, dns::rrtype::NS) || has(*m, dns::rrtype::DS) || has(*m, dns::rrtype::SOA)) {
    why = "the NSEC at " + child.to_text() + " does not show an unsigned delegation";
    return false;
  }
  return true;
}

}  // namespace flatns::resolver
