#include "signing/online_signer.h"

#include "dns/dnssec_sign.h"
#include "dns/rrtype.h"

namespace flatns::signing {

OnlineSigner::OnlineSigner(KeySet keys, SigningPolicy policy, std::shared_ptr<SignatureCache> cache)
    : keys_(std::move(keys)), policy_(std::move(policy)), cache_(std::move(cache)) {
  key_signers_ = keys_.key_signers();
  zone_signers_ = keys_.zone_signers();
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
    dns::RrsigFields f;
    f.original_ttl = ttl;
    f.inception = static_cast<uint32_t>(now - policy_.inception_offset);
    const uint32_t jitter =
        policy_.rrsig_jitter ? (cache_key.digest[0] << 8 | cache_key.digest[1]) % policy_.rrsig_jitter : 0;
    f.expiration = static_cast<uint32_t>(now + policy_.rrsig_lifetime - jitter);
    f.key_tag = k->pair.tag;
    f.signer = keys_.zone().wire();
    f.labels = label_count;
    if (!dns::sign_rrset(rrset, f, k->pair.key, rrsig)) return false;
    if (keyed) cache_->store(cache_key, rrsig, f.expiration);
    out.push_back(std::move(rrsig));
  }
  return true;
}

}  // namespace flatns::signing
