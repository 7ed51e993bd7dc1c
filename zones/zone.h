// The immutable zone snapshot and its lookup (RFC 1034 §4.3.2, RFC 4592
// wildcards, RFC 4035 §3.1 DNSSEC records).
//
// Everything the packet path needs is computed when the zone is built: nodes
// sorted in canonical order (RFC 4034 §6.1) with empty non-terminals made
// explicit, a hash index by lowercased name, per-node flags (apex, zone cut,
// occluded, wildcard child), the zone cut above each node, RRSIGs attached to
// the RRset they cover, and the sorted NSEC3 hashes. A lookup is a hash probe
// per label at most and allocates nothing.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dns/name.h"
#include "zones/zone_memory.h"
#include "zones/zone_set.h"

namespace flatns::zones {

inline constexpr uint32_t kNone = UINT32_MAX;

// One RRset; its records are `count` entries of [u16 length][rdata] at
// `rdata_offset` in the zone's rdata arena.
struct RRset {
  uint16_t type = 0;
  uint16_t count = 0;
  uint32_t ttl = 0;
  uint32_t rdata_offset = 0;
  uint32_t sigs = kNone;  // index of the RRSIG set covering this type, in Zone::sigsets_
};

// RRSIGs covering one RRset (same layout as RRset records).
struct SigSet {
  uint16_t count = 0;
  uint32_t ttl = 0;
  uint32_t rdata_offset = 0;
};

namespace node_flag {
inline constexpr uint8_t kApex = 1, kDelegation = 2,  // NS below the apex: a zone cut
    kOccluded = 4,                                      // below a zone cut (glue) or DNAME
    kWildcardChild = 8,                                 // "*.<this>" exists
    kEmptyNonTerminal = 16, kNsec3Owner = 32;
}  // namespace node_flag

struct Node {
  uint32_t name_offset = 0;  // wire name (case as in the file) in the name arena
  uint8_t name_length = 0;
  uint8_t labels = 0;
  uint8_t flags = 0;
  uint32_t rrset_begin = 0;  // into Zone::rrsets_
  uint16_t rrset_count = 0;
  uint32_t cut = kNone;  // topmost zone-cut node at or above this one
};

// A record set to put into a response, with its owner.
struct RRsetRef {
  const RRset* rrset = nullptr;
  const Node* node = nullptr;
};

class RRsetRecords {
 public:
  RRsetRecords(std::span<const uint8_t> arena, uint32_t offset, uint16_t count)
      : arena_(arena), offset_(offset), count_(count) {}
  template <typename F>
  void for_each(F&& f) const {
    std::size_t pos = offset_;
    for (uint16_t i = 0; i < count_; ++i) {
      const std::size_t len = static_cast<std::size_t>(arena_[pos]) << 8 | arena_[pos + 1];
      f(arena_.subspan(pos + 2, len));
      pos += 2 + len;
    }
  }
  uint16_t size() const { return count_; }
  // All records as stored: [u16 length][rdata] each, which is RDLENGTH and
  // RDATA as on the wire (dns::ResponseBuilder::add_rrset copies them).
  std::span<const uint8_t> wire() const {
    std::size_t pos = offset_;
    for (uint16_t i = 0; i < count_; ++i) pos += 2 + (static_cast<std::size_t>(arena_[pos]) << 8 | arena_[pos + 1]);
    return arena_.subspan(offset_, pos - offset_);
  }

 private:
  std::span<const uint8_t> arena_;
  uint32_t offset_;
  uint16_t count_;
};

struct Nsec3Params {
  bool present = false;
  uint8_t algorithm = 1;
  uint16_t iterations = 0;
  std::vector<uint8_t> salt;
};

class Zone {
 public:
  const dns::Name& origin() const { return origin_; }
  const std::string& file() const { return file_; }
  uint32_t serial() const { return serial_; }
  std::size_t record_count() const { return records_; }
  FlattenMode flatten() const { return flatten_; }
  bool signed_zone() const { return signed_; }
  // Signed by flatns itself (ZoneConfig::online_signed).
  bool online_signed() const { return online_signed_; }
  // The signer, when signed online (else null): zones/zone_set.h ZoneSigner.
  const ZoneSigner* signer() const { return signer_.get(); }
  const Nsec3Params& nsec3() const { return nsec3_; }
  // The files it was built from, as they were then (zones/zone_source.h).
  const std::vector<SourceFile>& sources() const { return sources_; }

  const Node* apex() const { return &nodes_[apex_]; }
  // Exact match on a lowercased or mixed-case wire name; null when absent.
  [[nodiscard]] const Node* find(dns::NameView name) const;
  // The same with the name's dns::name_hash already known.
  [[nodiscard]] const Node* find(dns::NameView name, uint64_t hash) const;
  // Three steps that start loading, into the cache, what find(name, hash)
  // will read: the index slot, then (reading that slot) the node, then
  // (reading the node) its name and first RRset. A receive batch runs each
  // step over all its queries before answering them, so their cache misses
  // overlap instead of following one another (server/listener_udp.cpp).
  // Each only reads what the step before loaded, and never faults.
  void prefetch_slot(uint64_t hash) const;
  void prefetch_node(uint64_t hash) const;
  void prefetch_records(uint64_t hash) const;
  // The deepest existing node that is `name` or an ancestor of it.
  [[nodiscard]] const Node* closest_encloser(dns::NameView name) const;
  // The same from the hashes of the name's suffixes (no hashing here).
  [[nodiscard]] const Node* closest_encloser(const dns::NameHashes& name) const;
  // The node ordered just before `name` (canonical order, wrapping to the
  // last node) among nodes that own an NSEC record. Null when none.
  [[nodiscard]] const Node* nsec_predecessor(dns::NameView name) const;
  // NSEC3: the node whose hashed owner matches or covers `hash` (raw SHA-1).
  [[nodiscard]] const Node* nsec3_match(std::span<const uint8_t> hash) const;
  [[nodiscard]] const Node* nsec3_cover(std::span<const uint8_t> hash) const;

  [[nodiscard]] const RRset* rrset(const Node* node, uint16_t type) const;
  std::span<const RRset> rrsets(const Node* node) const {
    return {rrsets_.data() + node->rrset_begin, node->rrset_count};
  }
  RRsetRecords records(const RRset& set) const {
    return RRsetRecords(rdata_, set.rdata_offset, set.count);
  }
  const SigSet* sigs(const RRset& set) const {
    return set.sigs == kNone ? nullptr : &sigsets_[set.sigs];
  }
  RRsetRecords records(const SigSet& set) const {
    return RRsetRecords(rdata_, set.rdata_offset, set.count);
  }
  dns::NameView name(const Node* node) const {
    return {names_.data() + node->name_offset, node->name_length};
  }
  const Node* node(uint32_t index) const { return &nodes_[index]; }
  uint32_t index_of(const Node* node) const { return static_cast<uint32_t>(node - nodes_.data()); }
  std::span<const Node> nodes() const { return nodes_; }

 private:
  friend class ZoneBuilder;

  dns::Name origin_;
  std::string file_;
  uint32_t serial_ = 0;
  std::size_t records_ = 0;
  FlattenMode flatten_ = FlattenMode::Apex;
  bool signed_ = false;
  bool online_signed_ = false;
  std::shared_ptr<const ZoneSigner> signer_;
  Nsec3Params nsec3_;
  std::vector<SourceFile> sources_;

  BigVector<Node> nodes_;  // canonical order; nodes_[apex_] is the apex
  uint32_t apex_ = 0;
  BigVector<RRset> rrsets_;
  BigVector<SigSet> sigsets_;
  BigVector<uint8_t> names_;
  BigVector<uint8_t> rdata_;
  // Open addressing by name_hash (low bits: the first slot). Each slot holds
  // the high half of its node's hash beside the node index, so a probe that
  // meets another name compares 4 octets already in the cache line instead of
  // reading that node and its name (two cache misses each in a large zone).
  struct IndexSlot {
    uint32_t tag = 0;       // name_hash >> 32
    uint32_t node = kNone;  // kNone: empty
  };
  static uint32_t index_tag(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }
  BigVector<IndexSlot> index_;
  BigVector<uint32_t> nsec_nodes_;    // nodes owning NSEC, canonical order
  struct Nsec3Entry {
    std::array<uint8_t, 20> hash;
    uint32_t node;
  };
  BigVector<Nsec3Entry> nsec3_chain_;  // sorted by hash
};

}  // namespace flatns::zones
