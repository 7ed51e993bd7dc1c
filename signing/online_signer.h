// The signer of one zone: its key set and policy, and RRSIG creation
// through the signature cache (signature_cache.h), for the zone at load
// (zone_signer.h) and for what is only known later — flattened addresses
// as they enter the flattened-answer cache, compact-denial NSECs for names
// that do not exist, answers synthesised from wildcards (signed as exact
// matches, RFC 9824 §3.4 / RFC 4470).
//
// Validity (RFC 4034 §3.1.5): inception `inception_offset` in the past,
// expiration `rrsig_lifetime` ahead less a pseudo-random part of
// `rrsig_jitter` taken from the signed data's hash, so the expirations of
// a large zone spread out and each RRset is re-signed at its own time. A
// cached signature is reused while more than `rrsig_refresh` is left.
// Thread-safe: workers and signing threads share one OnlineSigner.
//
// What the shared cache holds: the signatures made at load and by re-sign
// passes, and those of RRsets every worker answers alike (flattened address
// sets, the NSEC or NSEC3 of a name in the zone). A signature made for the
// name asked (a compact-denial NSEC, an NSEC3 covering its hash, a wildcard
// answer signed as an exact match) is kept in the worker's own table only
// (Reuse::ThisWorker): a flood of random names then takes no lock, and
// cannot evict the zone's signatures, which the next re-sign pass would
// otherwise have to make again.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dns/dnssec.h"
#include "dns/dnssec_sign.h"
#include "signing/answer_memo.h"
#include "signing/key_set.h"
#include "signing/policy.h"
#include "signing/signature_cache.h"
#include "zones/zone_set.h"

namespace flatns::signing {

// SHA-256 of a signed zone's records and signatures (signing/zone_signer.h):
// tells whether a new signing changed anything a secondary would transfer.
using ContentDigest = std::array<uint8_t, 32>;

// Where sign_answer() keeps a signature it had to make (see above).
enum class Reuse : uint8_t {
  Shared,      // the shared cache and this worker's table
  ThisWorker,  // this worker's table only: signed for the name asked
};

class OnlineSigner final : public zones::ZoneSigner {
 public:
  // `keys_stamp` tells the key folder's state when the keys were read
  // (server/daemon_zones.cpp compares it on reload).
  OnlineSigner(KeySet keys, SigningPolicy policy, std::shared_ptr<SignatureCache> cache,
               uint64_t keys_stamp = 0);
  // The signer of `zone`, or null when it is not signed online.
  [[nodiscard]] static const OnlineSigner* of(const zones::Zone& zone);

  const KeySet& keys() const { return keys_; }
  const SigningPolicy& policy() const { return policy_; }
  SignatureCache& cache() const { return *cache_; }
  const std::shared_ptr<SignatureCache>& shared_cache() const { return cache_; }

  // Appends one RRSIG RDATA per signing key to `out`. `labels` -1: from the
  // owner (wildcard owners not counted); DNSKEY, CDS and CDNSKEY are signed
  // by the SEP keys, everything else by the zone signers. False when a
  // signature could not be made.
  [[nodiscard]] bool sign(const dns::RrsetRef& rrset, uint32_t ttl, int64_t now,
                          std::vector<std::vector<uint8_t>>& out, int labels = -1) const;
  // The packet path's signing (answer_memo.h): the RRSIGs from this
  // thread's memo without a lock or an allocation, else through sign()
  // (Reuse::Shared) or signed here and kept in the memo alone
  // (Reuse::ThisWorker). False when a signature could not be made or
  // there is no signing key.
  [[nodiscard]] bool sign_answer(const dns::RrsetRef& rrset, uint32_t ttl, int64_t now, int labels,
                                 AnswerSignatures& out, Reuse reuse = Reuse::Shared) const;
  [[nodiscard]] uint64_t keys_stamp() const { return keys_stamp_; }
  // The content of the zone this signer signed; set once, before the zone
  // is served (server/daemon_zones.cpp).
  [[nodiscard]] const ContentDigest& signed_content() const { return signed_content_; }
  void set_signed_content(const ContentDigest& d) { signed_content_ = d; }
  // The earliest time any signature made now must be made again.
  [[nodiscard]] int64_t refresh_due(int64_t signed_at) const;

 private:
  // The validity and identity fields of an RRSIG made now by `key`; the
  // jitter comes from `spread` (a hash of the signed data).
  [[nodiscard]] dns::RrsigFields fields(const ZoneKey& key, uint32_t ttl, int64_t now, int labels,
                                        uint16_t spread) const;
  bool sign_for_worker(const dns::RrsetRef& rrset, uint32_t ttl, int64_t now, int labels,
                       std::span<const ZoneKey* const> signers, std::span<const MemoKey> keys,
                       AnswerSignatures& out) const;

  KeySet keys_;
  SigningPolicy policy_;
  std::shared_ptr<SignatureCache> cache_;
  std::vector<const ZoneKey*> key_signers_;
  std::vector<const ZoneKey*> zone_signers_;
  std::vector<uint64_t> key_signer_ids_, zone_signer_ids_;  // key_identity() of each
  uint64_t keys_stamp_ = 0;
  ContentDigest signed_content_{};
};

}  // namespace flatns::signing
