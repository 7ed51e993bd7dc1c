// The packet path's view of the signature cache: each worker thread keeps
// its own fixed table of recent RRSIGs (answer_memo.cpp), so a signed
// dynamic answer (a flattened address set, a compact-denial NSEC, an NSEC3
// white lie, a wildcard answer signed as an exact match) that was signed
// before takes no lock and allocates nothing. A miss signs (OpenSSL
// allocates then): an RRset whose signature other workers and the re-sign
// passes reuse (a flattened address set, a zone name's NSEC) through the
// shared SignatureCache (a shard lock), a signature made for the name
// asked (online_signer.h, Reuse::ThisWorker) straight into this table.
//
// The table holds kMemoEntries slots in sets of four ways, replaced by a
// one-bit clock: two busy RRsets whose keys pick one set both stay, and a
// flood of names asked once evicts other names asked once first. Made on a
// thread's first use (one allocation); nothing is allocated after that.
//
// Entries are keyed by SipHash-2-4 (128 bits) under a key drawn at start
// from the system's random source: the key is secret, so a client that
// chooses query names cannot make two RRsets share a slot's key, nor aim
// many names at one set. The hash covers the signing key's public key, the
// owner (lowercased), type, class, original TTL, label count and the RDATA
// in the order given.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "dns/dnssec.h"

namespace flatns::signing {

// An RRSIG's RDATA is at most 18 + 255 (signer) + 114 (Ed448) octets.
inline constexpr std::size_t kMaxRrsigLength = 18 + 255 + 114;
// Signing keys one RRset is signed with at most (an algorithm rollover has two).
inline constexpr std::size_t kMaxAnswerSigners = 4;
// RRSIGs one worker's table holds (~400 octets each: 1.6 MiB a worker).
inline constexpr std::size_t kMemoEntries = 4096;

// The RRSIGs of one RRset, held on the caller's stack.
struct AnswerSignatures {
  std::array<std::array<uint8_t, kMaxRrsigLength>, kMaxAnswerSigners> bytes;
  std::array<uint16_t, kMaxAnswerSigners> lengths{};
  std::size_t count = 0;
  [[nodiscard]] std::span<const uint8_t> at(std::size_t i) const { return {bytes[i].data(), lengths[i]}; }
  bool push(std::span<const uint8_t> rrsig);
};

struct MemoKey {
  uint64_t lo = 0, hi = 0;
  friend bool operator==(const MemoKey&, const MemoKey&) = default;
};

// The memo key of `rrset` signed by the key whose identity hash is
// `key_id`, with original TTL `ttl` and label count `labels`.
[[nodiscard]] MemoKey memo_key(const dns::RrsetRef& rrset, uint32_t ttl, int labels, uint64_t key_id);
// A 64-bit identity of a signing key (from its DNSKEY RDATA).
[[nodiscard]] uint64_t key_identity(std::span<const uint8_t> dnskey_rdata);

// This thread's table (made on first use, one allocation per thread).
// find() copies a fresh RRSIG (more than `margin` seconds before expiry)
// into `out` and marks it used; store() keeps one, in the slot it had, an
// empty one or the one the clock picks in its set.
[[nodiscard]] bool memo_find(const MemoKey& key, int64_t now, uint32_t margin, AnswerSignatures& out);
void memo_store(const MemoKey& key, std::span<const uint8_t> rrsig, uint32_t expiration);

}  // namespace flatns::signing
