// Builds a Zone snapshot from scanned records and runs the checks that
// NSD, Knot and named-checkzone make before serving a zone.
#include <algorithm>
#include <array>
#include <string_view>

#include "dns/encoding.h"
#include "dns/rrtype.h"
#include "zones/zone.h"

namespace flatns::zones {

using dns::Name;

namespace {

// A byte string whose memcmp order is RFC 4034 §6.1 canonical order: labels
// from the root down, lowercased, each ended by 0x00; octets 0x00 and 0x01
// are escaped as 0x01 0x01 and 0x01 0x02 so that the terminator sorts first.
void append_canonical_key(dns::NameView name, std::vector<uint8_t>& out) {
  std::array<uint8_t, 128> starts;
  int n = 0;
  for (std::size_t pos = 0; pos < name.size() && name[pos] != 0; pos += 1 + name[pos]) {
    starts[n++] = static_cast<uint8_t>(pos);
  }
  while (n-- > 0) {
    const std::size_t pos = starts[n];
    for (std::size_t k = 1; k <= name[pos]; ++k) {
      const uint8_t c = dns::ascii_lower(name[pos + k]);
      if (c <= 1) {
        out.push_back(1);
        out.push_back(static_cast<uint8_t>(c + 1));
      } else {
        out.push_back(c);
      }
    }
    out.push_back(0);
  }
}

}  // namespace

class ZoneBuilder {
 public:
  ZoneBuilder(const ZoneConfig& config, ZoneLoadResult& result)
      : config_(config), result_(result) {}

  void add(ParsedRecord&& rec) {
    if (!rec.owner.is_subdomain_of(config_.origin)) {
      error(rec, "out-of-zone data: " + rec.owner.to_text() + " " + dns::type_to_text(rec.type) +
                     " is not in zone " + config_.origin.to_text());
      return;
    }
    records_.push_back(std::move(rec));
  }

  std::shared_ptr<const Zone> build();

 private:
  struct NodeDraft {
    dns::NameView name;                 // a record's owner, or a suffix of one for ENTs
    std::span<const uint32_t> records;  // indexes into records_, sorted by type
  };

  void error(const ParsedRecord& rec, std::string message) {
    result_.errors.push_back({rec.file, rec.line, std::move(message)});
  }
  void warning(const ParsedRecord& rec, std::string message) {
    result_.warnings.push_back({rec.file, rec.line, std::move(message)});
  }
  void check_node(const NodeDraft& node, bool apex, bool flattened_names_allowed);
  bool is_flattened_name(dns::NameView /*name*/, bool apex) const {
    if (config_.flatten == FlattenMode::Off) return false;
    return apex || config_.flatten == FlattenMode::All;
  }
  void build_index(Zone& zone);
  void link_nodes(Zone& zone);
  void append_rdata(Zone& zone, const std::vector<const ParsedRecord*>& recs);

  const ZoneConfig& config_;
  ZoneLoadResult& result_;
  std::vector<ParsedRecord> records_;
};

void ZoneBuilder::check_node(const NodeDraft& node, bool apex, bool /*unused*/) {
  bool has_cname = false, has_other = false, has_alias = false;
  const ParsedRecord* first_cname = nullptr;
  int cname_count = 0;
  for (uint32_t i : node.records) {
    const ParsedRecord& r = records_[i];
    if (r.type == dns::rrtype::CNAME) {
      has_cname = true;
      if (!first_cname) first_cname = &r;
      ++cname_count;
    } else if (r.type == dns::rrtype::ALIAS || r.type == dns::rrtype::ANAME) {
      has_alias = true;
    } else if (r.type != dns::rrtype::RRSIG && r.type != dns::rrtype::NSEC) {
      has_other = true;
    }
  }
  if (cname_count > 1) {
    error(*first_cname, "more than one CNAME at " + dns::name_to_text(node.name));
  }
  if (has_cname && has_other && !is_flattened_name(node.name, apex)) {
    error(*first_cname, "CNAME and other data at " + dns::name_to_text(node.name) +
                            " (allowed only at a flattened name: set flatten: apex or all)");
  }
  if (has_cname && has_alias) {
    error(*first_cname, "CNAME and ALIAS/ANAME at the same name " + dns::name_to_text(node.name));
  }
}

std::shared_ptr<const Zone> ZoneBuilder::build() {
  const Name& origin = config_.origin;
  // Sort records by owner (canonical order), then type, on precomputed keys
  // that compare with memcmp; then drop exact duplicates.
  std::vector<uint8_t> keys;
  std::vector<std::pair<uint32_t, uint32_t>> key_at(records_.size());  // offset, length
  keys.reserve(records_.size() * 24);
  for (std::size_t i = 0; i < records_.size(); ++i) {
    const uint32_t off = static_cast<uint32_t>(keys.size());
    append_canonical_key(records_[i].owner.wire(), keys);
    key_at[i] = {off, static_cast<uint32_t>(keys.size() - off)};
  }
  auto key = [&](uint32_t i) {
    return std::basic_string_view<uint8_t>(keys.data() + key_at[i].first, key_at[i].second);
  };
  std::vector<uint32_t> order(records_.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const int c = key(a).compare(key(b));
    if (c != 0) return c < 0;
    if (records_[a].type != records_[b].type) return records_[a].type < records_[b].type;
    return a < b;
  });

  std::vector<uint32_t> kept;
  kept.reserve(order.size());
  std::vector<std::pair<uint32_t, uint32_t>> owner_ranges;  // [begin, end) in kept
  for (std::size_t k = 0; k < order.size(); ++k) {
    const uint32_t idx = order[k];
    if (k == 0 || key(order[k - 1]) != key(idx)) {
      owner_ranges.push_back({static_cast<uint32_t>(kept.size()), static_cast<uint32_t>(kept.size())});
    }
    auto& range = owner_ranges.back();
    bool duplicate = false;
    for (uint32_t j = range.first; j < kept.size(); ++j) {
      const ParsedRecord& o = records_[kept[j]];
      if (o.type == records_[idx].type && o.rdata == records_[idx].rdata) {
        duplicate = true;
        break;
      }
    }
    if (!duplicate) {
      kept.push_back(idx);
      range.second = static_cast<uint32_t>(kept.size());
    }
  }
  std::vector<NodeDraft> drafts;
  drafts.reserve(owner_ranges.size());
  for (auto [b, e] : owner_ranges) {
    drafts.push_back({records_[kept[b]].owner.wire(),
                      std::span<const uint32_t>(kept.data() + b, e - b)});
  }

  // Zone-level checks.
  const NodeDraft* apex = nullptr;
  for (const NodeDraft& d : drafts) {
    if (dns::name_equal(d.name, origin.wire())) apex = &d;
  }
  const std::string zone_text = origin.to_text();
  ParsedRecord where;
  where.file = config_.file;
  where.line = 0;
  if (!apex) {
    error(where, "zone " + zone_text + " has no SOA record at its apex");
    return nullptr;
  }
  int soa_count = 0, ns_count = 0;
  bool has_dnskey = false;
  for (uint32_t i : apex->records) {
    if (records_[i].type == dns::rrtype::SOA) ++soa_count;
    if (records_[i].type == dns::rrtype::NS) ++ns_count;
    if (records_[i].type == dns::rrtype::DNSKEY) has_dnskey = true;
  }
  if (soa_count == 0) error(where, "zone " + zone_text + " has no SOA record at its apex");
  if (soa_count > 1) error(where, "zone " + zone_text + " has more than one SOA record");
  if (ns_count == 0) error(where, "zone " + zone_text + " has no NS records at its apex");
  for (const NodeDraft& d : drafts) {
    const bool at_apex = &d == apex;
    check_node(d, at_apex, false);
    for (uint32_t i : d.records) {
      const ParsedRecord& r = records_[i];
      if (r.type == dns::rrtype::SOA && !at_apex) {
        error(r, "SOA record at " + dns::name_to_text(d.name) + " is not at the zone apex " + zone_text);
      }
      if ((r.type == dns::rrtype::ALIAS || r.type == dns::rrtype::ANAME) &&
          !is_flattened_name(d.name, at_apex)) {
        error(r, dns::type_to_text(r.type) + " at " + dns::name_to_text(d.name) + " in zone " + zone_text +
                     " is not at a flattened name (flatten: " +
                     (config_.flatten == FlattenMode::Off ? "off" : "apex") + ")");
      }
    }
  }
  // A pre-signed zone cannot carry flattened answers until online signing exists.
  if (has_dnskey && config_.flatten != FlattenMode::Off) {
    for (const NodeDraft& d : drafts) {
      const bool at_apex = &d == apex;
      if (!is_flattened_name(d.name, at_apex)) continue;
      bool flattened = false;
      for (uint32_t i : d.records) {
        const uint16_t t = records_[i].type;
        if (t == dns::rrtype::CNAME || t == dns::rrtype::ALIAS || t == dns::rrtype::ANAME) {
          flattened = true;
        }
      }
      if (flattened) {
        error(records_[d.records.front()],
              "zone " + zone_text + " is DNSSEC-signed (DNSKEY at the apex) and " +
                  dns::name_to_text(d.name) +
                  " would be flattened; flattened answers cannot be signed yet: set flatten: off "
                  "for this zone or serve it unsigned");
        break;
      }
    }
  }
  if (!result_.errors.empty()) return nullptr;

  // Make empty non-terminals explicit so that every node's parent exists.
  // Canonical order is a pre-order walk of the tree, so a stack of the
  // current node's ancestors finds the missing ones in one pass, and each
  // missing ancestor belongs just before the first node below it.
  std::vector<NodeDraft> all;
  all.reserve(drafts.size() + drafts.size() / 4);
  std::vector<dns::NameView> path;
  for (const NodeDraft& d : drafts) {
    while (!path.empty() && !dns::is_subdomain(d.name, path.back())) path.pop_back();
    const int have = path.empty() ? dns::label_count(origin.wire()) - 1
                                  : dns::label_count(path.back());
    const int want = dns::label_count(d.name);
    for (int labels = have + 1; labels < want; ++labels) {
      const dns::NameView ent = dns::strip_labels(d.name, want - labels);
      all.push_back({ent, {}});
      path.push_back(ent);
    }
    all.push_back(d);
    path.push_back(d.name);
  }
  drafts.swap(all);

  auto zone = std::make_shared<Zone>();
  zone->origin_ = origin;
  zone->file_ = config_.file;
  zone->flatten_ = config_.flatten;
  zone->signed_ = has_dnskey;
  zone->nodes_.reserve(drafts.size());
  for (const NodeDraft& d : drafts) {
    Node n;
    n.name_offset = static_cast<uint32_t>(zone->names_.size());
    n.name_length = static_cast<uint8_t>(d.name.size());
    n.labels = static_cast<uint8_t>(dns::label_count(d.name));
    zone->names_.insert(zone->names_.end(), d.name.begin(), d.name.end());
    if (dns::name_equal(d.name, origin.wire())) {
      n.flags |= node_flag::kApex;
      zone->apex_ = static_cast<uint32_t>(zone->nodes_.size());
    }
    if (d.records.empty()) n.flags |= node_flag::kEmptyNonTerminal;
    // NSEC3 records live in their own chain (RFC 5155 §7.2): their hashed
    // owners are not names of the zone, and lookups must not find them.
    bool nsec3_only = !d.records.empty();
    for (uint32_t r : d.records) {
      const ParsedRecord& rec = records_[r];
      const bool covers_nsec3 = rec.type == dns::rrtype::RRSIG && rec.rdata.size() >= 2 &&
                                (rec.rdata[0] << 8 | rec.rdata[1]) == dns::rrtype::NSEC3;
      if (rec.type != dns::rrtype::NSEC3 && !covers_nsec3) nsec3_only = false;
    }
    if (nsec3_only) n.flags |= node_flag::kNsec3Owner;
    n.rrset_begin = static_cast<uint32_t>(zone->rrsets_.size());

    // Group this node's records into RRsets (records are sorted by type).
    std::vector<const ParsedRecord*> sigs;
    std::size_t i = 0;
    while (i < d.records.size()) {
      const ParsedRecord& first = records_[d.records[i]];
      std::vector<const ParsedRecord*> set;
      std::size_t j = i;
      while (j < d.records.size() && records_[d.records[j]].type == first.type) {
        const ParsedRecord& r = records_[d.records[j]];
        if (r.ttl != first.ttl && first.type != dns::rrtype::RRSIG) {
          warning(r, "TTL " + std::to_string(r.ttl) + " of " + dns::name_to_text(d.name) + " " +
                         dns::type_to_text(r.type) + " differs from the RRset's TTL " +
                         std::to_string(first.ttl) + "; using " + std::to_string(first.ttl));
        }
        set.push_back(&r);
        ++j;
      }
      if (first.type == dns::rrtype::RRSIG) sigs = set;
      RRset rs;
      rs.type = first.type;
      rs.count = static_cast<uint16_t>(set.size());
      rs.ttl = first.ttl;
      rs.rdata_offset = static_cast<uint32_t>(zone->rdata_.size());
      append_rdata(*zone, set);
      zone->rrsets_.push_back(rs);
      zone->records_ += set.size();
      if (first.type == dns::rrtype::SOA && first.rdata.size() >= 20) {
        const auto& rd = first.rdata;
        const std::size_t s = rd.size() - 20;
        zone->serial_ = static_cast<uint32_t>(rd[s]) << 24 | static_cast<uint32_t>(rd[s + 1]) << 16 |
                        static_cast<uint32_t>(rd[s + 2]) << 8 | rd[s + 3];
      }
      if (first.type == dns::rrtype::NSEC3PARAM && dns::name_equal(d.name, origin.wire()) && first.rdata.size() >= 5) {
        const auto& rd = first.rdata;
        zone->nsec3_.present = true;
        zone->nsec3_.algorithm = rd[0];
        zone->nsec3_.iterations = static_cast<uint16_t>(rd[2] << 8 | rd[3]);
        zone->nsec3_.salt.assign(rd.begin() + 5, rd.begin() + 5 + std::min<std::size_t>(rd[4], rd.size() - 5));
      }
      if (first.type == dns::rrtype::NS && !dns::name_equal(d.name, origin.wire())) n.flags |= node_flag::kDelegation;
      i = j;
    }
    n.rrset_count = static_cast<uint16_t>(zone->rrsets_.size() - n.rrset_begin);
    // Attach RRSIGs to the RRsets they cover (RFC 4035 §3.1.1 serves them together).
    if (!sigs.empty()) {
      for (uint32_t k = n.rrset_begin; k < zone->rrsets_.size(); ++k) {
        RRset& covered = zone->rrsets_[k];
        std::vector<const ParsedRecord*> mine;
        for (const ParsedRecord* s : sigs) {
          if (s->rdata.size() >= 2 && (s->rdata[0] << 8 | s->rdata[1]) == covered.type) {
            mine.push_back(s);
          }
        }
        if (mine.empty()) continue;
        SigSet ss;
        ss.count = static_cast<uint16_t>(mine.size());
        ss.ttl = mine.front()->ttl;
        ss.rdata_offset = static_cast<uint32_t>(zone->rdata_.size());
        append_rdata(*zone, mine);
        covered.sigs = static_cast<uint32_t>(zone->sigsets_.size());
        zone->sigsets_.push_back(ss);
      }
    }
    zone->nodes_.push_back(n);
  }
  build_index(*zone);
  link_nodes(*zone);
  result_.records = zone->records_;
  return zone;
}

void ZoneBuilder::append_rdata(Zone& zone, const std::vector<const ParsedRecord*>& recs) {
  for (const ParsedRecord* r : recs) {
    zone.rdata_.push_back(static_cast<uint8_t>(r->rdata.size() >> 8));
    zone.rdata_.push_back(static_cast<uint8_t>(r->rdata.size()));
    zone.rdata_.insert(zone.rdata_.end(), r->rdata.begin(), r->rdata.end());
  }
}

void ZoneBuilder::build_index(Zone& zone) {
  std::size_t cap = 16;
  while (cap < zone.nodes_.size() * 2) cap <<= 1;
  zone.index_.assign(cap, kNone);
  for (uint32_t i = 0; i < zone.nodes_.size(); ++i) {
    if (zone.nodes_[i].flags & node_flag::kNsec3Owner) continue;
    std::size_t slot = dns::name_hash(zone.name(&zone.nodes_[i])) & (cap - 1);
    while (zone.index_[slot] != kNone) slot = (slot + 1) & (cap - 1);
    zone.index_[slot] = i;
  }
}

void ZoneBuilder::link_nodes(Zone& zone) {
  // Parents precede children in canonical order, so one pass suffices.
  for (uint32_t i = 0; i < zone.nodes_.size(); ++i) {
    Node& n = zone.nodes_[i];
    const dns::NameView name = zone.name(&n);
    if (!(n.flags & node_flag::kApex)) {
      const Node* parent = zone.find(dns::strip_labels(name, 1));
      if (parent) {
        if (parent->cut != kNone) {
          n.cut = parent->cut;
        } else if (parent->flags & node_flag::kOccluded) {
          n.flags |= node_flag::kOccluded;
        }
        if (dns::is_wildcard(name)) {
          zone.nodes_[zone.index_of(parent)].flags |= node_flag::kWildcardChild;
        }
        // Below a DNAME everything is occluded (RFC 6672 §2.3).
        if (zone.rrset(parent, dns::rrtype::DNAME)) n.flags |= node_flag::kOccluded;
      }
      if (n.cut == kNone && (n.flags & node_flag::kDelegation)) n.cut = i;
      if (n.cut != kNone && n.cut != i) n.flags |= node_flag::kOccluded;
    }
    if (zone.rrset(&n, dns::rrtype::NSEC)) zone.nsec_nodes_.push_back(i);
    if (zone.rrset(&n, dns::rrtype::NSEC3)) {
      // The owner's first label is the base32hex hash (RFC 5155 §3).
      std::vector<uint8_t> hash;
      const std::string_view label(reinterpret_cast<const char*>(name.data() + 1), name[0]);
      if (dns::base32hex_decode(label, hash) && hash.size() == 20) {
        Zone::Nsec3Entry e;
        std::copy(hash.begin(), hash.end(), e.hash.begin());
        e.node = i;
        zone.nsec3_chain_.push_back(e);
      }
    }
  }
  std::sort(zone.nsec3_chain_.begin(), zone.nsec3_chain_.end(),
            [](const Zone::Nsec3Entry& a, const Zone::Nsec3Entry& b) { return a.hash < b.hash; });
}

ZoneLoadResult load_zone(const ZoneConfig& config) {
  ZoneLoadResult result;
  ZoneBuilder builder(config, result);
  ZoneFileOptions options;
  options.origin = config.origin;
  const bool scanned = scan_zone_file(
      config.file, options, [&](ParsedRecord&& rec) { builder.add(std::move(rec)); },
      result.errors);
  if (!scanned || !result.errors.empty()) return result;
  result.zone = builder.build();
  if (!result.errors.empty()) result.zone.reset();
  return result;
}

}  // namespace flatns::zones
