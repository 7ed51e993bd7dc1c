#include "transfer/journal.h"

#include <algorithm>
#include <tuple>

#include "dns/rrtype.h"
#include "zones/zone.h"

namespace flatns::transfer {
namespace {

bool serial_after(uint32_t a, uint32_t b) { return a != b && static_cast<int32_t>(a - b) > 0; }

std::size_t wire_name_length(std::span<const uint8_t> wire) {
  std::size_t pos = 0;
  while (pos < wire.size() && wire[pos] != 0) pos += 1 + wire[pos];
  return pos + 1;
}

// One record of a node, without its owner.
struct NodeRecord {
  uint16_t type;
  uint32_t ttl;
  std::span<const uint8_t> rdata;
  friend bool operator<(const NodeRecord& a, const NodeRecord& b) {
    if (a.type != b.type) return a.type < b.type;
    if (!std::equal(a.rdata.begin(), a.rdata.end(), b.rdata.begin(), b.rdata.end())) {
      return std::lexicographical_compare(a.rdata.begin(), a.rdata.end(), b.rdata.begin(), b.rdata.end());
    }
    return a.ttl < b.ttl;
  }
  friend bool operator==(const NodeRecord& a, const NodeRecord& b) {
    return a.type == b.type && a.ttl == b.ttl && std::equal(a.rdata.begin(), a.rdata.end(), b.rdata.begin(),
                                                            b.rdata.end());
  }
};

// Every record of `node` but the apex SOA, RRSIGs included, sorted.
void node_records(const zones::Zone& zone, const zones::Node* node, std::vector<NodeRecord>& out) {
  out.clear();
  for (const zones::RRset& set : zone.rrsets(node)) {
    const bool apex_soa = node == zone.apex() && set.type == dns::rrtype::SOA;
    if (!apex_soa) {
      zone.records(set).for_each([&](std::span<const uint8_t> rdata) { out.push_back({set.type, set.ttl, rdata}); });
    }
    if (const zones::SigSet* sigs = zone.sigs(set)) {
      zone.records(*sigs).for_each(
          [&](std::span<const uint8_t> rdata) { out.push_back({dns::rrtype::RRSIG, sigs->ttl, rdata}); });
    }
  }
  std::sort(out.begin(), out.end());
}

void encode_soa(const zones::Zone& zone, std::vector<uint8_t>& out) {
  const zones::RRset* soa = zone.rrset(zone.apex(), dns::rrtype::SOA);
  bool first = true;
  zone.records(*soa).for_each([&](std::span<const uint8_t> rdata) {
    if (first) append_journal_record(out, zone.name(zone.apex()), dns::rrtype::SOA, soa->ttl, rdata);
    first = false;
  });
}

}  // namespace

void append_journal_record(std::vector<uint8_t>& out, dns::NameView owner, uint16_t type, uint32_t ttl,
                           std::span<const uint8_t> rdata) {
  out.insert(out.end(), owner.begin(), owner.end());
  const uint8_t fixed[8] = {static_cast<uint8_t>(type >> 8),        static_cast<uint8_t>(type),
                            static_cast<uint8_t>(ttl >> 24),        static_cast<uint8_t>(ttl >> 16),
                            static_cast<uint8_t>(ttl >> 8),         static_cast<uint8_t>(ttl),
                            static_cast<uint8_t>(rdata.size() >> 8), static_cast<uint8_t>(rdata.size())};
  out.insert(out.end(), fixed, fixed + 8);
  out.insert(out.end(), rdata.begin(), rdata.end());
}

JournalRecord read_journal_record(std::span<const uint8_t> records, std::size_t& pos) {
  JournalRecord r;
  const std::size_t name_length = wire_name_length(records.subspan(pos));
  r.owner = records.subspan(pos, name_length);
  pos += name_length;
  const uint8_t* f = records.data() + pos;
  r.type = static_cast<uint16_t>(f[0] << 8 | f[1]);
  r.ttl = static_cast<uint32_t>(f[2]) << 24 | static_cast<uint32_t>(f[3]) << 16 | static_cast<uint32_t>(f[4]) << 8 |
          f[5];
  const std::size_t length = static_cast<std::size_t>(f[6]) << 8 | f[7];
  pos += 8;
  r.rdata = records.subspan(pos, length);
  pos += length;
  return r;
}

std::vector<dns::ResourceRecord> zone_records(const zones::Zone& zone) {
  std::vector<dns::ResourceRecord> out;
  out.reserve(zone.record_count() + 1);
  const auto add = [&](const zones::Node* node, uint16_t type, uint32_t ttl, std::span<const uint8_t> rdata) {
    dns::ResourceRecord rr;
    (void)dns::Name::from_wire(zone.name(node), rr.owner);
    rr.type = type;
    rr.rclass = dns::rrclass::IN;
    rr.ttl = ttl;
    rr.rdata.assign(rdata.begin(), rdata.end());
    out.push_back(std::move(rr));
  };
  const zones::RRset* soa = zone.rrset(zone.apex(), dns::rrtype::SOA);
  bool first = true;
  zone.records(*soa).for_each([&](std::span<const uint8_t> rdata) {
    if (first) add(zone.apex(), dns::rrtype::SOA, soa->ttl, rdata);
    first = false;
  });
  std::vector<NodeRecord> records;
  for (const zones::Node& node : zone.nodes()) {
    node_records(zone, &node, records);
    for (const auto& r : records) add(&node, r.type, r.ttl, r.rdata);
  }
  return out;
}

std::span<const std::shared_ptr<const ZoneDiff>> Journal::since(uint32_t serial) const {
  for (std::size_t i = 0; i < diffs_.size(); ++i) {
    if (diffs_[i]->from == serial) return std::span(diffs_).subspan(i);
  }
  return {};
}

std::shared_ptr<const Journal> Journal::append(const Journal* previous, std::shared_ptr<const ZoneDiff> diff,
                                               const JournalLimits& limits) {
  if (limits.max_depth == 0 || !diff || diff->bytes() > limits.max_bytes) return nullptr;
  auto journal = std::make_shared<Journal>();
  if (previous && !previous->diffs_.empty() && previous->diffs_.back()->to == diff->from) {
    journal->diffs_ = previous->diffs_;
    journal->bytes_ = previous->bytes_;
  }
  journal->bytes_ += diff->bytes();
  journal->diffs_.push_back(std::move(diff));
  std::size_t drop = 0;
  while (journal->diffs_.size() - drop > limits.max_depth || journal->bytes_ > limits.max_bytes) {
    journal->bytes_ -= journal->diffs_[drop]->bytes();
    ++drop;
  }
  journal->diffs_.erase(journal->diffs_.begin(), journal->diffs_.begin() + static_cast<std::ptrdiff_t>(drop));
  return journal;
}

std::shared_ptr<const ZoneDiff> diff_zones(const zones::Zone& old, const zones::Zone& next, std::string& why) {
  if (!serial_after(next.serial(), old.serial())) {
    why = "serial " + std::to_string(next.serial()) + " is not after " + std::to_string(old.serial()) +
          " (RFC 1982)";
    return nullptr;
  }
  auto diff = std::make_shared<ZoneDiff>();
  diff->from = old.serial();
  diff->to = next.serial();
  encode_soa(old, diff->old_soa);
  encode_soa(next, diff->new_soa);

  std::vector<NodeRecord> a, b;
  const auto emit = [](std::vector<uint8_t>& out, std::size_t& count, dns::NameView owner, const NodeRecord& r) {
    append_journal_record(out, owner, r.type, r.ttl, r.rdata);
    ++count;
  };
  const std::size_t old_nodes = old.nodes().size(), next_nodes = next.nodes().size();
  std::size_t i = 0, j = 0;
  while (i < old_nodes || j < next_nodes) {
    const zones::Node* on = i < old_nodes ? old.node(static_cast<uint32_t>(i)) : nullptr;
    const zones::Node* nn = j < next_nodes ? next.node(static_cast<uint32_t>(j)) : nullptr;
    int order = !on ? 1 : !nn ? -1 : dns::canonical_compare(old.name(on), next.name(nn));
    if (order < 0) {  // only in the old version: all removed
      node_records(old, on, a);
      for (const auto& r : a) emit(diff->removed, diff->removed_count, old.name(on), r);
      ++i;
      continue;
    }
    if (order > 0) {
      node_records(next, nn, b);
      for (const auto& r : b) emit(diff->added, diff->added_count, next.name(nn), r);
      ++j;
      continue;
    }
    node_records(old, on, a);
    node_records(next, nn, b);
    std::size_t x = 0, y = 0;
    while (x < a.size() || y < b.size()) {
      if (y == b.size() || (x < a.size() && a[x] < b[y])) {
        emit(diff->removed, diff->removed_count, old.name(on), a[x++]);
      } else if (x == a.size() || b[y] < a[x]) {
        emit(diff->added, diff->added_count, next.name(nn), b[y++]);
      } else {
        ++x;
        ++y;
      }
    }
    ++i;
    ++j;
  }
  return diff;
}

}  // namespace flatns::transfer
