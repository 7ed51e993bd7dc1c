// The resolver's caches, bounded in bytes with LRU eviction:
//  - RRsets with their verdict and trust rank (RFC 2181 §5.4.1): data of a
//    higher rank is never replaced by lower-ranked data before it expires,
//    and glue / referral data is never given out as an answer;
//  - negative answers (RFC 2308): NXDOMAIN per name, NODATA per name and
//    type, kept for the SOA-derived TTL (§5) with their proof records. A
//    negative answer replaces what it denies: NXDOMAIN drops every cached
//    RRset of the name, NODATA the RRset of that type (and the name's CNAME,
//    which the server would have followed), so a refresh that learns a name
//    is gone is not contradicted by the older positive data;
//  - per zone: the validated DNSKEY set (ZoneKeys) and what the parent said
//    about the cut (DsSet), so nothing is validated twice;
//  - validated NSEC records per zone for RFC 8198 synthesis (nsec_cache.h);
//  - the other side of each delegation, kept apart so the ranked data never
//    hides it: the NS set a zone's own servers name in the authority section
//    of their authoritative answers, and the glue addresses a parent gave for
//    NS names. When every server of a zone fails, the iterator falls back to
//    these (the parent and child may list different servers or addresses,
//    and only one side may work; Unbound does the same).
// Bogus data is never cached as an answer. TTLs are capped by the limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "dns/message.h"
#include "dns/message_parser.h"
#include "dns/name.h"
#include "resolver-client/lru_cache.h"
#include "resolver-client/nsec_cache.h"
#include "resolver-client/val_keyset.h"
#include "resolver-client/verdict.h"

namespace flatns::resolver {

// RFC 2181 §5.4.1, from least to most trustworthy.
enum class Trust : uint8_t {
  Additional = 1,         // additional section (glue)
  ReferralAuthority = 2,  // authority section of a referral (NS of the child)
  NonAuthAnswer = 3,      // answer section without AA (forwarders)
  AuthAuthority = 4,      // authority section of an authoritative answer
  AuthAnswer = 5,         // answer section of an authoritative answer
};

struct CachedRrset {
  dns::Name owner;
  uint16_t type = 0;
  std::vector<dns::ResourceRecord> records;  // the RRset, then its RRSIGs
  Trust trust = Trust::Additional;
  Verdict verdict;
  // The response it came from had records with malformed RDATA removed
  // (Result::malformed_removed): an answer from the cache says so too.
  bool malformed_removed = false;
  uint64_t expires_ms = 0;
  [[nodiscard]] uint32_t ttl_left(uint64_t now_ms) const {
    return now_ms >= expires_ms ? 0 : static_cast<uint32_t>((expires_ms - now_ms) / 1000);
  }
};

struct CachedNegative {
  uint16_t rcode = 0;                          // NXDOMAIN or NOERROR (NODATA)
  std::vector<dns::ResourceRecord> authority;  // SOA and NSEC/NSEC3 proof with RRSIGs
  std::vector<dns::ResourceRecord> cname_chain;  // CNAMEs in the zone before the denial
  Verdict verdict;
  uint64_t expires_ms = 0;
  [[nodiscard]] uint32_t ttl_left(uint64_t now_ms) const {
    return now_ms >= expires_ms ? 0 : static_cast<uint32_t>((expires_ms - now_ms) / 1000);
  }
};

struct CacheCounters {
  uint64_t rrset_hits = 0, negative_hits = 0, misses = 0, rejected_lower_trust = 0;
};

class ResolverCache {
 public:
  explicit ResolverCache(std::size_t max_bytes, uint32_t max_ttl_s = 86400,
                         uint32_t max_negative_ttl_s = 3600);
  // The eviction hook of the RRset cache points at this object.
  ResolverCache(const ResolverCache&) = delete;
  ResolverCache& operator=(const ResolverCache&) = delete;

  // Stores `records` (one RRset plus its RRSIGs) with `ttl_s`. Returns false
  // when a fresher entry of higher trust is kept instead, or when the verdict
  // is bogus.
  bool store_rrset(const dns::Name& owner, uint16_t type, std::vector<dns::ResourceRecord> records,
                   uint32_t ttl_s, Trust trust, const Verdict& verdict, uint64_t now_ms,
                   bool malformed_removed = false);
  // A fresh RRset of at least `min_trust`, or nullptr.
  [[nodiscard]] const CachedRrset* find_rrset(const dns::Name& owner, uint16_t type,
                                              Trust min_trust, uint64_t now_ms);

  // Whether an RRset of `type` owned by a proper ancestor of `name`, at or
  // below `top`, is still held though expired (not yet dropped). A cached
  // delegation below a lapsed one is not used (Unbound, CVE-2022-30698):
  // the parent is asked again, so a removed zone does not live on as a
  // ghost through the cuts below it.
  [[nodiscard]] bool expired_above(const dns::Name& name, uint16_t type, const dns::Name& top,
                                   uint64_t now_ms);

  // NXDOMAIN is stored for the name (every type); NODATA for name and type.
  // Unless bogus, the positive RRsets it denies are dropped first, even when
  // a TTL of 0 keeps the negative answer itself out of the cache.
  void store_negative(const dns::Name& qname, uint16_t qtype, CachedNegative entry, uint32_t ttl_s,
                      uint64_t now_ms);
  [[nodiscard]] const CachedNegative* find_negative(const dns::Name& qname, uint16_t qtype,
                                                    uint64_t now_ms);

  void store_keys(const ZoneKeys& keys, uint64_t now_ms);
  [[nodiscard]] const ZoneKeys* find_keys(const dns::Name& zone, uint64_t now_ms);
  void store_ds(const DsSet& ds, uint64_t now_ms);
  [[nodiscard]] const DsSet* find_ds(const dns::Name& zone, uint64_t now_ms);

  // The other side of a delegation (see above): NS of a zone by its own
  // servers, or A / AAAA glue by a parent. Replaced by newer data of the
  // same kind; never given out as an answer.
  void store_other_side(const dns::Name& owner, uint16_t type,
                        std::vector<dns::ResourceRecord> records, uint32_t ttl_s, uint64_t now_ms);
  [[nodiscard]] const std::vector<dns::ResourceRecord>* find_other_side(const dns::Name& owner,
                                                                       uint16_t type,
                                                                       uint64_t now_ms);

  // Validated NSECs for aggressive negative answers (RFC 8198).
  [[nodiscard]] NsecCache& nsecs() { return nsecs_; }

  void clear();
  [[nodiscard]] std::size_t bytes() const;
  [[nodiscard]] std::size_t entries() const;
  [[nodiscard]] const CacheCounters& counters() const { return counters_; }

 private:
  template <typename T>
  struct Timed {
    T value;
    uint64_t expires_ms = 0;
  };
  uint64_t expiry(uint32_t ttl_s, uint32_t cap_s, uint64_t now_ms) const;
  void drop_rrset(const std::string& key);
  void forget_type(const std::string& key);
  void drop_denied(const dns::Name& qname, uint16_t rcode, uint16_t qtype);
  // DNSKEY and DS sets: bogus ones are not kept, an unsigned answer with TTL 0
  // is kept for the negative TTL cap.
  template <typename Cache, typename ZoneData>
  void store_zone_data(Cache& cache, const ZoneData& data, uint16_t type, std::size_t rdata_bytes,
                       uint64_t now_ms);

  uint32_t max_ttl_s_, max_negative_ttl_s_;
  LruCache<std::string, CachedRrset> rrsets_;
  // The types cached in rrsets_ per name (key: the lowercased wire name), so
  // NXDOMAIN can drop all of them without a scan.
  std::unordered_map<std::string, std::vector<uint16_t>> rrset_types_;
  LruCache<std::string, CachedNegative> negatives_;
  LruCache<std::string, Timed<ZoneKeys>> keys_;
  LruCache<std::string, Timed<DsSet>> ds_;
  LruCache<std::string, Timed<std::vector<dns::ResourceRecord>>> other_side_;
  NsecCache nsecs_;
  CacheCounters counters_;
};

// The cache key of a name (lowercased wire form) and type.
[[nodiscard]] std::string cache_key(const dns::Name& name, uint16_t type);

}  // namespace flatns::resolver
