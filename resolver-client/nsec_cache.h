// Aggressive use of DNSSEC-validated cache (RFC 8198), as Unbound's
// `aggressive-nsec: yes`: the NSEC records of secure negative answers are
// kept per zone, in canonical order (RFC 4034 §6.1), with the zone's SOA;
// a later question whose name one of them matches or covers is answered
// from them without asking: NODATA (RFC 8198 §5.2; an empty non-terminal
// or a wildcard without the type too) or NXDOMAIN with the wildcard proof
// (§5.3). The proofs are val_nsec.h's, the validator's own.
//
// Only NSEC, never NSEC3 (so no opt-out span ever denies), and only data
// the validator found secure from a trust anchor: the Iteration stores
// nothing insecure, bogus or fetched with checking disabled. A synthesized
// answer's TTL is the smallest of what is left of the NSECs and of the SOA
// (§5.4), each stored with at most the negative TTL of its response (the
// SOA's TTL and MINIMUM, RFC 2308 §5, RFC 9077). Memory: the entries share
// one byte budget (part of resolver.cache_size) with LRU eviction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "dns/message.h"
#include "dns/name.h"
#include "resolver-client/lru_cache.h"
#include "resolver-client/val_nsec.h"

namespace flatns::resolver {

// A negative answer made from cached NSEC records.
struct NsecSynthesis {
  uint16_t rcode = 0;  // NXDOMAIN or NOERROR (NODATA)
  dns::Name zone;
  uint32_t ttl = 0;
  // The NSEC RRsets used and the zone's SOA, each with its RRSIGs, TTLs set
  // to `ttl`: the authority section of the answer.
  std::vector<dns::ResourceRecord> authority;
};

class NsecCache {
 public:
  NsecCache(std::size_t max_bytes, uint32_t max_negative_ttl_s);
  NsecCache(const NsecCache&) = delete;
  NsecCache& operator=(const NsecCache&) = delete;

  // Keeps the NSEC RRsets owned by `secure_owners` (validated, of `zone`)
  // found in `authority`, and the zone's SOA from it, for at most
  // `negative_ttl_s`. Nothing is kept without the zone's SOA.
  void store(const dns::Name& zone, std::span<const dns::ResourceRecord> authority,
             std::span<const dns::Name> secure_owners, uint32_t negative_ttl_s, uint64_t now_ms);

  // NXDOMAIN or NODATA for (qname, qtype) proven by fresh cached NSECs of
  // the deepest zone above qname that has any, or nothing.
  [[nodiscard]] std::optional<NsecSynthesis> synthesize(const dns::Name& qname, uint16_t qtype,
                                                        uint64_t now_ms);

  void clear();
  [[nodiscard]] std::size_t bytes() const { return nsecs_.bytes(); }
  [[nodiscard]] std::size_t entries() const { return nsecs_.size(); }

 private:
  // An NSEC RRset, or the zone's SOA RRset (key without an owner part).
  struct Entry {
    NsecRecord nsec;
    std::vector<dns::ResourceRecord> records;  // the RRset and its RRSIGs
    uint64_t expires_ms = 0;
  };
  struct Zone {
    dns::Name apex;
    std::set<dns::Name> owners;  // of its NSECs, canonical order (dns::Name's operator<)
    bool has_soa = false;
  };

  // The fresh NSEC with the greatest owner at or before `name` in the zone
  // (expired ones on the way are dropped).
  std::optional<Entry> at_or_before(const std::string& zone_key, const dns::Name& name,
                                    uint64_t now_ms);
  void forget(const std::string& key);

  uint32_t max_negative_ttl_s_;
  // Key: the zone's lowercased wire name, then the NSEC owner's (none for
  // the SOA).
  LruCache<std::string, Entry> nsecs_;
  std::unordered_map<std::string, Zone> zones_;  // key: the zone's lowercased wire name
};

}  // namespace flatns::resolver
