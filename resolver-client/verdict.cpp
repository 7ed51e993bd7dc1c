#include "resolver-client/verdict.h"

#include <utility>

#include "dns/ede.h"

namespace flatns::resolver {

const char* to_string(Security s) {
  switch (s) {
    case Security::Secure: return "secure";
    case Security::Insecure: return "insecure";
    case Security::Bogus: return "bogus";
    case Security::Indeterminate: return "indeterminate";
  }
  return "indeterminate";
}

const char* to_string(BogusReason r) {
  switch (r) {
    case BogusReason::None: return "none";
    case BogusReason::SignatureExpired: return "signature expired";
    case BogusReason::SignatureNotYetValid: return "signature not yet valid";
    case BogusReason::NoMatchingKey: return "no matching DNSKEY";
    case BogusReason::CryptoFailure: return "signature does not verify";
    case BogusReason::MissingRrsig: return "missing RRSIG";
    case BogusReason::MissingDenial: return "missing NSEC/NSEC3 proof";
    case BogusReason::BadDenial: return "bad NSEC/NSEC3 proof";
    case BogusReason::DsDnskeyMismatch: return "no DNSKEY matches the DS";
    case BogusReason::NoDnskey: return "no DNSKEY";
    case BogusReason::TooMuchWork: return "validation work limit reached";
    case BogusReason::Malformed: return "malformed DNSSEC records";
  }
  return "unknown";
}

const char* to_string(InsecureReason r) {
  switch (r) {
    case InsecureReason::None: return "none";
    case InsecureReason::NoTrustAnchor: return "no trust anchor";
    case InsecureReason::UnsignedDelegation: return "unsigned delegation";
    case InsecureReason::OptOut: return "NSEC3 opt-out";
    case InsecureReason::UnsupportedAlgorithm: return "unsupported DNSKEY algorithm";
    case InsecureReason::UnsupportedDigest: return "unsupported DS digest type";
    case InsecureReason::Nsec3IterationsTooHigh: return "NSEC3 iterations above limit";
    case InsecureReason::UnknownNsec3Hash: return "unknown NSEC3 hash algorithm";
    case InsecureReason::NotValidated: return "not validated";
    case InsecureReason::NegativeTrustAnchor: return "negative trust anchor";
  }
  return "unknown";
}

Verdict Verdict::secure(const dns::Name& zone) {
  Verdict v;
  v.security = Security::Secure;
  v.zone = zone;
  return v;
}

Verdict Verdict::insecure(const dns::Name& zone, InsecureReason why, std::string detail) {
  Verdict v;
  v.security = Security::Insecure;
  v.insecure_reason = why;
  v.zone = zone;
  v.detail = std::move(detail);
  return v;
}

Verdict Verdict::bogus(const dns::Name& zone, BogusReason why, std::string detail) {
  Verdict v;
  v.security = Security::Bogus;
  v.reason = why;
  v.zone = zone;
  v.detail = std::move(detail);
  return v;
}

Verdict Verdict::indeterminate(std::string detail) {
  Verdict v;
  v.security = Security::Indeterminate;
  v.detail = std::move(detail);
  return v;
}

std::optional<uint16_t> Verdict::ede_code() const {
  switch (security) {
    case Security::Secure: return std::nullopt;
    case Security::Indeterminate: return dns::ede::DnssecIndeterminate;
    case Security::Insecure:
      switch (insecure_reason) {
        case InsecureReason::UnsupportedAlgorithm: return dns::ede::UnsupportedDnskeyAlgorithm;
        case InsecureReason::UnsupportedDigest: return dns::ede::UnsupportedDsDigestType;
        case InsecureReason::Nsec3IterationsTooHigh:
          return dns::ede::UnsupportedNsec3IterationsValue;
        default: return std::nullopt;
      }
    case Security::Bogus:
      switch (reason) {
        case BogusReason::SignatureExpired: return dns::ede::SignatureExpired;
        case BogusReason::SignatureNotYetValid: return dns::ede::SignatureNotYetValid;
        case BogusReason::NoMatchingKey:
        case BogusReason::DsDnskeyMismatch:
        case BogusReason::NoDnskey: return dns::ede::DnskeyMissing;
        case BogusReason::MissingRrsig: return dns::ede::RrsigsMissing;
        case BogusReason::MissingDenial: return dns::ede::NsecMissing;
        default: return dns::ede::DnssecBogus;
      }
  }
  return std::nullopt;
}

std::string Verdict::to_text() const {
  std::string out = to_string(security);
  if (security == Security::Bogus) {
    out += ": ";
    out += to_string(reason);
  } else if (security == Security::Insecure && insecure_reason != InsecureReason::None) {
    out += ": ";
    out += to_string(insecure_reason);
  }
  if (security != Security::Secure || !server.empty()) {
    out += " (zone " + zone.to_text();
    if (!server.empty()) {
      out += (server.find(", ") == std::string::npos ? ", server " : ", servers ") + server;
    }
    out += ")";
  }
  if (!detail.empty()) out += ": " + detail;
  return out;
}

namespace {
int strength(Security s) {
  switch (s) {
    case Security::Secure: return 0;
    case Security::Insecure: return 1;
    case Security::Indeterminate: return 2;
    case Security::Bogus: return 3;
  }
  return 2;
}
}  // namespace

Verdict combine(const Verdict& a, const Verdict& b) {
  return strength(b.security) > strength(a.security) ? b : a;
}

}  // namespace flatns::resolver
