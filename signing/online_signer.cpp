#include "signing/online_signer.h"

#include "dns/dnssec_sign.h"
#include "dns/rrtype.h"
#include "zones/zone.h"

namespace flatns::signing {

OnlineSigner::OnlineSigner(KeySet keys, SigningPolicy policy, std::shared_ptr<SignatureCache> cache,
                           uint64_t keys_stamp)
    : keys_(std::move(keys)), policy_(std::move(policy)), cache_(std::move(cache)), keys_stamp_(keys_stamp) {
  key_signers_ = keys_.key_signers();
  zone_signers_ = keys_.zone_signers();
  for (const ZoneKey* k : key_signers_) key_signer_ids_.push_back(key_identity(k->pair.dnskey));
  for (const ZoneKey* k : zone_signers_) zone_signer_ids_.push_back(key_identity(k->pair.dnskey));
}

const OnlineSigner* OnlineSigner::of(const zones::Zone& zone) {
  // Only signing/ attaches a ZoneSigner (server/daemon_zones.cpp sign_outcome).
  return static_cast<const OnlineSigner*>(zone.signer());
}

bool OnlineSigner::sign_answer(const dns::RrsetRef& rrset, uint32_t ttl, int64_t now, int labels,
                               AnswerSignatures& out, Reuse reuse) const {
  namespace rrtype = dns::rrtype;
  const bool key_rrset = rrset.type == rrtype::DNSKEY || rrset.type == rrtype::CDS ||
                         rrset.type == rrtype::CDNSKEY;
  const auto& ids = key_rrset ? key_signer_ids_ : zone_signer_ids_;
  if (ids.empty() || ids.size() > kMaxAnswerSigners) return false;
  MemoKey keys[kMaxAnswerSigners];
  bool all = true;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    keys[i] = memo_key(rrset, ttl, labels, ids[i]);
    all = all && memo_find(keys[i], now, policy_.rrsig_refresh, out);
  }
  if (all) return true;
  out.count = 0;
  if (reuse == Reuse::ThisWorker) {
    return sign_for_worker(rrset, ttl, now, labels, key_rrset ? key_signers_ : zone_signers_, {keys, ids.size()},
                           out);
  }
  // A miss: through the shared cache (or signed now), then kept here.
  thread_local std::vector<std::vector<uint8_t>> made;
  made.clear();
  if (!sign(rrset, ttl, now, made, labels)) return false;
  for (std::size_t i = 0; i < made.size() && i < ids.size(); ++i) {
    const auto& rrsig = made[i];
    if (rrsig.size() < 12) return false;
    const uint32_t expiration = static_cast<uint32_t>(rrsig[8]) << 24 | rrsig[9] << 16 | rrsig[10] << 8 | rrsig[11];
    memo_store(keys[i], rrsig, expiration);
    if (!out.push(rrsig)) return false;
  }
  return true;
}

// Signed for the name asked: no shared-cache lookup or store (no lock, no
// entry another RRset loses), so the only allocations are the signing's own.
bool OnlineSigner::sign_for_worker(const dns::RrsetRef& rrset, uint32_t ttl, int64_t now, int labels,
                                   std::span<const ZoneKey* const> signers, std::span<const MemoKey> keys,
                                   AnswerSignatures& out) const {
  thread_local std::vector<uint8_t> rrsig;
  for (std::size_t i = 0; i < signers.size() && i < keys.size(); ++i) {
    const dns::RrsigFields f = fields(*signers[i], ttl, now, labels, static_cast<uint16_t>(keys[i].hi));
    if (!dns::sign_rrset(rrset, f, signers[i]->pair.key, rrsig)) return false;
    memo_store(keys[i], rrsig, f.expiration);
    if (!out.push(rrsig)) return false;
  }
  return true;
}

dns::RrsigFields OnlineSigner::fields(const ZoneKey& key, uint32_t ttl, int64_t now, int labels,
                                      uint16_t spread) const {
  dns::RrsigFields f;
  f.original_ttl = ttl;
  f.inception = static_cast<uint32_t>(now - policy_.inception_offset);
  const uint32_t jitter = policy_.rrsig_jitter ? spread % policy_.rrsig_jitter : 0;
  f.expiration = static_cast<uint32_t>(now + policy_.rrsig_lifetime - jitter);
  f.key_tag = key.pair.tag;
  f.signer = keys_.zone().wire();
  f.labels = labels;
  return f;
}

int64_t OnlineSigner::refresh_due(int64_t signed_at) const {
  const int64_t earliest = signed_at + policy_.rrsig_lifetime - policy_.rrsig_jitter;
  return earliest - policy_.rrsig_refresh;
}

bool OnlineSigner::sign(const dns::RrsetRef& rrset, uint32_t ttl, int64_t now,
                        std::vector<std::vector<uint8_t>>& out, int labels) const {
  namespace rrtype = dns::rrtype;
  const bool key_rrset = rrset.type == rrtype::DNSKEY || rrset.type == rrtype::CDS ||
                         rrset.type == rrtype::CDNSKEY;
  const auto& signers = key_rrset ? key_signers_ : zone_signers_;
  if (signers.empty()) return false;
  int label_count = labels;
  if (label_count < 0) {
    label_count = dns::label_count(rrset.owner) - (dns::is_wildcard(rrset.owner) ? 1 : 0);
  }
  for (const ZoneKey* k : signers) {
    SignatureKey cache_key;
    const bool keyed = signature_key(rrset, ttl, label_count, k->pair.tag,
                                     k->pair.key.algorithm(), cache_key);
    std::vector<uint8_t> rrsig;
    if (keyed && cache_->find(cache_key, now, policy_.rrsig_refresh, rrsig)) {
      out.push_back(std::move(rrsig));
      continue;
    }
    const dns::RrsigFields f =
        fields(*k, ttl, now, label_count, static_cast<uint16_t>(cache_key.digest[0] << 8 | cache_key.digest[1]));
    if (!dns::sign_rrset(rrset, f, k->pair.key, rrsig)) return false;
    if (keyed) cache_->store(cache_key, rrsig, f.expiration);
    out.push_back(std::move(rrsig));
  }
  return true;
}

}  // namespace flatns::signing
