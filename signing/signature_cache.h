// A bounded cache of RRSIGs, keyed as PowerDNS keys its signature cache
// (pdns/dnssecsigner.cc): by the signing key and a hash of the data signed
// apart from the validity times, so an unchanged RRset (a flattened answer
// refreshed with the same addresses, a repeated NXDOMAIN name, a zone
// re-signed after a reload) is never signed twice while its signature has
// more than the refresh margin left.
//
// The hash is SHA-256 (truncated to 128 bits) over the owner (lowercased),
// type, class, original TTL, label count and the canonical RDATA set, so a
// collision would need a SHA-256 one. Entries are spread over shards, each
// with its own lock; a full shard evicts its oldest entry (FIFO), so the
// cache never holds more than `capacity` signatures.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "dns/dnssec.h"

namespace flatns::signing {

struct SignatureKey {
  std::array<uint8_t, 16> digest{};
  uint16_t key_tag = 0;
  uint8_t algorithm = 0;
  friend bool operator==(const SignatureKey&, const SignatureKey&) = default;
};

// The cache key of `rrset` signed with labels `labels` and original TTL `ttl`.
[[nodiscard]] bool signature_key(const dns::RrsetRef& rrset, uint32_t ttl, int labels,
                                 uint16_t key_tag, uint8_t algorithm, SignatureKey& out);

class SignatureCache {
 public:
  explicit SignatureCache(std::size_t capacity);
  // The cached RRSIG RDATA when its expiration is more than `margin`
  // seconds after `now`.
  [[nodiscard]] bool find(const SignatureKey& key, int64_t now, uint32_t margin,
                          std::vector<uint8_t>& rrsig) const;
  void store(const SignatureKey& key, std::span<const uint8_t> rrsig, uint32_t expiration);
  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }

 private:
  struct Hash {
    std::size_t operator()(const SignatureKey& k) const;
  };
  struct Entry {
    std::vector<uint8_t> rrsig;
    uint32_t expiration = 0;
  };
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<SignatureKey, Entry, Hash> map;
    std::deque<SignatureKey> order;  // insertion order, for eviction
  };
  std::size_t capacity_;
  std::size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace flatns::signing
