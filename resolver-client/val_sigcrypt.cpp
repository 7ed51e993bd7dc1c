#include "resolver-client/val_sigcrypt.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "dns/dnssec.h"
#include "dns/rrtype.h"

namespace flatns::resolver {

namespace {

// What went wrong with the RRSIGs tried, kept to name the most telling
// failure when none validates: a signature that fails the crypto check beats
// a time window problem, which beats a missing key (Unbound reports in the
// same spirit: the closest the data came to validating).
struct Failures {
  std::string crypto, expired, not_yet, no_key, other;

  Verdict verdict(const dns::Name& zone, const std::string& what) const {
    if (!crypto.empty()) return Verdict::bogus(zone, BogusReason::CryptoFailure, what + crypto);
    if (!expired.empty())
      return Verdict::bogus(zone, BogusReason::SignatureExpired, what + expired);
    if (!not_yet.empty())
      return Verdict::bogus(zone, BogusReason::SignatureNotYetValid, what + not_yet);
    if (!no_key.empty()) return Verdict::bogus(zone, BogusReason::NoMatchingKey, what + no_key);
    return Verdict::bogus(zone, BogusReason::Malformed, what + other);
  }
};

std::string sig_label(const dns::RrsigRdata& sig) {
  return "RRSIG key tag " + std::to_string(sig.key_tag) + " alg " +
         std::to_string(sig.algorithm);
}

std::string time_text(uint32_t t) {
  // YYYYMMDDHHmmSS as in presentation form (RFC 4034 §3.2), UTC.
  const int64_t secs = t;
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  // Civil from days (Howard Hinnant's algorithm).
  days += 719468;
  const int64_t era = days / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld%02lld%02lld%02lld%02lld%02lld",
                static_cast<long long>(y), static_cast<long long>(m),
                static_cast<long long>(d), static_cast<long long>(rem / 3600),
                static_cast<long long>(rem % 3600 / 60), static_cast<long long>(rem % 60));
  return buf;
}

// Seconds from `now` to `expiration` in serial arithmetic (RFC 1982), >= 0.
uint32_t seconds_left(uint32_t expiration, int64_t now) {
  const auto diff = static_cast<int32_t>(expiration - static_cast<uint32_t>(now));
  return diff > 0 ? static_cast<uint32_t>(diff) : 0;
}

}  // namespace

RrsetCheck verify_rrset(const SignedRrset& rrset, const ZoneKeys& keys, ValidationContext& ctx) {
  RrsetCheck check;
  if (keys.verdict.security != Security::Secure) {
    check.verdict = keys.verdict;
    check.ttl = rrset.ttl;
    return check;
  }
  const std::string what =
      dns::type_to_text(rrset.type) + " " + rrset.owner.to_text() + ": ";
  if (rrset.rrsigs.empty()) {
    check.verdict = Verdict::bogus(keys.zone, BogusReason::MissingRrsig, what + "no RRSIG");
    return check;
  }
  if (rrset.rdatas.empty()) {
    check.verdict = Verdict::bogus(keys.zone, BogusReason::Malformed, what + "RRSIG without RRset");
    return check;
  }

  std::vector<std::span<const uint8_t>> rdata_views(rrset.rdatas.begin(), rrset.rdatas.end());
  const dns::RrsetRef ref{rrset.owner.wire(), rrset.type, rrset.rrclass, rdata_views};
  const int owner_labels = rrset.owner.labels();
  const int owner_labels_no_star = dns::is_wildcard(rrset.owner.wire()) ? owner_labels - 1
                                                                         : owner_labels;
  Failures failures;
  uint32_t tried = 0;
  for (const auto& sig_rdata : rrset.rrsigs) {
    if (tried == ctx.budget.max_rrsigs_per_rrset) break;
    ++tried;
    dns::RrsigRdata sig;
    if (!dns::parse_rrsig(sig_rdata, sig)) {
      failures.other = "RRSIG RDATA does not parse";
      continue;
    }
    const std::string label = sig_label(sig);
    if (!dns::name_equal(sig.signer, keys.zone.wire())) {
      failures.other = label + ": signer " + dns::name_to_text(sig.signer) +
                       " is not the zone " + keys.zone.to_text();
      continue;
    }
    if (sig.labels > owner_labels_no_star) {
      failures.other = label + ": label count " + std::to_string(sig.labels) +
                       " exceeds the owner's";
      continue;
    }
    if (!algorithm_supported(sig.algorithm, ctx.options)) {
      failures.no_key = label + ": algorithm not supported";
      continue;
    }
    switch (dns::signature_time(sig, ctx.now)) {
      case dns::SignatureTime::expired:
        failures.expired = label + ": expired at " + time_text(sig.expiration);
        continue;
      case dns::SignatureTime::not_yet_valid:
        failures.not_yet = label + ": not valid before " + time_text(sig.inception);
        continue;
      case dns::SignatureTime::valid: break;
    }
    uint32_t keys_tried = 0;
    bool any_key = false;
    for (const auto& key : keys.dnskeys) {
      dns::DnskeyRdata k;
      if (!dns::parse_dnskey(key, k) || k.algorithm != sig.algorithm ||
          dns::key_tag(key) != sig.key_tag) {
        continue;
      }
      any_key = true;
      if (keys_tried == ctx.budget.max_keys_per_tag) break;
      ++keys_tried;
      if (!ctx.budget.spend()) {
        check.verdict = Verdict::bogus(
            keys.zone, BogusReason::TooMuchWork,
            what + "more than " + std::to_string(ctx.budget.max_verifications) +
                " signature verifications in this resolution");
        return check;
      }
      const auto result = dns::verify_rrsig(ref, sig_rdata, keys.zone.wire(), key);
      if (result == dns::VerifyResult::ok) {
        check.verdict = Verdict::secure(keys.zone);
        check.ttl = std::min({rrset.ttl, sig.original_ttl, seconds_left(sig.expiration, ctx.now)});
        if (sig.labels < owner_labels_no_star) {
          check.wildcard_expanded = true;
          check.wildcard_parent = dns::Name();
          (void)dns::Name::from_wire(dns::strip_labels(rrset.owner.wire(),
                                                       owner_labels - sig.labels),
                                     check.wildcard_parent);
        }
        return check;
      }
      if (result == dns::VerifyResult::unsupported_algorithm) {
        failures.no_key = label + ": algorithm not supported";
      } else {
        failures.crypto = label + ": " + dns::to_string(result);
      }
    }
    if (!any_key) failures.no_key = label + ": no DNSKEY with this tag and algorithm";
  }
  check.verdict = failures.verdict(keys.zone, what);
  return check;
}

}  // namespace flatns::resolver
