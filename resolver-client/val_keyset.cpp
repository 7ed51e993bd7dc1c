#include "resolver-client/val_keyset.h"

#include <string>

#include "dns/dnssec.h"
#include "dns/rrtype.h"
#include "resolver-client/val_sigcrypt.h"

namespace flatns::resolver {

bool algorithm_supported(uint8_t algorithm, const ValidatorOptions& options) {
  using namespace dns::dnssec_alg;
  switch (algorithm) {
    case DSA:
    case DSA_NSEC3_SHA1: return options.accept_dsa;
    case RSASHA1:
    case RSASHA1_NSEC3_SHA1: return options.accept_sha1_algorithms;
    case RSASHA256:
    case RSASHA512:
    case ECDSAP256SHA256:
    case ECDSAP384SHA384:
    case ED25519:
    case ED448: return true;
    default: return false;
  }
}

bool digest_supported(uint8_t digest_type, const ValidatorOptions& options) {
  switch (digest_type) {
    case dns::ds_digest_type::SHA1: return options.accept_sha1_digest;
    case dns::ds_digest_type::SHA256:
    case dns::ds_digest_type::SHA384: return true;
    default: return false;
  }
}

ZoneKeys insecure_keys(const dns::Name& zone, InsecureReason why, std::string detail) {
  ZoneKeys keys;
  keys.zone = zone;
  keys.verdict = Verdict::insecure(zone, why, std::move(detail));
  return keys;
}

ZoneKeys validate_dnskeys(const SignedRrset& dnskeys, const DsSet& ds, ValidationContext& ctx) {
  ZoneKeys out;
  out.zone = ds.zone;
  if (ds.verdict.security != Security::Secure) {
    out.verdict = ds.verdict;
    return out;
  }
  const std::string zone_text = ds.zone.to_text();
  if (dnskeys.rdatas.empty() || dnskeys.type != dns::rrtype::DNSKEY || !(dnskeys.owner == ds.zone)) {
    out.verdict = Verdict::bogus(ds.zone, BogusReason::NoDnskey, "no DNSKEY RRset at " + zone_text);
    return out;
  }

  // RFC 4035 §5.2 and RFC 6840 §5.2: only DS records with a digest and
  // algorithm we support count; none of them => the zone is insecure.
  // RFC 4509 §3: with a SHA-256 (or stronger) DS present, SHA-1 DS are ignored.
  bool any_supported_alg = false, any_supported = false, any_strong = false;
  for (const auto& rdata : ds.ds) {
    dns::DsRdata d;
    if (!dns::parse_ds(rdata, d) || !algorithm_supported(d.algorithm, ctx.options)) continue;
    any_supported_alg = true;
    if (!digest_supported(d.digest_type, ctx.options)) continue;
    any_supported = true;
    if (d.digest_type != dns::ds_digest_type::SHA1) any_strong = true;
  }
  if (!any_supported) {
    out.verdict = any_supported_alg
                      ? Verdict::insecure(ds.zone, InsecureReason::UnsupportedDigest,
                                          "DS of " + zone_text + " use only unsupported digests")
                      : Verdict::insecure(ds.zone, InsecureReason::UnsupportedAlgorithm,
                                          "DS of " + zone_text +
                                              " use only unsupported algorithms");
    return out;
  }

  // The DNSKEYs a usable DS points at (a bounded number per DS: KeyTrap).
  ZoneKeys trusted;
  trusted.zone = ds.zone;
  trusted.verdict = Verdict::secure(ds.zone);
  std::string mismatch;
  for (const auto& rdata : ds.ds) {
    dns::DsRdata d;
    if (!dns::parse_ds(rdata, d) || !algorithm_supported(d.algorithm, ctx.options) ||
        !digest_supported(d.digest_type, ctx.options) ||
        (any_strong && d.digest_type == dns::ds_digest_type::SHA1)) {
      continue;
    }
    uint32_t candidates = 0;
    bool matched = false;
    for (const auto& key : dnskeys.rdatas) {
      dns::DnskeyRdata k;
      if (!dns::parse_dnskey(key, k) || k.algorithm != d.algorithm ||
          dns::key_tag(key) != d.key_tag) {
        continue;
      }
      if (candidates++ == ctx.budget.max_keys_per_tag) break;
      if ((k.flags & dns::kDnskeyFlagZone) == 0 || (k.flags & dns::kDnskeyFlagRevoke) != 0 ||
          k.protocol != dns::kDnskeyProtocol) {
        continue;
      }
      if (dns::ds_matches_dnskey(ds.zone.wire(), rdata, key) == dns::DsMatch::match) {
        trusted.dnskeys.push_back(key);
        matched = true;
      }
    }
    if (!matched) mismatch = "DS key tag " + std::to_string(d.key_tag);
  }
  if (trusted.dnskeys.empty()) {
    out.verdict = Verdict::bogus(ds.zone, BogusReason::DsDnskeyMismatch,
                                 "no DNSKEY of " + zone_text + " matches " + mismatch);
    return out;
  }

  const RrsetCheck check = verify_rrset(dnskeys, trusted, ctx);
  if (check.verdict.security != Security::Secure) {
    out.verdict = check.verdict;
    return out;
  }
  out.verdict = Verdict::secure(ds.zone);
  out.dnskeys = dnskeys.rdatas;
  out.ttl = check.ttl;
  return out;
}

}  // namespace flatns::resolver
