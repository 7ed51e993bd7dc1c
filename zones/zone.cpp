#include "zones/zone.h"

#include <algorithm>

namespace flatns::zones {

const Node* Zone::find(dns::NameView name) const { return find(name, dns::name_hash(name)); }

const Node* Zone::find(dns::NameView name, uint64_t hash) const {
  const std::size_t mask = index_.size() - 1;
  const uint32_t tag = index_tag(hash);
  std::size_t slot = hash & mask;
  while (true) {
    const IndexSlot entry = index_[slot];
    if (entry.node == kNone) return nullptr;
    if (entry.tag == tag) {
      const Node& n = nodes_[entry.node];
      if (n.name_length == name.size() && dns::name_equal(this->name(&n), name)) return &n;
    }
    slot = (slot + 1) & mask;
  }
}

void Zone::prefetch_slot(uint64_t hash) const {
  if (index_.size() == 0) return;
  __builtin_prefetch(&index_[hash & (index_.size() - 1)]);
}

// Only the first slot is followed: most names sit in their first slot, and
// a probe chain is read by find() anyway.
void Zone::prefetch_node(uint64_t hash) const {
  if (index_.size() == 0) return;
  const IndexSlot entry = index_[hash & (index_.size() - 1)];
  if (entry.node != kNone && entry.tag == index_tag(hash)) __builtin_prefetch(&nodes_[entry.node]);
}

void Zone::prefetch_records(uint64_t hash) const {
  if (index_.size() == 0) return;
  const IndexSlot entry = index_[hash & (index_.size() - 1)];
  if (entry.node == kNone || entry.tag != index_tag(hash)) return;
  const Node& n = nodes_[entry.node];
  __builtin_prefetch(names_.data() + n.name_offset);
  if (n.rrset_count != 0) __builtin_prefetch(&rrsets_[n.rrset_begin]);
}

const Node* Zone::closest_encloser(dns::NameView name) const {
  dns::NameHashes hashes;
  hashes.compute(name);
  return closest_encloser(hashes);
}

const Node* Zone::closest_encloser(const dns::NameHashes& name) const {
  const int extra = name.labels() - static_cast<int>(nodes_[apex_].labels);
  for (int strip = 0; strip <= extra; ++strip) {
    if (const Node* n = find(name.suffix(strip), name.hash(strip))) return n;
  }
  return nullptr;
}

const Node* Zone::nsec_predecessor(dns::NameView name) const {
  if (nsec_nodes_.empty()) return nullptr;
  // First NSEC owner ordered after `name`; its predecessor covers `name`.
  auto it = std::upper_bound(nsec_nodes_.begin(), nsec_nodes_.end(), name,
                             [&](dns::NameView n, uint32_t idx) {
                               return dns::canonical_compare(n, this->name(&nodes_[idx])) < 0;
                             });
  if (it == nsec_nodes_.begin()) return &nodes_[nsec_nodes_.back()];
  return &nodes_[*(it - 1)];
}

const Node* Zone::nsec3_match(std::span<const uint8_t> hash) const {
  if (hash.size() != 20) return nullptr;
  auto it = std::lower_bound(nsec3_chain_.begin(), nsec3_chain_.end(), hash,
                             [](const Nsec3Entry& e, std::span<const uint8_t> h) {
                               return std::lexicographical_compare(e.hash.begin(), e.hash.end(),
                                                                   h.begin(), h.end());
                             });
  if (it != nsec3_chain_.end() && std::equal(it->hash.begin(), it->hash.end(), hash.begin())) {
    return &nodes_[it->node];
  }
  return nullptr;
}

const Node* Zone::nsec3_cover(std::span<const uint8_t> hash) const {
  if (nsec3_chain_.empty() || hash.size() != 20) return nullptr;
  // The last hash strictly below `hash`, wrapping around to the last entry.
  auto it = std::lower_bound(nsec3_chain_.begin(), nsec3_chain_.end(), hash,
                             [](const Nsec3Entry& e, std::span<const uint8_t> h) {
                               return std::lexicographical_compare(e.hash.begin(), e.hash.end(),
                                                                   h.begin(), h.end());
                             });
  if (it == nsec3_chain_.begin()) return &nodes_[nsec3_chain_.back().node];
  return &nodes_[(it - 1)->node];
}

const RRset* Zone::rrset(const Node* node, uint16_t type) const {
  for (const RRset& s : rrsets(node)) {
    if (s.type == type) return &s;
  }
  return nullptr;
}

ZoneSet::ZoneSet(std::vector<std::shared_ptr<const Zone>> zones) : zones_(std::move(zones)) {
  std::sort(zones_.begin(), zones_.end(), [](const auto& a, const auto& b) {
    return a->origin().size() > b->origin().size();
  });
  std::size_t cap = 8;
  while (cap < zones_.size() * 2) cap <<= 1;
  index_.assign(cap, kNone);
  for (uint32_t i = 0; i < zones_.size(); ++i) {
    std::size_t slot = dns::name_hash(zones_[i]->origin().wire()) & (cap - 1);
    while (index_[slot] != kNone) slot = (slot + 1) & (cap - 1);
    index_[slot] = i;
    const std::size_t size = zones_[i]->origin().size();
    origin_sizes_[size / 64] |= uint64_t{1} << (size % 64);
    any_online_signed_ |= zones_[i]->signer() != nullptr;
  }
}

const Zone* ZoneSet::find(dns::NameView qname) const {
  dns::NameHashes hashes;
  hashes.compute(qname);
  return find(hashes);
}

const Zone* ZoneSet::find(const dns::NameHashes& qname) const {
  if (zones_.empty()) return nullptr;
  // Longest match first: probe the name, then each ancestor, by origin hash.
  const std::size_t mask = index_.size() - 1;
  for (int strip = 0; strip <= qname.labels(); ++strip) {
    const std::size_t size = qname.suffix_size(strip);
    if (size > 255 || !(origin_sizes_[size / 64] >> (size % 64) & 1)) continue;
    const dns::NameView suffix = qname.suffix(strip);
    for (std::size_t slot = qname.hash(strip) & mask; index_[slot] != kNone; slot = (slot + 1) & mask) {
      const Zone* z = zones_[index_[slot]].get();
      if (dns::name_equal(z->origin().wire(), suffix)) return z;
    }
  }
  return nullptr;
}

std::shared_ptr<const Zone> ZoneSet::find_exact(const dns::Name& origin) const {
  if (zones_.empty()) return nullptr;
  const std::size_t mask = index_.size() - 1;
  for (std::size_t slot = dns::name_hash(origin.wire()) & mask; index_[slot] != kNone; slot = (slot + 1) & mask) {
    if (zones_[index_[slot]]->origin() == origin) return zones_[index_[slot]];
  }
  return nullptr;
}

}  // namespace flatns::zones
