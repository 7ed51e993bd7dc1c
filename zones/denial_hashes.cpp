#include "zones/denial_hashes.h"

#include <algorithm>
#include <cstring>

#include "dns/dnssec.h"

namespace flatns::zones {

namespace {

struct MemoEntry {
  bool used = false;
  uint8_t algorithm = 0;
  uint16_t iterations = 0;
  uint8_t name_length = 0;
  uint8_t salt_length = 0;
  std::array<uint8_t, dns::kMaxNameLength> name;  // lowercased
  std::array<uint8_t, 255> salt;
  std::array<uint8_t, 20> hash;
};

// Direct-mapped by name hash; 16 entries hold the enclosers and wildcards
// of a few zones at once.
constexpr std::size_t kMemoEntries = 16;

bool matches(const MemoEntry& e, dns::NameView lowered, const Nsec3Params& p) {
  return e.used && e.algorithm == p.algorithm && e.iterations == p.iterations &&
         e.name_length == lowered.size() && e.salt_length == p.salt.size() &&
         std::memcmp(e.name.data(), lowered.data(), lowered.size()) == 0 &&
         std::equal(p.salt.begin(), p.salt.end(), e.salt.begin());
}

}  // namespace

bool nsec3_hash_of(const Zone& z, dns::NameView name, std::array<uint8_t, 20>& out) {
  const Nsec3Params& p = z.nsec3();
  return dns::nsec3_hash(name, p.algorithm, p.salt, p.iterations, out);
}

bool nsec3_hash_remembered(const Zone& z, dns::NameView name, std::array<uint8_t, 20>& out) {
  const Nsec3Params& p = z.nsec3();
  if (p.salt.size() > 255) return nsec3_hash_of(z, name, out);
  thread_local std::array<MemoEntry, kMemoEntries> memo;
  std::array<uint8_t, dns::kMaxNameLength> lowered;
  std::memcpy(lowered.data(), name.data(), name.size());
  dns::lowercase_name(std::span<uint8_t>(lowered.data(), name.size()));
  const dns::NameView key(lowered.data(), name.size());
  MemoEntry& e = memo[dns::name_hash(key) % kMemoEntries];
  if (matches(e, key, p)) {
    out = e.hash;
    return true;
  }
  if (!nsec3_hash_of(z, name, out)) return false;
  e.used = true;
  e.algorithm = p.algorithm;
  e.iterations = p.iterations;
  e.name_length = static_cast<uint8_t>(name.size());
  e.salt_length = static_cast<uint8_t>(p.salt.size());
  std::memcpy(e.name.data(), key.data(), key.size());
  std::copy(p.salt.begin(), p.salt.end(), e.salt.begin());
  e.hash = out;
  return true;
}

}  // namespace flatns::zones
