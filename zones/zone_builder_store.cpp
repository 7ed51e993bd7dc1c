#include "zones/zone_builder_store.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

namespace flatns::zones {

namespace {

constexpr uint64_t kMaxArena = std::numeric_limits<uint32_t>::max();

// Offsets of the labels of a wire name, the root label excluded.
int label_starts(dns::NameView name, std::array<uint8_t, 128>& starts) {
  int n = 0;
  for (std::size_t pos = 0; pos < name.size() && name[pos] != 0; pos += 1 + name[pos]) {
    starts[n++] = static_cast<uint8_t>(pos);
  }
  return n;
}

// The canonical key of the first `labels` labels of `name` (whose label
// offsets are `starts`): those labels from the rightmost leftwards,
// lowercased, each ended by 0x00, with octets 0x00 and 0x01 escaped as
// 0x01 0x01 and 0x01 0x02 so that a terminator sorts before any label octet.
// memcmp order of two keys (a key before any longer key it begins) is then
// RFC 4034 §6.1 order. Returns the key's length (at most 2 * 255).
std::size_t make_key(dns::NameView name, const std::array<uint8_t, 128>& starts, int labels,
                     std::array<uint8_t, 512>& key) {
  std::size_t out = 0;
  for (int n = labels; n-- > 0;) {
    const std::size_t pos = starts[n];
    for (std::size_t k = 1; k <= name[pos]; ++k) {
      const uint8_t c = dns::ascii_lower(name[pos + k]);
      if (c <= 1) {
        key[out++] = 1;
        key[out++] = static_cast<uint8_t>(c + 1);
      } else {
        key[out++] = c;
      }
    }
    key[out++] = 0;
  }
  return out;
}

// Octets [from, from + 8) of a key as a big-endian integer, zero-padded.
uint64_t key_word(const uint8_t* key, std::size_t length, std::size_t from) {
  if (length >= from + 8) {
    uint64_t v;
    std::memcpy(&v, key + from, 8);
    return __builtin_bswap64(v);
  }
  uint64_t v = 0;
  for (std::size_t i = from; i < from + 8; ++i) v = v << 8 | (i < length ? key[i] : 0);
  return v;
}

bool equal_nocase_lower(const uint8_t* a, const uint8_t* lower, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (dns::ascii_lower(a[i]) != lower[i]) return false;
  }
  return true;
}

}  // namespace

RecordStore::RecordStore(const dns::Name& origin)
    : origin_(origin.wire().begin(), origin.wire().end()), origin_labels_(origin.labels()) {
  dns::lowercase_name(origin_);
}

void RecordStore::reserve_for_file(std::size_t file_bytes) {
  // Text is longer than what it encodes; a reload of a grown file regrows.
  const std::size_t records = file_bytes / 24 + 16;
  records_.reserve(records);
  owners_.reserve(records);
  bytes_.reserve(std::min<std::size_t>(file_bytes + 1024, kMaxArena));
  keys_.reserve(std::min<std::size_t>(file_bytes / 2 + 1024, kMaxArena));
}

RecordStore::AddResult RecordStore::add(const RecordView& rec) {
  bool reuse = false;
  if (!owners_.empty() && last_owner_in_zone_) {
    const OwnerRun& last = owners_.back();
    reuse = last.name_length == rec.owner.size() &&
            std::memcmp(bytes_.data() + last.name, rec.owner.data(), rec.owner.size()) == 0;
  }
  if (!reuse) {
    // In the zone when its last labels are the origin's (one walk over the
    // labels serves this check and the key).
    std::array<uint8_t, 128> starts;
    const int labels = label_starts(rec.owner, starts);
    const int below = labels - origin_labels_;
    // The origin starts at label `below`, or is the root label after the last.
    const std::size_t suffix = below < 0 ? 0 : below < labels ? starts[below] : rec.owner.size() - 1;
    if (below < 0 || rec.owner.size() - suffix != origin_.size() ||
        !equal_nocase_lower(rec.owner.data() + suffix, origin_.data(), origin_.size())) {
      last_owner_in_zone_ = false;
      return AddResult::kOutOfZone;
    }
    std::array<uint8_t, 512> key;
    const std::size_t key_length = make_key(rec.owner, starts, below, key);
    if (bytes_.size() + rec.owner.size() + rec.rdata.size() > kMaxArena ||
        keys_.size() + key_length > kMaxArena) {
      return AddResult::kTooLarge;
    }
    OwnerRun run;
    run.name = static_cast<uint32_t>(bytes_.size());
    run.name_length = static_cast<uint8_t>(rec.owner.size());
    bytes_.insert(bytes_.end(), rec.owner.begin(), rec.owner.end());
    run.key = static_cast<uint32_t>(keys_.size());
    run.key_length = static_cast<uint16_t>(key_length);
    keys_.insert(keys_.end(), key.begin(), key.begin() + static_cast<std::ptrdiff_t>(key_length));
    owners_.push_back(run);
    last_owner_in_zone_ = true;
  } else if (bytes_.size() + rec.rdata.size() > kMaxArena) {
    return AddResult::kTooLarge;
  }
  if (files_.empty() || files_[last_file_] != *rec.file) {
    auto it = std::find(files_.begin(), files_.end(), *rec.file);
    if (it == files_.end()) {
      if (files_.size() > UINT16_MAX) return AddResult::kTooLarge;
      it = files_.insert(files_.end(), *rec.file);
    }
    last_file_ = static_cast<uint16_t>(it - files_.begin());
  }
  StoredRecord r;
  r.owner = static_cast<uint32_t>(owners_.size() - 1);
  r.rdata = static_cast<uint32_t>(bytes_.size());
  r.rdlength = static_cast<uint16_t>(rec.rdata.size());
  r.ttl = rec.ttl;
  r.line = static_cast<uint32_t>(std::min<std::size_t>(rec.line, UINT32_MAX));
  r.type = rec.type;
  r.file = last_file_;
  bytes_.insert(bytes_.end(), rec.rdata.begin(), rec.rdata.end());
  rdata_bytes_ += rec.rdata.size();
  records_.push_back(r);
  return AddResult::kAdded;
}

namespace {

// An owner run's place in the sort: the first 16 octets of its key as two
// integers, so that most comparisons never touch the keys themselves.
struct SortEntry {
  uint64_t high = 0;
  uint64_t low = 0;
  uint32_t run = 0;
};

// Sorts by (high, low), stably: a least-significant-digit radix sort in
// 16-bit digits, skipping digits that all entries share (the origin's labels
// and common prefixes such as "host").
void radix_sort(BigVector<SortEntry>& v) {
  BigVector<SortEntry> spare(v.size());
  std::vector<uint32_t> count(65536);
  for (int pass = 0; pass < 8; ++pass) {
    const bool low_word = pass < 4;
    const int shift = (pass % 4) * 16;
    const auto digit = [&](const SortEntry& e) {
      return static_cast<uint32_t>(((low_word ? e.low : e.high) >> shift) & 0xffff);
    };
    std::fill(count.begin(), count.end(), 0);
    for (const SortEntry& e : v) ++count[digit(e)];
    if (count[digit(v.front())] == v.size()) continue;
    uint32_t sum = 0;
    for (uint32_t& c : count) {
      const uint32_t here = c;
      c = sum;
      sum += here;
    }
    for (const SortEntry& e : v) spare[count[digit(e)]++] = e;
    v.swap(spare);
  }
}

}  // namespace

// Equal 16-octet prefixes: both keys are at least 16 octets long, or they
// are equal (a key never holds two zero octets in a row, so zero padding
// cannot tie with a real octet). These two compare what follows.
bool RecordStore::same_key_tail(uint32_t a, uint32_t b) const {
  const OwnerRun& x = owners_[a];
  const OwnerRun& y = owners_[b];
  return x.key_length == y.key_length &&
         (x.key_length <= 16 ||
          std::memcmp(keys_.data() + x.key + 16, keys_.data() + y.key + 16, x.key_length - 16u) == 0);
}

bool RecordStore::key_tail_less(uint32_t a, uint32_t b) const {
  const OwnerRun& x = owners_[a];
  const OwnerRun& y = owners_[b];
  const std::size_t common = std::min(x.key_length, y.key_length);
  if (common > 16) {
    const int c = std::memcmp(keys_.data() + x.key + 16, keys_.data() + y.key + 16, common - 16);
    if (c != 0) return c < 0;
  }
  if (x.key_length != y.key_length) return x.key_length < y.key_length;
  return a < b;
}

void RecordStore::sort_by_type(std::span<uint32_t> group) const {
  const auto by_type = [&](uint32_t a, uint32_t b) { return records_[a].type < records_[b].type; };
  if (group.size() > 32) {
    std::stable_sort(group.begin(), group.end(), by_type);
    return;
  }
  for (std::size_t i = 1; i < group.size(); ++i) {
    const uint32_t v = group[i];
    std::size_t j = i;
    while (j > 0 && by_type(v, group[j - 1])) {
      group[j] = group[j - 1];
      --j;
    }
    group[j] = v;
  }
}

void RecordStore::drop_duplicates(std::span<const uint32_t> group, BigVector<uint32_t>& kept) const {
  const auto same_data = [&](uint32_t a, uint32_t b) {
    const StoredRecord& x = records_[a];
    const StoredRecord& y = records_[b];
    return x.rdlength == y.rdlength &&
           std::memcmp(bytes_.data() + x.rdata, bytes_.data() + y.rdata, x.rdlength) == 0;
  };
  std::size_t i = 0;
  while (i < group.size()) {
    std::size_t j = i + 1;
    while (j < group.size() && records_[group[j]].type == records_[group[i]].type) ++j;
    const std::size_t first_kept = kept.size();
    if (j - i <= 64) {
      for (std::size_t k = i; k < j; ++k) {
        bool duplicate = false;
        for (std::size_t m = first_kept; m < kept.size() && !duplicate; ++m) {
          duplicate = same_data(kept[m], group[k]);
        }
        if (!duplicate) kept.push_back(group[k]);
      }
    } else {
      // A large RRset: find duplicates by sorting a copy on the RDATA, keep
      // the first of each (file order), then restore file order.
      std::vector<uint32_t> by_data(group.begin() + static_cast<std::ptrdiff_t>(i),
                                    group.begin() + static_cast<std::ptrdiff_t>(j));
      std::stable_sort(by_data.begin(), by_data.end(), [&](uint32_t a, uint32_t b) {
        const StoredRecord& x = records_[a];
        const StoredRecord& y = records_[b];
        if (x.rdlength != y.rdlength) return x.rdlength < y.rdlength;
        return std::memcmp(bytes_.data() + x.rdata, bytes_.data() + y.rdata, x.rdlength) < 0;
      });
      std::vector<uint32_t> unique;
      unique.reserve(by_data.size());
      for (std::size_t k = 0; k < by_data.size(); ++k) {
        if (k == 0 || !same_data(by_data[k - 1], by_data[k])) unique.push_back(by_data[k]);
      }
      std::sort(unique.begin(), unique.end());
      kept.insert(kept.end(), unique.begin(), unique.end());
    }
    i = j;
  }
}

RecordOrder RecordStore::order() {
  // 1. Owner runs in canonical order, then one group number per name.
  BigVector<SortEntry> runs(owners_.size());
  for (uint32_t i = 0; i < runs.size(); ++i) {
    const uint8_t* key = keys_.data() + owners_[i].key;
    const std::size_t length = owners_[i].key_length;
    runs[i] = {key_word(key, length, 0), key_word(key, length, 8), i};
  }
  const auto entry_less = [&](const SortEntry& a, const SortEntry& b) {
    if (a.high != b.high) return a.high < b.high;
    if (a.low != b.low) return a.low < b.low;
    return key_tail_less(a.run, b.run);
  };
  if (runs.size() < 4096) {
    std::sort(runs.begin(), runs.end(), entry_less);
  } else {
    // Large zones: radix on the prefixes, then each range of equal
    // prefixes by the rest of the keys.
    radix_sort(runs);
    for (std::size_t b = 0; b < runs.size();) {
      std::size_t e = b + 1;
      while (e < runs.size() && runs[e].high == runs[b].high && runs[e].low == runs[b].low) ++e;
      if (e - b > 1) std::sort(runs.begin() + static_cast<std::ptrdiff_t>(b), runs.begin() + static_cast<std::ptrdiff_t>(e), entry_less);
      b = e;
    }
  }
  BigVector<uint32_t> group_of_run(owners_.size());
  uint32_t groups = 0;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    if (k == 0 || runs[k - 1].high != runs[k].high || runs[k - 1].low != runs[k].low ||
        !same_key_tail(runs[k - 1].run, runs[k].run)) {
      ++groups;
    }
    group_of_run[runs[k].run] = groups - 1;
  }
  BigVector<SortEntry>().swap(runs);
  BigVector<uint8_t>().swap(keys_);

  // 2. Records into their groups, keeping file order (a counting sort).
  BigVector<uint32_t> begin(groups + 1, 0);
  for (const StoredRecord& r : records_) ++begin[group_of_run[r.owner] + 1];
  for (uint32_t g = 0; g < groups; ++g) begin[g + 1] += begin[g];
  BigVector<uint32_t> placed(records_.size());
  {
    BigVector<uint32_t> next(begin.begin(), begin.end() - 1);
    for (uint32_t i = 0; i < records_.size(); ++i) placed[next[group_of_run[records_[i].owner]]++] = i;
  }
  BigVector<uint32_t>().swap(group_of_run);

  // 3. Within each name: by type (stable), duplicates dropped.
  RecordOrder out;
  out.records.reserve(records_.size());
  out.group_begin.reserve(groups + 1);
  for (uint32_t g = 0; g < groups; ++g) {
    std::span<uint32_t> group(placed.data() + begin[g], begin[g + 1] - begin[g]);
    sort_by_type(group);
    out.group_begin.push_back(static_cast<uint32_t>(out.records.size()));
    drop_duplicates(group, out.records);
  }
  out.group_begin.push_back(static_cast<uint32_t>(out.records.size()));
  return out;
}

}  // namespace flatns::zones
