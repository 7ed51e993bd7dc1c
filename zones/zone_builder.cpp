// Builds a Zone snapshot from scanned records and runs the checks that
// NSD, Knot and named-checkzone make before serving a zone.
//
// Records go into a RecordStore (arenas, no heap node per record) as the
// scanner hands them over; build() orders them canonically, checks them and
// writes the snapshot's flat arrays in one pass over the owners.
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "dns/encoding.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "zones/zone.h"
#include "zones/zone_builder_store.h"

namespace flatns::zones {

namespace {

// True when `name` (of `labels` labels) equals or lies below `ancestor`
// (of `ancestor_labels` labels); most names share their case with the node
// above them, so an exact comparison settles it before a caseless one.
bool is_below(dns::NameView name, int labels, dns::NameView ancestor, int ancestor_labels) {
  if (ancestor_labels > labels) return false;
  const dns::NameView suffix = dns::strip_labels(name, labels - ancestor_labels);
  return suffix.size() == ancestor.size() &&
         (std::memcmp(suffix.data(), ancestor.data(), suffix.size()) == 0 || dns::name_equal(suffix, ancestor));
}

uint16_t covered_type(std::span<const uint8_t> rrsig_rdata) {
  return rrsig_rdata.size() >= 2 ? static_cast<uint16_t>(rrsig_rdata[0] << 8 | rrsig_rdata[1]) : 0;
}

}  // namespace

class ZoneBuilder {
 public:
  ZoneBuilder(const ZoneConfig& config, ZoneLoadResult& result)
      : config_(config), result_(result), store_(config.origin) {}

  void reserve_for_file(std::size_t bytes) { store_.reserve_for_file(bytes); }

  void add(const RecordView& rec) {
    switch (store_.add(rec)) {
      case RecordStore::AddResult::kAdded:
        return;
      case RecordStore::AddResult::kOutOfZone:
        result_.errors.push_back({*rec.file, rec.line,
                                  "out-of-zone data: " + dns::name_to_text(rec.owner) + " " +
                                      dns::type_to_text(rec.type) + " is not in zone " +
                                      config_.origin.to_text()});
        return;
      case RecordStore::AddResult::kTooLarge:
        if (!too_large_) {
          result_.errors.push_back({*rec.file, rec.line,
                                    "zone " + config_.origin.to_text() +
                                        " is too large: more than 4 GiB of names and RDATA "
                                        "or more than 65535 included files"});
        }
        too_large_ = true;
        return;
    }
  }

  std::shared_ptr<const Zone> build();

 private:
  // The records of one owner name: [begin, end) in order_.records, by type.
  struct Group {
    dns::NameView name;
    uint32_t begin = 0;
    uint32_t end = 0;
  };

  const StoredRecord& rec(uint32_t k) const { return store_[order_.records[k]]; }
  void error(const StoredRecord& r, std::string message) {
    result_.errors.push_back({store_.file(r), r.line, std::move(message)});
  }
  void warning(const StoredRecord& r, std::string message) {
    result_.warnings.push_back({store_.file(r), r.line, std::move(message)});
  }
  bool is_flattened_name(bool apex) const {
    if (config_.flatten == FlattenMode::Off) return false;
    return apex || config_.flatten == FlattenMode::All;
  }
  std::size_t groups() const { return order_.group_begin.size() - 1; }
  Group group(std::size_t g) const {
    const uint32_t b = order_.group_begin[g], e = order_.group_begin[g + 1];
    return {store_.owner(rec(b)), b, e};
  }
  bool check_zone(bool& has_dnskey);
  void check_node(const Group& node, bool apex);
  void add_nodes(Zone& zone, BigVector<uint32_t>& parents);
  void add_node(Zone& zone, const Group& d, bool apex);
  void append_rdata(Zone& zone, uint32_t begin, uint32_t end);
  static void build_index(Zone& zone);
  static void link_nodes(Zone& zone, const BigVector<uint32_t>& parents);

  const ZoneConfig& config_;
  ZoneLoadResult& result_;
  RecordStore store_;
  RecordOrder order_;
  bool too_large_ = false;
};

void ZoneBuilder::check_node(const Group& node, bool apex) {
  bool has_cname = false, has_other = false, has_alias = false;
  const StoredRecord* first_cname = nullptr;
  int cname_count = 0;
  for (uint32_t k = node.begin; k < node.end; ++k) {
    const StoredRecord& r = rec(k);
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
  if (has_cname && has_other && !is_flattened_name(apex)) {
    error(*first_cname, "CNAME and other data at " + dns::name_to_text(node.name) +
                            " (allowed only at a flattened name: set flatten: apex or all)");
  }
  if (has_cname && has_alias) {
    error(*first_cname, "CNAME and ALIAS/ANAME at the same name " + dns::name_to_text(node.name));
  }
}

bool ZoneBuilder::check_zone(bool& has_dnskey) {
  const dns::Name& origin = config_.origin;
  const std::string zone_text = origin.to_text();
  const auto zone_error = [&](std::string message) {
    result_.errors.push_back({config_.file, 0, std::move(message)});
  };
  // The apex's key is empty, so it sorts first when it exists.
  if (groups() == 0 || !dns::name_equal(group(0).name, origin.wire())) {
    zone_error("zone " + zone_text + " has no SOA record at its apex");
    return false;
  }
  const Group apex = group(0);
  int soa_count = 0, ns_count = 0;
  has_dnskey = false;
  for (uint32_t k = apex.begin; k < apex.end; ++k) {
    if (rec(k).type == dns::rrtype::SOA) ++soa_count;
    if (rec(k).type == dns::rrtype::NS) ++ns_count;
    if (rec(k).type == dns::rrtype::DNSKEY) has_dnskey = true;
  }
  if (soa_count == 0) zone_error("zone " + zone_text + " has no SOA record at its apex");
  if (soa_count > 1) zone_error("zone " + zone_text + " has more than one SOA record");
  if (ns_count == 0) zone_error("zone " + zone_text + " has no NS records at its apex");
  for (std::size_t g = 0; g < groups(); ++g) {
    const Group d = group(g);
    const bool at_apex = g == 0;
    check_node(d, at_apex);
    for (uint32_t k = d.begin; k < d.end; ++k) {
      const StoredRecord& r = rec(k);
      if (r.type == dns::rrtype::SOA && !at_apex) {
        error(r, "SOA record at " + dns::name_to_text(d.name) + " is not at the zone apex " + zone_text);
      }
      if ((r.type == dns::rrtype::ALIAS || r.type == dns::rrtype::ANAME) && !is_flattened_name(at_apex)) {
        error(r, dns::type_to_text(r.type) + " at " + dns::name_to_text(d.name) + " in zone " + zone_text +
                     " is not at a flattened name (flatten: " +
                     (config_.flatten == FlattenMode::Off ? "off" : "apex") + ")");
      }
    }
  }
  // A pre-signed zone cannot carry flattened answers until online signing exists.
  if (has_dnskey && config_.flatten != FlattenMode::Off) {
    for (std::size_t g = 0; g < groups(); ++g) {
      if (!is_flattened_name(g == 0)) continue;
      const Group d = group(g);
      bool flattened = false;
      for (uint32_t k = d.begin; k < d.end; ++k) {
        const uint16_t t = rec(k).type;
        if (t == dns::rrtype::CNAME || t == dns::rrtype::ALIAS || t == dns::rrtype::ANAME) flattened = true;
      }
      if (flattened) {
        error(rec(d.begin), "zone " + zone_text + " is DNSSEC-signed (DNSKEY at the apex) and " +
                                dns::name_to_text(d.name) +
                                " would be flattened; flattened answers cannot be signed yet: set flatten: "
                                "off for this zone or serve it unsigned");
        break;
      }
    }
  }
  return result_.errors.empty();
}

void ZoneBuilder::add_nodes(Zone& zone, BigVector<uint32_t>& parents) {
  // Empty non-terminals are made explicit so that every node's parent
  // exists. Canonical order is a pre-order walk of the tree, so a stack of
  // the current node's ancestors finds the missing ones in one pass, and
  // each missing ancestor belongs just before the first node below it. The
  // same stack gives every node its parent.
  std::vector<uint32_t> path;  // node indexes
  const int origin_labels = config_.origin.labels();
  for (std::size_t g = 0; g < groups(); ++g) {
    const Group d = group(g);
    const int want = dns::label_count(d.name);
    while (!path.empty()) {
      const Node& above = zone.nodes_[path.back()];
      if (is_below(d.name, want, zone.name(&above), above.labels)) break;
      path.pop_back();
    }
    const int have = path.empty() ? origin_labels - 1 : zone.nodes_[path.back()].labels;
    for (int labels = have + 1; labels < want; ++labels) {
      parents.push_back(path.empty() ? kNone : path.back());
      path.push_back(static_cast<uint32_t>(zone.nodes_.size()));
      add_node(zone, {dns::strip_labels(d.name, want - labels), 0, 0}, false);
    }
    parents.push_back(path.empty() ? kNone : path.back());
    path.push_back(static_cast<uint32_t>(zone.nodes_.size()));
    add_node(zone, d, g == 0);
  }
}

void ZoneBuilder::append_rdata(Zone& zone, uint32_t begin, uint32_t end) {
  for (uint32_t k = begin; k < end; ++k) {
    const std::span<const uint8_t> rd = store_.rdata(rec(k));
    zone.rdata_.push_back(static_cast<uint8_t>(rd.size() >> 8));
    zone.rdata_.push_back(static_cast<uint8_t>(rd.size()));
    zone.rdata_.insert(zone.rdata_.end(), rd.begin(), rd.end());
  }
}

void ZoneBuilder::add_node(Zone& zone, const Group& d, bool apex) {
  const dns::NameView origin = config_.origin.wire();
  Node n;
  n.name_offset = static_cast<uint32_t>(zone.names_.size());
  n.name_length = static_cast<uint8_t>(d.name.size());
  n.labels = static_cast<uint8_t>(dns::label_count(d.name));
  zone.names_.insert(zone.names_.end(), d.name.begin(), d.name.end());
  if (apex) {
    n.flags |= node_flag::kApex;
    zone.apex_ = static_cast<uint32_t>(zone.nodes_.size());
  }
  if (d.begin == d.end) n.flags |= node_flag::kEmptyNonTerminal;
  // NSEC3 records live in their own chain (RFC 5155 §7.2): their hashed
  // owners are not names of the zone, and lookups must not find them.
  bool nsec3_only = d.begin != d.end;
  uint32_t sigs_begin = d.end, sigs_end = d.end;
  for (uint32_t k = d.begin; k < d.end; ++k) {
    const StoredRecord& r = rec(k);
    const bool covers_nsec3 =
        r.type == dns::rrtype::RRSIG && covered_type(store_.rdata(r)) == dns::rrtype::NSEC3;
    if (r.type != dns::rrtype::NSEC3 && !covers_nsec3) nsec3_only = false;
    if (r.type == dns::rrtype::RRSIG) {
      if (sigs_begin == d.end) sigs_begin = k;
      sigs_end = k + 1;
    }
  }
  if (nsec3_only) n.flags |= node_flag::kNsec3Owner;
  if (sigs_begin != sigs_end) {
    std::stable_sort(order_.records.begin() + sigs_begin, order_.records.begin() + sigs_end,
                     [&](uint32_t a, uint32_t b) {
                       return covered_type(store_.rdata(store_[a])) < covered_type(store_.rdata(store_[b]));
                     });
  }
  n.rrset_begin = static_cast<uint32_t>(zone.rrsets_.size());

  // Group this node's records into RRsets (records are sorted by type).
  uint32_t i = d.begin;
  while (i < d.end) {
    const StoredRecord& first = rec(i);
    uint32_t j = i;
    while (j < d.end && rec(j).type == first.type) {
      const StoredRecord& r = rec(j);
      if (r.ttl != first.ttl && first.type != dns::rrtype::RRSIG) {
        warning(r, "TTL " + std::to_string(r.ttl) + " of " + dns::name_to_text(d.name) + " " +
                       dns::type_to_text(r.type) + " differs from the RRset's TTL " +
                       std::to_string(first.ttl) + "; using " + std::to_string(first.ttl));
      }
      ++j;
    }
    RRset rs;
    rs.type = first.type;
    rs.count = static_cast<uint16_t>(j - i);
    rs.ttl = first.ttl;
    rs.rdata_offset = static_cast<uint32_t>(zone.rdata_.size());
    append_rdata(zone, i, j);
    zone.rrsets_.push_back(rs);
    zone.records_ += j - i;
    const std::span<const uint8_t> rd = store_.rdata(first);
    if (const auto soa = first.type == dns::rrtype::SOA ? dns::soa_numbers(rd) : std::nullopt) {
      zone.serial_ = soa->serial;
    }
    if (first.type == dns::rrtype::NSEC3PARAM && apex && rd.size() >= 5) {
      zone.nsec3_.present = true;
      zone.nsec3_.algorithm = rd[0];
      zone.nsec3_.iterations = static_cast<uint16_t>(rd[2] << 8 | rd[3]);
      zone.nsec3_.salt.assign(rd.begin() + 5, rd.begin() + 5 + std::min<std::size_t>(rd[4], rd.size() - 5));
    }
    if (first.type == dns::rrtype::NS && !dns::name_equal(d.name, origin)) n.flags |= node_flag::kDelegation;
    i = j;
  }
  n.rrset_count = static_cast<uint16_t>(zone.rrsets_.size() - n.rrset_begin);
  // Attach RRSIGs to the RRsets they cover (RFC 4035 §3.1.1 serves them
  // together). The RRSIG RRset holds them grouped by covered type, so each
  // SigSet is a slice of it rather than a second copy.
  if (sigs_begin != sigs_end) {
    uint32_t offset = 0;
    for (uint32_t k = n.rrset_begin; k < zone.rrsets_.size(); ++k) {
      if (zone.rrsets_[k].type == dns::rrtype::RRSIG) offset = zone.rrsets_[k].rdata_offset;
    }
    uint32_t s = sigs_begin;
    while (s < sigs_end) {
      const uint16_t type = covered_type(store_.rdata(rec(s)));
      SigSet ss;
      ss.ttl = rec(s).ttl;
      ss.rdata_offset = offset;
      for (; s < sigs_end && covered_type(store_.rdata(rec(s))) == type; ++s) {
        ++ss.count;
        offset += 2 + rec(s).rdlength;
      }
      for (uint32_t k = n.rrset_begin; k < zone.rrsets_.size(); ++k) {
        if (zone.rrsets_[k].type != type) continue;
        zone.rrsets_[k].sigs = static_cast<uint32_t>(zone.sigsets_.size());
        zone.sigsets_.push_back(ss);
      }
    }
  }
  zone.nodes_.push_back(n);
}

std::shared_ptr<const Zone> ZoneBuilder::build() {
  if (too_large_) return nullptr;
  order_ = store_.order();
  bool has_dnskey = false;
  if (!check_zone(has_dnskey)) return nullptr;

  auto zone = std::make_shared<Zone>();
  zone->origin_ = config_.origin;
  zone->file_ = config_.file;
  zone->sources_ = result_.sources;
  zone->flatten_ = config_.flatten;
  zone->signed_ = has_dnskey;
  // Exact sizes where they are known, so that the snapshot holds no spare
  // capacity; room for empty non-terminals (a large reserve that stays
  // untouched costs address space, not memory).
  std::size_t name_bytes = 0, rrsets = 0, rdata_bytes = 0;
  for (std::size_t g = 0; g < groups(); ++g) {
    const Group d = group(g);
    name_bytes += d.name.size();
    for (uint32_t k = d.begin; k < d.end; ++k) {
      if (k == d.begin || rec(k).type != rec(k - 1).type) ++rrsets;
      rdata_bytes += 2 + rec(k).rdlength;
    }
  }
  const std::size_t nodes = groups() + groups() / 2 + 16;
  zone->nodes_.reserve(nodes);
  zone->names_.reserve(name_bytes + name_bytes / 2 + 256);
  zone->rrsets_.reserve(rrsets);
  zone->rdata_.reserve(rdata_bytes);
  BigVector<uint32_t> parents;
  parents.reserve(nodes);
  add_nodes(*zone, parents);
  zone->sigsets_.shrink_to_fit();
  build_index(*zone);
  link_nodes(*zone, parents);
  result_.records = zone->records_;
  return zone;
}

void ZoneBuilder::build_index(Zone& zone) {
  std::size_t cap = 16;
  while (cap < zone.nodes_.size() * 2) cap <<= 1;
  zone.index_.assign(cap, Zone::IndexSlot{});
  for (uint32_t i = 0; i < zone.nodes_.size(); ++i) {
    if (zone.nodes_[i].flags & node_flag::kNsec3Owner) continue;
    const uint64_t hash = dns::name_hash(zone.name(&zone.nodes_[i]));
    std::size_t slot = hash & (cap - 1);
    while (zone.index_[slot].node != kNone) slot = (slot + 1) & (cap - 1);
    zone.index_[slot] = Zone::IndexSlot{Zone::index_tag(hash), i};
  }
}

void ZoneBuilder::link_nodes(Zone& zone, const BigVector<uint32_t>& parents) {
  // Parents precede children in canonical order, so one pass suffices.
  std::vector<uint8_t> hash;
  for (uint32_t i = 0; i < zone.nodes_.size(); ++i) {
    Node& n = zone.nodes_[i];
    const dns::NameView name = zone.name(&n);
    if (!(n.flags & node_flag::kApex)) {
      const uint32_t p = parents[i];
      // Hashed NSEC3 owners are not in the tree: nothing inherits from them.
      if (p != kNone && !(zone.nodes_[p].flags & node_flag::kNsec3Owner)) {
        Node& parent = zone.nodes_[p];
        if (parent.cut != kNone) {
          n.cut = parent.cut;
        } else if (parent.flags & node_flag::kOccluded) {
          n.flags |= node_flag::kOccluded;
        }
        if (dns::is_wildcard(name)) parent.flags |= node_flag::kWildcardChild;
        // Below a DNAME everything is occluded (RFC 6672 §2.3).
        if (zone.rrset(&parent, dns::rrtype::DNAME)) n.flags |= node_flag::kOccluded;
      }
      if (n.cut == kNone && (n.flags & node_flag::kDelegation)) n.cut = i;
      if (n.cut != kNone && n.cut != i) n.flags |= node_flag::kOccluded;
    }
    if (zone.rrset(&n, dns::rrtype::NSEC)) zone.nsec_nodes_.push_back(i);
    if (zone.rrset(&n, dns::rrtype::NSEC3)) {
      // The owner's first label is the base32hex hash (RFC 5155 §3).
      hash.clear();
      const std::string_view label(reinterpret_cast<const char*>(name.data() + 1), name[0]);
      if (dns::base32hex_decode(label, hash) && hash.size() == 20) {
        Zone::Nsec3Entry e;
        std::copy(hash.begin(), hash.end(), e.hash.begin());
        e.node = i;
        zone.nsec3_chain_.push_back(e);
      }
    }
  }
  zone.nsec_nodes_.shrink_to_fit();
  zone.nsec3_chain_.shrink_to_fit();
  std::sort(zone.nsec3_chain_.begin(), zone.nsec3_chain_.end(),
            [](const Zone::Nsec3Entry& a, const Zone::Nsec3Entry& b) { return a.hash < b.hash; });
}

ZoneLoadResult load_zone(const ZoneConfig& config) {
  ZoneLoadResult result;
  ZoneBuilder builder(config, result);
  struct stat st {};
  if (::stat(config.file.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    builder.reserve_for_file(static_cast<std::size_t>(st.st_size));
  }
  ZoneFileOptions options;
  options.origin = config.origin;
  options.sources = &result.sources;
  const bool scanned = scan_zone_file_views(
      config.file, options, [&](const RecordView& rec) { builder.add(rec); }, result.errors);
  if (!scanned || !result.errors.empty()) return result;
  result.zone = builder.build();
  if (!result.errors.empty()) result.zone.reset();
  return result;
}

}  // namespace flatns::zones
