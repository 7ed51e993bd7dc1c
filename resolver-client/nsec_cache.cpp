#include "resolver-client/nsec_cache.h"

#include <algorithm>
#include <iterator>

#include "dns/rcode.h"
#include "dns/rrtype.h"
#include "resolver-client/val_rrset.h"

namespace flatns::resolver {

namespace {

std::string wire_key(const dns::Name& n) {
  const dns::Name lower = n.lowercased();
  return {reinterpret_cast<const char*>(lower.wire().data()), lower.size()};
}

// Where the first wire name of a key ends (wire names delimit themselves).
std::size_t first_name_end(const std::string& key) {
  std::size_t pos = 0;
  while (pos < key.size()) {
    const auto len = static_cast<uint8_t>(key[pos]);
    pos += 1 + len;
    if (len == 0) return pos;
  }
  return key.size();
}

// The records of (owner, type) in `section` and the RRSIGs over them.
std::vector<dns::ResourceRecord> rrset_with_rrsigs(std::span<const dns::ResourceRecord> section,
                                                   const dns::Name& owner, uint16_t type) {
  std::vector<dns::ResourceRecord> out;
  for (const auto& rr : section) {
    if (!(rr.owner == owner)) continue;
    const bool covers = rr.type == dns::rrtype::RRSIG && rr.rdata.size() >= 2 &&
                        (rr.rdata[0] << 8 | rr.rdata[1]) == type;
    if (rr.type == type || covers) out.push_back(rr);
  }
  return out;
}

std::size_t entry_bytes(const std::string& key, const std::vector<dns::ResourceRecord>& rrs,
                        const NsecRecord& nsec) {
  std::size_t n = 96 + key.size() + nsec.owner.size() + nsec.next.size() + nsec.bitmap.size();
  for (const auto& rr : rrs) n += sizeof(rr) + rr.owner.size() + rr.rdata.size();
  return n;
}

}  // namespace

NsecCache::NsecCache(std::size_t max_bytes, uint32_t max_negative_ttl_s)
    : max_negative_ttl_s_(max_negative_ttl_s),
      nsecs_(max_bytes, [this](const std::string& key) { forget(key); }) {}

void NsecCache::forget(const std::string& key) {
  const std::size_t end = first_name_end(key);
  auto it = zones_.find(key.substr(0, end));
  if (it == zones_.end()) return;
  Zone& zone = it->second;
  if (end == key.size()) {
    zone.has_soa = false;
  } else {
    dns::Name owner;
    const auto* bytes = reinterpret_cast<const uint8_t*>(key.data()) + end;
    if (dns::Name::from_wire({bytes, key.size() - end}, owner)) zone.owners.erase(owner);
  }
  if (!zone.has_soa && zone.owners.empty()) zones_.erase(it);
}

void NsecCache::store(const dns::Name& zone, std::span<const dns::ResourceRecord> authority,
                      std::span<const dns::Name> secure_owners, uint32_t negative_ttl_s,
                      uint64_t now_ms) {
  if (secure_owners.empty()) return;
  const uint32_t cap = std::min(negative_ttl_s, max_negative_ttl_s_);
  auto soa = rrset_with_rrsigs(authority, zone, dns::rrtype::SOA);
  uint32_t soa_ttl = UINT32_MAX;
  for (const auto& rr : soa) {
    if (rr.type == dns::rrtype::SOA) soa_ttl = std::min(soa_ttl, rr.ttl);
  }
  if (soa_ttl == UINT32_MAX || cap == 0) return;  // no SOA to answer with
  auto expiry = [&](uint32_t ttl) { return now_ms + uint64_t{std::min(ttl, cap)} * 1000; };
  const std::string zone_key = wire_key(zone);
  auto index = [&](const std::string& key) -> Zone* {
    if (!nsecs_.contains(key)) return nullptr;  // larger than the whole budget
    Zone& z = zones_[zone_key];
    z.apex = zone;
    return &z;
  };
  const std::size_t soa_bytes = entry_bytes(zone_key, soa, NsecRecord{});
  nsecs_.put(zone_key, Entry{NsecRecord{}, std::move(soa), expiry(soa_ttl)}, soa_bytes);
  if (Zone* z = index(zone_key)) z->has_soa = true;
  for (const dns::Name& owner : secure_owners) {
    if (!owner.is_subdomain_of(zone)) continue;
    auto records = rrset_with_rrsigs(authority, owner, dns::rrtype::NSEC);
    const auto sets = group_rrsets(records);
    const SignedRrset* set = find_rrset(sets, owner, dns::rrtype::NSEC);
    if (set == nullptr) continue;
    const SignedRrset* one[] = {set};
    auto parsed = nsec_records(one);
    if (parsed.size() != 1) continue;  // an owner has one NSEC (RFC 4034 §4)
    const uint64_t expires = expiry(set->ttl);
    const std::string key = zone_key + wire_key(owner);
    const std::size_t bytes = entry_bytes(key, records, parsed.front());
    nsecs_.put(key, Entry{std::move(parsed.front()), std::move(records), expires}, bytes);
    if (Zone* z = index(key)) z->owners.insert(owner);
  }
}

std::optional<NsecCache::Entry> NsecCache::at_or_before(const std::string& zone_key,
                                                        const dns::Name& name, uint64_t now_ms) {
  for (;;) {
    auto zit = zones_.find(zone_key);
    if (zit == zones_.end()) return std::nullopt;
    const auto& owners = zit->second.owners;
    auto it = owners.upper_bound(name);
    if (it == owners.begin()) return std::nullopt;
    const std::string key = zone_key + wire_key(*std::prev(it));
    if (const Entry* e = nsecs_.get(key); e != nullptr && e->expires_ms > now_ms) return *e;
    // Expired: dropped (the index with it), and the one before is tried.
    nsecs_.erase(key);
    forget(key);
  }
}

std::optional<NsecSynthesis> NsecCache::synthesize(const dns::Name& qname, uint16_t qtype,
                                                   uint64_t now_ms) {
  if (zones_.empty()) return std::nullopt;
  std::string zone_key;
  dns::Name apex;
  for (dns::Name n = qname;; n = n.parent()) {
    auto it = zones_.find(wire_key(n));
    if (it != zones_.end() && !it->second.owners.empty()) {
      zone_key = it->first;
      apex = it->second.apex;
      break;
    }
    if (n.is_root()) return std::nullopt;
  }
  auto cover = at_or_before(zone_key, qname, now_ms);
  if (!cover) return std::nullopt;
  std::vector<NsecRecord> proof{cover->nsec};
  std::vector<const Entry*> used{&*cover};
  std::optional<Entry> wildcard;
  std::string why;
  NsecSynthesis out;
  out.zone = apex;
  if (cover->nsec.owner == qname) {
    if (!nsec_proves_nodata(proof, qname, qtype, apex, why)) return std::nullopt;
    out.rcode = dns::rcode::NOERROR;
  } else if (!nsec_covers(cover->nsec, qname, apex)) {
    return std::nullopt;
  } else if (nsec_proves_empty_non_terminal(proof, qname, apex)) {
    out.rcode = dns::rcode::NOERROR;
  } else {
    // The source of synthesis must be denied too (RFC 8198 §5.3), or be a
    // wildcard without the type (wildcard NODATA).
    wildcard = at_or_before(zone_key, closest_encloser(cover->nsec, qname).prepend("*"), now_ms);
    if (!wildcard) return std::nullopt;
    if (!(wildcard->nsec.owner == cover->nsec.owner)) {
      proof.push_back(wildcard->nsec);
      used.push_back(&*wildcard);
    }
    if (nsec_proves_name_error(proof, qname, apex, why)) {
      out.rcode = dns::rcode::NXDOMAIN;
    } else if (nsec_proves_nodata(proof, qname, qtype, apex, why)) {
      out.rcode = dns::rcode::NOERROR;
    } else {
      return std::nullopt;
    }
  }
  const Entry* soa = nsecs_.get(zone_key);
  if (soa == nullptr) return std::nullopt;
  if (soa->expires_ms <= now_ms) {
    nsecs_.erase(zone_key);
    forget(zone_key);
    return std::nullopt;
  }
  uint64_t expires = soa->expires_ms;
  for (const Entry* e : used) expires = std::min(expires, e->expires_ms);
  out.ttl = static_cast<uint32_t>((expires - now_ms) / 1000);
  if (out.ttl == 0) return std::nullopt;  // less than a second: asked again
  for (const Entry* e : used) out.authority.insert(out.authority.end(), e->records.begin(), e->records.end());
  out.authority.insert(out.authority.end(), soa->records.begin(), soa->records.end());
  for (auto& rr : out.authority) rr.ttl = out.ttl;
  return out;
}

void NsecCache::clear() {
  nsecs_.clear();
  zones_.clear();
}

}  // namespace flatns::resolver
