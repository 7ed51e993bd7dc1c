#include "signing/signature_cache.h"

#include <algorithm>
#include <cstring>

#include "dns/rdata.h"

namespace flatns::signing {

bool signature_key(const dns::RrsetRef& rrset, uint32_t ttl, int labels, uint16_t key_tag,
                   uint8_t algorithm, SignatureKey& out) {
  if (rrset.owner.empty() || rrset.owner.size() > dns::kMaxNameLength) return false;
  uint8_t owner[dns::kMaxNameLength];
  std::memcpy(owner, rrset.owner.data(), rrset.owner.size());
  dns::lowercase_name({owner, rrset.owner.size()});
  const uint8_t fixed[9] = {static_cast<uint8_t>(rrset.type >> 8), static_cast<uint8_t>(rrset.type),
                            static_cast<uint8_t>(rrset.rrclass >> 8), static_cast<uint8_t>(rrset.rrclass),
                            static_cast<uint8_t>(ttl >> 24), static_cast<uint8_t>(ttl >> 16),
                            static_cast<uint8_t>(ttl >> 8), static_cast<uint8_t>(ttl),
                            static_cast<uint8_t>(labels)};
  // Canonical RDATA, sorted and deduplicated (RFC 4034 §6.3), each with its length.
  std::vector<std::vector<uint8_t>> rdatas;
  rdatas.reserve(rrset.rdatas.size());
  for (auto rd : rrset.rdatas) {
    auto& c = rdatas.emplace_back(rd.begin(), rd.end());
    dns::rdata_canonicalize(rrset.type, c);
    c.insert(c.begin(), {static_cast<uint8_t>(c.size() >> 8), static_cast<uint8_t>(c.size())});
  }
  std::sort(rdatas.begin(), rdatas.end());
  rdatas.erase(std::unique(rdatas.begin(), rdatas.end()), rdatas.end());
  std::vector<std::span<const uint8_t>> parts;
  parts.reserve(2 + rdatas.size());
  parts.emplace_back(owner, rrset.owner.size());
  parts.emplace_back(fixed, sizeof fixed);
  for (const auto& rd : rdatas) parts.emplace_back(rd);
  dns::Digest d;
  if (!dns::sha_digest(dns::DigestAlg::sha256, parts, d)) return false;
  std::memcpy(out.digest.data(), d.bytes.data(), out.digest.size());
  out.key_tag = key_tag;
  out.algorithm = algorithm;
  return true;
}

std::size_t SignatureCache::Hash::operator()(const SignatureKey& k) const {
  uint64_t h;
  std::memcpy(&h, k.digest.data(), sizeof h);
  return static_cast<std::size_t>(h ^ (static_cast<uint64_t>(k.key_tag) << 8) ^ k.algorithm);
}

SignatureCache::SignatureCache(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, kShards)), per_shard_(capacity_ / kShards) {}

bool SignatureCache::find(const SignatureKey& key, int64_t now, uint32_t margin,
                          std::vector<uint8_t>& rrsig) const {
  const Shard& s = shards_[key.digest[15] % kShards];
  std::lock_guard lock(s.mutex);
  auto it = s.map.find(key);
  if (it == s.map.end()) return false;
  // Serial arithmetic is not needed: expirations are within 2^31 s of now.
  if (static_cast<int64_t>(it->second.expiration) - now <= static_cast<int64_t>(margin)) return false;
  rrsig = it->second.rrsig;
  return true;
}

void SignatureCache::store(const SignatureKey& key, std::span<const uint8_t> rrsig,
                           uint32_t expiration) {
  Shard& s = shards_[key.digest[15] % kShards];
  std::lock_guard lock(s.mutex);
  auto [it, inserted] = s.map.try_emplace(key);
  it->second.rrsig.assign(rrsig.begin(), rrsig.end());
  it->second.expiration = expiration;
  if (!inserted) return;
  s.order.push_back(key);
  while (s.map.size() > per_shard_) {
    s.map.erase(s.order.front());
    s.order.pop_front();
  }
}

std::size_t SignatureCache::size() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.map.size();
  }
  return n;
}

}  // namespace flatns::signing
