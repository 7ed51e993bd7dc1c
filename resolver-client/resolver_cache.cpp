#include "resolver-client/resolver_cache.h"

#include <algorithm>

#include "dns/rrtype.h"

namespace flatns::resolver {

namespace {

std::size_t records_bytes(const std::vector<dns::ResourceRecord>& rrs) {
  std::size_t n = 0;
  for (const auto& rr : rrs) n += sizeof(rr) + rr.owner.size() + rr.rdata.size();
  return n;
}

// cache_key() is the name's key followed by two octets of type.
std::string name_part(const std::string& key) { return key.substr(0, key.size() - 2); }
uint16_t type_part(const std::string& key) {
  return static_cast<uint16_t>(static_cast<uint8_t>(key[key.size() - 2]) << 8 |
                               static_cast<uint8_t>(key[key.size() - 1]));
}

std::size_t rdatas_bytes(const std::vector<std::vector<uint8_t>>& v) {
  std::size_t n = 0;
  for (const auto& r : v) n += sizeof(r) + r.size();
  return n;
}

}  // namespace

std::string cache_key(const dns::Name& name, uint16_t type) {
  auto lower = name.lowercased();
  std::string key(reinterpret_cast<const char*>(lower.wire().data()), lower.size());
  key.push_back(static_cast<char>(type >> 8));
  key.push_back(static_cast<char>(type));
  return key;
}

// Each kind of entry gets a share of the budget, so a flood of one (e.g.
// NXDOMAIN for random names) cannot evict the delegations and keys.
ResolverCache::ResolverCache(std::size_t max_bytes, uint32_t max_ttl_s, uint32_t max_negative_ttl_s)
    : max_ttl_s_(max_ttl_s),
      max_negative_ttl_s_(max_negative_ttl_s),
      rrsets_(max_bytes / 20 * 11, [this](const std::string& key) { forget_type(key); }),
      negatives_(max_bytes / 10),
      keys_(max_bytes / 10),
      ds_(max_bytes / 10),
      other_side_(max_bytes / 20),
      nsecs_(max_bytes / 10, max_negative_ttl_s) {}

uint64_t ResolverCache::expiry(uint32_t ttl_s, uint32_t cap_s, uint64_t now_ms) const {
  return now_ms + static_cast<uint64_t>(std::min(ttl_s, cap_s)) * 1000;
}

bool ResolverCache::store_rrset(const dns::Name& owner, uint16_t type,
                                std::vector<dns::ResourceRecord> records, uint32_t ttl_s,
                                Trust trust, const Verdict& verdict, uint64_t now_ms,
                                bool malformed_removed) {
  if (verdict.is_bogus()) return false;
  auto key = cache_key(owner, type);
  uint64_t expires_ms = expiry(ttl_s, max_ttl_s_, now_ms);
  if (const CachedRrset* old = rrsets_.get(key); old != nullptr && old->expires_ms > now_ms) {
    if (old->trust > trust) {
      ++counters_.rejected_lower_trust;
      return false;
    }
    // Ghost domains (CVE-2012-1191): a zone's servers answering for its
    // apex NS must not keep a delegation alive that its parent let lapse
    // or removed, so a replacing NS RRset never outlives the one it
    // replaces (Unbound's rule; it expires and the parent is asked).
    if (type == dns::rrtype::NS) expires_ms = std::min(expires_ms, old->expires_ms);
  }
  CachedRrset e;
  e.owner = owner;
  e.type = type;
  e.records = std::move(records);
  e.trust = trust;
  e.verdict = verdict;
  e.malformed_removed = malformed_removed;
  e.expires_ms = expires_ms;
  std::size_t bytes = sizeof(e) + owner.size() + records_bytes(e.records) + key.size();
  rrsets_.put(key, std::move(e), bytes);
  if (!rrsets_.contains(key)) {  // larger than the whole budget
    forget_type(key);
    return true;
  }
  auto& types = rrset_types_[name_part(key)];
  if (std::find(types.begin(), types.end(), type) == types.end()) types.push_back(type);
  return true;
}

void ResolverCache::forget_type(const std::string& key) {
  auto it = rrset_types_.find(name_part(key));
  if (it == rrset_types_.end()) return;
  std::erase(it->second, type_part(key));
  if (it->second.empty()) rrset_types_.erase(it);
}

void ResolverCache::drop_rrset(const std::string& key) {
  rrsets_.erase(key);
  forget_type(key);
}

void ResolverCache::drop_denied(const dns::Name& qname, uint16_t rcode, uint16_t qtype) {
  if (rcode == dns::rcode::NXDOMAIN) {
    const std::string name = name_part(cache_key(qname, 0));
    auto it = rrset_types_.find(name);
    if (it == rrset_types_.end()) return;
    for (uint16_t type : it->second) rrsets_.erase(cache_key(qname, type));
    rrset_types_.erase(it);
    return;
  }
  drop_rrset(cache_key(qname, qtype));
  // NODATA says the name has no CNAME either: the server would have given it.
  if (qtype != dns::rrtype::CNAME) drop_rrset(cache_key(qname, dns::rrtype::CNAME));
}

const CachedRrset* ResolverCache::find_rrset(const dns::Name& owner, uint16_t type, Trust min_trust,
                                             uint64_t now_ms) {
  auto key = cache_key(owner, type);
  CachedRrset* e = rrsets_.get(key);
  if (e == nullptr) return nullptr;
  if (e->expires_ms <= now_ms) {
    drop_rrset(key);
    return nullptr;
  }
  if (e->trust < min_trust) return nullptr;
  ++counters_.rrset_hits;
  return e;
}

bool ResolverCache::expired_above(const dns::Name& name, uint16_t type, const dns::Name& top,
                                  uint64_t now_ms) {
  if (name.is_root() || name == top || !name.is_subdomain_of(top)) return false;
  for (dns::Name n = name.parent();; n = n.parent()) {
    const CachedRrset* e = rrsets_.get(cache_key(n, type));
    if (e != nullptr && e->expires_ms <= now_ms) return true;
    if (n == top || n.is_root()) return false;
  }
}

void ResolverCache::store_negative(const dns::Name& qname, uint16_t qtype, CachedNegative entry,
                                   uint32_t ttl_s, uint64_t now_ms) {
  if (entry.verdict.is_bogus()) return;
  drop_denied(qname, entry.rcode, qtype);
  if (ttl_s == 0) return;
  // NXDOMAIN covers every type of the name (RFC 2308 §5).
  auto key = cache_key(qname, entry.rcode == dns::rcode::NXDOMAIN ? 0 : qtype);
  entry.expires_ms = expiry(ttl_s, max_negative_ttl_s_, now_ms);
  std::size_t bytes = sizeof(entry) + records_bytes(entry.authority) +
                      records_bytes(entry.cname_chain) + key.size();
  negatives_.put(key, std::move(entry), bytes);
}

const CachedNegative* ResolverCache::find_negative(const dns::Name& qname, uint16_t qtype,
                                                   uint64_t now_ms) {
  for (uint16_t t : {uint16_t{0}, qtype}) {
    auto key = cache_key(qname, t);
    CachedNegative* e = negatives_.get(key);
    if (e == nullptr) continue;
    if (e->expires_ms <= now_ms) {
      negatives_.erase(key);
      continue;
    }
    ++counters_.negative_hits;
    return e;
  }
  return nullptr;
}

namespace {

// The value under `key` while it has not expired; an expired one is dropped.
template <typename Cache>
auto fresh_value(Cache& cache, const std::string& key, uint64_t now_ms) -> decltype(&cache.get(key)->value) {
  auto* e = cache.get(key);
  if (e == nullptr) return nullptr;
  if (e->expires_ms <= now_ms) {
    cache.erase(key);
    return nullptr;
  }
  return &e->value;
}

}  // namespace

template <typename Cache, typename ZoneData>
void ResolverCache::store_zone_data(Cache& cache, const ZoneData& data, uint16_t type, std::size_t rdata_bytes,
                                    uint64_t now_ms) {
  if (data.verdict.is_bogus()) return;
  auto key = cache_key(data.zone, type);
  std::size_t bytes = sizeof(Timed<ZoneData>) + data.zone.size() + rdata_bytes;
  uint32_t ttl = data.ttl == 0 && !data.verdict.is_secure() ? max_negative_ttl_s_ : data.ttl;
  cache.put(key, Timed<ZoneData>{data, expiry(ttl, max_ttl_s_, now_ms)}, bytes);
}

void ResolverCache::store_keys(const ZoneKeys& keys, uint64_t now_ms) {
  store_zone_data(keys_, keys, dns::rrtype::DNSKEY, rdatas_bytes(keys.dnskeys), now_ms);
}

const ZoneKeys* ResolverCache::find_keys(const dns::Name& zone, uint64_t now_ms) {
  return fresh_value(keys_, cache_key(zone, dns::rrtype::DNSKEY), now_ms);
}

void ResolverCache::store_ds(const DsSet& ds, uint64_t now_ms) {
  store_zone_data(ds_, ds, dns::rrtype::DS, rdatas_bytes(ds.ds), now_ms);
}

const DsSet* ResolverCache::find_ds(const dns::Name& zone, uint64_t now_ms) {
  return fresh_value(ds_, cache_key(zone, dns::rrtype::DS), now_ms);
}

void ResolverCache::store_other_side(const dns::Name& owner, uint16_t type,
                                     std::vector<dns::ResourceRecord> records, uint32_t ttl_s,
                                     uint64_t now_ms) {
  if (records.empty()) return;
  auto key = cache_key(owner, type);
  const std::size_t bytes = sizeof(Timed<std::vector<dns::ResourceRecord>>) + key.size() + records_bytes(records);
  other_side_.put(key, {std::move(records), expiry(ttl_s, max_ttl_s_, now_ms)}, bytes);
}

const std::vector<dns::ResourceRecord>* ResolverCache::find_other_side(const dns::Name& owner,
                                                                      uint16_t type,
                                                                      uint64_t now_ms) {
  auto* e = other_side_.get(cache_key(owner, type));
  if (e == nullptr || e->expires_ms <= now_ms) return nullptr;
  return &e->value;
}

void ResolverCache::clear() {
  other_side_.clear();
  rrsets_.clear();
  rrset_types_.clear();
  negatives_.clear();
  keys_.clear();
  ds_.clear();
  nsecs_.clear();
}

std::size_t ResolverCache::bytes() const {
  return rrsets_.bytes() + negatives_.bytes() + keys_.bytes() + ds_.bytes() + other_side_.bytes() +
         nsecs_.bytes();
}

std::size_t ResolverCache::entries() const {
  return rrsets_.size() + negatives_.size() + keys_.size() + ds_.size() + other_side_.size() +
         nsecs_.entries();
}

}  // namespace flatns::resolver
