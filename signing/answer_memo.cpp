#include "signing/answer_memo.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>

#include "dns/name.h"

namespace flatns::signing {

namespace {

uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

// SipHash-2-4 with 128-bit output (Aumasson and Bernstein), fed by parts.
class SipHash128 {
 public:
  SipHash128(uint64_t k0, uint64_t k1) {
    v0_ = 0x736f6d6570736575ULL ^ k0;
    v1_ = 0x646f72616e646f6dULL ^ k1 ^ 0xee;
    v2_ = 0x6c7967656e657261ULL ^ k0;
    v3_ = 0x7465646279746573ULL ^ k1;
  }
  void update(std::span<const uint8_t> data) {
    for (uint8_t b : data) {
      tail_ |= static_cast<uint64_t>(b) << (8 * (length_ & 7));
      if ((++length_ & 7) == 0) {
        block(tail_);
        tail_ = 0;
      }
    }
  }
  MemoKey finish() {
    block(tail_ | static_cast<uint64_t>(length_ & 0xff) << 56);
    v2_ ^= 0xee;
    for (int i = 0; i < 4; ++i) round();
    MemoKey k;
    k.lo = v0_ ^ v1_ ^ v2_ ^ v3_;
    v1_ ^= 0xdd;
    for (int i = 0; i < 4; ++i) round();
    k.hi = v0_ ^ v1_ ^ v2_ ^ v3_;
    return k;
  }

 private:
  void round() {
    v0_ += v1_; v1_ = rotl(v1_, 13); v1_ ^= v0_; v0_ = rotl(v0_, 32);
    v2_ += v3_; v3_ = rotl(v3_, 16); v3_ ^= v2_;
    v0_ += v3_; v3_ = rotl(v3_, 21); v3_ ^= v0_;
    v2_ += v1_; v1_ = rotl(v1_, 17); v1_ ^= v2_; v2_ = rotl(v2_, 32);
  }
  void block(uint64_t m) {
    v3_ ^= m;
    round();
    round();
    v0_ ^= m;
  }
  uint64_t v0_, v1_, v2_, v3_;
  uint64_t tail_ = 0;
  uint64_t length_ = 0;
};

struct SecretKey {
  uint64_t k0, k1;
};

const SecretKey& secret() {
  static const SecretKey key = [] {
    std::random_device rd;
    auto word = [&] { return static_cast<uint64_t>(rd()) << 32 | rd(); };
    return SecretKey{word(), word()};
  }();
  return key;
}

// 4096 slots of ~400 octets: 1.6 MiB a worker, enough for the flattened
// names and denial NSECs a worker answers within a refresh period; an RRset
// that lost its slot only costs a shared-cache lookup (or, for a signature
// made for the name asked, a new signature). Slots are grouped in sets of
// four ways (CPU caches do the same) so that two busy RRsets whose keys
// pick the same set both stay.
constexpr std::size_t kWays = 4;
constexpr std::size_t kSets = 1024;

struct Slot {
  MemoKey key;
  uint32_t expiration = 0;
  uint16_t length = 0;
  bool referenced = false;  // found since the clock hand last passed
  std::array<uint8_t, kMaxRrsigLength> rrsig;
};

// Replacement by a one-bit clock (second chance): the hand skips, and
// clears, a slot found since it last passed, so a flood of RRsets asked once
// (random names) replaces other one-time entries before a busy one.
struct MemoSet {
  std::array<Slot, kWays> ways;
  uint8_t hand = 0;
};

struct Table {
  std::array<MemoSet, kSets> sets;
};
static_assert(kWays * kSets == kMemoEntries);

Table& table() {
  thread_local std::unique_ptr<Table> t = std::make_unique<Table>();
  return *t;
}

MemoSet& set_for(const MemoKey& key) { return table().sets[key.lo % kSets]; }

// The slot to overwrite for `key`: its own, an empty one, else the clock's choice.
Slot& victim(MemoSet& set, const MemoKey& key) {
  for (Slot& s : set.ways) {
    if (s.key == key || s.length == 0) return s;
  }
  while (true) {  // at most kWays + 1 steps: each step clears a bit
    Slot& s = set.ways[set.hand];
    set.hand = static_cast<uint8_t>((set.hand + 1) % kWays);
    if (!s.referenced) return s;
    s.referenced = false;
  }
}

}  // namespace

bool AnswerSignatures::push(std::span<const uint8_t> rrsig) {
  if (count >= kMaxAnswerSigners || rrsig.size() > kMaxRrsigLength) return false;
  std::memcpy(bytes[count].data(), rrsig.data(), rrsig.size());
  lengths[count] = static_cast<uint16_t>(rrsig.size());
  ++count;
  return true;
}

MemoKey memo_key(const dns::RrsetRef& rrset, uint32_t ttl, int labels, uint64_t key_id) {
  SipHash128 h(secret().k0, secret().k1);
  uint8_t owner[dns::kMaxNameLength];
  const std::size_t n = std::min<std::size_t>(rrset.owner.size(), sizeof owner);
  std::memcpy(owner, rrset.owner.data(), n);
  dns::lowercase_name({owner, n});
  const uint8_t fixed[17] = {
      static_cast<uint8_t>(key_id >> 56), static_cast<uint8_t>(key_id >> 48), static_cast<uint8_t>(key_id >> 40),
      static_cast<uint8_t>(key_id >> 32), static_cast<uint8_t>(key_id >> 24), static_cast<uint8_t>(key_id >> 16),
      static_cast<uint8_t>(key_id >> 8),  static_cast<uint8_t>(key_id),       static_cast<uint8_t>(rrset.type >> 8),
      static_cast<uint8_t>(rrset.type),   static_cast<uint8_t>(rrset.rrclass >> 8), static_cast<uint8_t>(rrset.rrclass),
      static_cast<uint8_t>(ttl >> 24),    static_cast<uint8_t>(ttl >> 16),    static_cast<uint8_t>(ttl >> 8),
      static_cast<uint8_t>(ttl),          static_cast<uint8_t>(labels)};
  h.update(fixed);
  h.update({owner, n});
  for (auto rd : rrset.rdatas) {
    const uint8_t length[2] = {static_cast<uint8_t>(rd.size() >> 8), static_cast<uint8_t>(rd.size())};
    h.update(length);
    h.update(rd);
  }
  return h.finish();
}

uint64_t key_identity(std::span<const uint8_t> dnskey_rdata) {
  SipHash128 h(0, 0);  // not secret: names a key, it keys nothing
  h.update(dnskey_rdata);
  return h.finish().lo;
}

bool memo_find(const MemoKey& key, int64_t now, uint32_t margin, AnswerSignatures& out) {
  for (Slot& s : set_for(key).ways) {
    if (!(s.key == key) || s.length == 0) continue;
    if (static_cast<int64_t>(s.expiration) - now <= static_cast<int64_t>(margin)) return false;
    s.referenced = true;
    return out.push({s.rrsig.data(), s.length});
  }
  return false;
}

void memo_store(const MemoKey& key, std::span<const uint8_t> rrsig, uint32_t expiration) {
  if (rrsig.size() > kMaxRrsigLength) return;
  Slot& s = victim(set_for(key), key);
  s.key = key;
  s.expiration = expiration;
  s.length = static_cast<uint16_t>(rrsig.size());
  s.referenced = false;
  std::memcpy(s.rrsig.data(), rrsig.data(), rrsig.size());
}

}  // namespace flatns::signing
