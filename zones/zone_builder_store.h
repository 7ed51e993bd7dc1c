// The records of one zone while it is being built, kept in arenas, and their
// RFC 4034 §6.1 canonical order.
//
// Internal to zones/: zone_builder.cpp fills a RecordStore from the scanner
// and compiles the Zone from its ordering. Owner names and RDATA live in one
// byte arena, records are fixed 20-octet entries, and consecutive records
// with the same owner share one copy of it, so loading allocates nothing per
// record. Sorting works on per-owner keys whose memcmp order is canonical
// order, compared first through their first 16 octets as integers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dns/name.h"
#include "zones/zone_file.h"
#include "zones/zone_memory.h"

namespace flatns::zones {

struct StoredRecord {
  uint32_t owner = 0;   // index into the store's owner runs
  uint32_t rdata = 0;   // offset of the RDATA in the byte arena
  uint32_t ttl = 0;
  uint32_t line = 0;
  uint16_t rdlength = 0;
  uint16_t type = 0;
  uint16_t file = 0;    // index into the store's file names
};

// Records in canonical order of their owners, then by type, then in file
// order, exact duplicates dropped. Owner groups are [group_begin[g],
// group_begin[g + 1]) in `records`.
struct RecordOrder {
  BigVector<uint32_t> records;      // indexes into RecordStore::records()
  BigVector<uint32_t> group_begin;  // one per owner name, plus the end
};

class RecordStore {
 public:
  enum class AddResult { kAdded, kOutOfZone, kTooLarge };

  explicit RecordStore(const dns::Name& origin);

  // Reserves for a zone file of this size (untouched reserve costs no memory).
  void reserve_for_file(std::size_t file_bytes);
  [[nodiscard]] AddResult add(const RecordView& rec);

  std::size_t size() const { return records_.size(); }
  const StoredRecord& operator[](uint32_t i) const { return records_[i]; }
  dns::NameView owner(const StoredRecord& r) const {
    const OwnerRun& run = owners_[r.owner];
    return {bytes_.data() + run.name, run.name_length};
  }
  std::span<const uint8_t> rdata(const StoredRecord& r) const {
    return {bytes_.data() + r.rdata, r.rdlength};
  }
  const std::string& file(const StoredRecord& r) const { return files_[r.file]; }
  uint64_t rdata_bytes() const { return rdata_bytes_; }

  // Sorts and drops duplicates; frees the sort keys, which nothing needs after.
  [[nodiscard]] RecordOrder order();

 private:
  struct OwnerRun {
    uint32_t name = 0;    // wire name offset in bytes_
    uint32_t key = 0;     // canonical key offset in keys_
    uint16_t key_length = 0;
    uint8_t name_length = 0;
  };

  bool same_key_tail(uint32_t a, uint32_t b) const;
  bool key_tail_less(uint32_t a, uint32_t b) const;
  void sort_by_type(std::span<uint32_t> group) const;
  void drop_duplicates(std::span<const uint32_t> group, BigVector<uint32_t>& kept) const;

  std::vector<uint8_t> origin_;  // lowercased wire form
  int origin_labels_ = 0;
  BigVector<uint8_t> bytes_;   // owner names and RDATA
  BigVector<uint8_t> keys_;    // canonical keys of the owner runs, relative to the origin
  BigVector<OwnerRun> owners_;
  BigVector<StoredRecord> records_;
  std::vector<std::string> files_;
  uint16_t last_file_ = 0;
  uint64_t rdata_bytes_ = 0;
  bool last_owner_in_zone_ = false;
};

}  // namespace flatns::zones
