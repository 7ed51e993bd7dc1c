#include "transfer/journal_file.h"

#include <cstring>

#include "dns/rrtype.h"
#include "zones/zone.h"

namespace flatns::transfer {
namespace {

constexpr char kMagic[] = "flatns IXFR journal 1\n";
constexpr std::size_t kMagicLength = sizeof kMagic - 1;
constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

uint64_t fnv(uint64_t h, std::span<const uint8_t> bytes) {
  for (uint8_t b : bytes) h = (h ^ b) * kFnvPrime;
  return h;
}

uint64_t fnv_number(uint64_t h, uint64_t n) {
  for (int i = 0; i < 8; ++i) h = (h ^ static_cast<uint8_t>(n >> (8 * i))) * kFnvPrime;
  return h;
}

void put(std::vector<uint8_t>& out, uint64_t n, int octets) {
  for (int i = octets - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
}

void put_blob(std::vector<uint8_t>& out, const std::vector<uint8_t>& blob) {
  put(out, blob.size(), 8);
  out.insert(out.end(), blob.begin(), blob.end());
}

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  bool number(uint64_t& n, int octets) {
    if (bytes_.size() - pos_ < static_cast<std::size_t>(octets)) return false;
    n = 0;
    for (int i = 0; i < octets; ++i) n = n << 8 | bytes_[pos_++];
    return true;
  }
  bool blob(std::vector<uint8_t>& out) {
    uint64_t length = 0;
    if (!number(length, 8) || length > bytes_.size() - pos_) return false;
    out.assign(bytes_.begin() + static_cast<std::ptrdiff_t>(pos_),
               bytes_.begin() + static_cast<std::ptrdiff_t>(pos_ + length));
    pos_ += length;
    return true;
  }
  std::size_t pos() const { return pos_; }

 private:
  std::span<const uint8_t> bytes_;
  std::size_t pos_ = 0;
};

// Whether `records` is exactly `count` records of the journal encoding
// (transfer/journal.h), each owner a wire name inside the zone `origin`.
bool records_parse(std::span<const uint8_t> records, uint64_t count, const dns::Name& origin) {
  std::size_t pos = 0;
  uint64_t seen = 0;
  while (pos < records.size()) {
    const std::size_t start = pos;
    while (true) {  // the owner name: labels up to the root, 255 octets at most
      if (pos >= records.size() || pos - start >= dns::kMaxNameLength) return false;
      const uint8_t label = records[pos];
      if (label == 0) break;
      if (label > 63) return false;
      pos += 1 + label;
    }
    ++pos;
    const dns::NameView owner(records.data() + start, pos - start);
    if (owner.size() > dns::kMaxNameLength || !dns::is_subdomain(owner, origin.wire())) return false;
    if (records.size() - pos < 8) return false;
    const std::size_t length = static_cast<std::size_t>(records[pos + 6]) << 8 | records[pos + 7];
    pos += 8;
    if (records.size() - pos < length) return false;
    pos += length;
    ++seen;
  }
  return seen == count;
}

}  // namespace

uint64_t zone_digest(const zones::Zone& zone) {
  uint64_t h = kFnvOffset;
  for (const zones::Node& node : zone.nodes()) {
    const dns::NameView name = zone.name(&node);
    for (uint8_t c : name) h = (h ^ dns::ascii_lower(c)) * kFnvPrime;
    for (const zones::RRset& set : zone.rrsets(&node)) {
      h = fnv_number(h, uint64_t{set.type} << 32 | set.ttl);
      zone.records(set).for_each([&](std::span<const uint8_t> rdata) { h = fnv(fnv_number(h, rdata.size()), rdata); });
      if (const zones::SigSet* sigs = zone.sigs(set)) {
        h = fnv_number(h, uint64_t{dns::rrtype::RRSIG} << 32 | sigs->ttl);
        zone.records(*sigs).for_each(
            [&](std::span<const uint8_t> rdata) { h = fnv(fnv_number(h, rdata.size()), rdata); });
      }
    }
  }
  return h;
}

std::vector<uint8_t> encode_journal_file(const dns::Name& origin, const Journal& journal, uint64_t digest) {
  std::vector<uint8_t> out(kMagic, kMagic + kMagicLength);
  put(out, origin.wire().size(), 1);
  out.insert(out.end(), origin.wire().begin(), origin.wire().end());
  put(out, digest, 8);
  put(out, journal.diffs().size(), 4);
  for (const auto& d : journal.diffs()) {
    put(out, d->from, 4);
    put(out, d->to, 4);
    put(out, d->removed_count, 8);
    put(out, d->added_count, 8);
    put_blob(out, d->old_soa);
    put_blob(out, d->new_soa);
    put_blob(out, d->removed);
    put_blob(out, d->added);
  }
  put(out, fnv(kFnvOffset, out), 8);
  return out;
}

std::shared_ptr<const Journal> decode_journal_file(std::span<const uint8_t> bytes, const zones::Zone& zone,
                                                   uint64_t digest, const JournalLimits& limits,
                                                   std::string& error) {
  if (bytes.size() < kMagicLength + 8 || std::memcmp(bytes.data(), kMagic, kMagicLength) != 0) {
    error = "not a flatns IXFR journal (or another version of it)";
    return nullptr;
  }
  const std::span<const uint8_t> body = bytes.first(bytes.size() - 8);
  Reader tail(bytes.last(8));
  uint64_t checksum = 0;
  (void)tail.number(checksum, 8);
  if (fnv(kFnvOffset, body) != checksum) {
    error = "checksum mismatch (a truncated or damaged file)";
    return nullptr;
  }
  Reader r(body.subspan(kMagicLength));
  uint64_t origin_length = 0, stored_digest = 0, count = 0;
  std::vector<uint8_t> origin;
  if (!r.number(origin_length, 1) || origin_length > body.size()) {
    error = "malformed header";
    return nullptr;
  }
  origin.resize(origin_length);
  for (auto& o : origin) {
    uint64_t n = 0;
    if (!r.number(n, 1)) {
      error = "malformed header";
      return nullptr;
    }
    o = static_cast<uint8_t>(n);
  }
  if (!dns::name_equal(dns::NameView(origin.data(), origin.size()), zone.origin().wire())) {
    error = "it is the journal of another zone";
    return nullptr;
  }
  if (!r.number(stored_digest, 8) || !r.number(count, 4)) {
    error = "malformed header";
    return nullptr;
  }
  std::shared_ptr<const Journal> journal;
  uint32_t last_to = 0;
  for (uint64_t i = 0; i < count; ++i) {
    auto d = std::make_shared<ZoneDiff>();
    uint64_t from = 0, to = 0, removed = 0, added = 0;
    if (!r.number(from, 4) || !r.number(to, 4) || !r.number(removed, 8) || !r.number(added, 8) ||
        !r.blob(d->old_soa) || !r.blob(d->new_soa) || !r.blob(d->removed) || !r.blob(d->added)) {
      error = "difference " + std::to_string(i + 1) + " is cut short";
      return nullptr;
    }
    d->from = static_cast<uint32_t>(from);
    d->to = static_cast<uint32_t>(to);
    d->removed_count = removed;
    d->added_count = added;
    if (i > 0 && d->from != last_to) {
      error = "difference " + std::to_string(i + 1) + " starts at serial " + std::to_string(d->from) +
              ", not at " + std::to_string(last_to);
      return nullptr;
    }
    if (!records_parse(d->old_soa, 1, zone.origin()) || !records_parse(d->new_soa, 1, zone.origin()) ||
        !records_parse(d->removed, removed, zone.origin()) || !records_parse(d->added, added, zone.origin())) {
      error = "difference " + std::to_string(i + 1) + " holds malformed records";
      return nullptr;
    }
    last_to = d->to;
    journal = Journal::append(journal.get(), std::move(d), limits);
  }
  if (r.pos() + kMagicLength != body.size()) {
    error = "trailing data";
    return nullptr;
  }
  if (count == 0 || !journal) {
    error = "no difference within journal_depth/journal_size";
    return nullptr;
  }
  if (last_to != zone.serial() || stored_digest != digest) {
    error = "it ends at serial " + std::to_string(last_to) + " but the zone served is serial " +
            std::to_string(zone.serial()) + (last_to == zone.serial() ? " with other records" : "");
    return nullptr;
  }
  return journal;
}

}  // namespace flatns::transfer
