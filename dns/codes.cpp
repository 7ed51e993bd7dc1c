#include <array>
#include <string_view>

#include "dns/ede.h"
#include "dns/rcode.h"

namespace flatns::dns {

namespace {

// Indexed by code; empty where the registry assigns nothing.
constexpr std::array<std::string_view, 24> kRcodeNames = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI", "", "", "", "",
    "BADVERS", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE"};

constexpr std::array<std::string_view, 31> kEdeTexts = {
    "Other Error",
    "Unsupported DNSKEY Algorithm",
    "Unsupported DS Digest Type",
    "Stale Answer",
    "Forged Answer",
    "DNSSEC Indeterminate",
    "DNSSEC Bogus",
    "Signature Expired",
    "Signature Not Yet Valid",
    "DNSKEY Missing",
    "RRSIGs Missing",
    "No Zone Key Bit Set",
    "NSEC Missing",
    "Cached Error",
    "Not Ready",
    "Blocked",
    "Censored",
    "Filtered",
    "Prohibited",
    "Stale NXDomain Answer",
    "Not Authoritative",
    "Not Supported",
    "No Reachable Authority",
    "Network Error",
    "Invalid Data",
    "Signature Expired before Valid",
    "Too Early",
    "Unsupported NSEC3 Iterations Value",
    "Unable to conform to policy",
    "Synthesized",
    "Invalid Query Type",
};

}  // namespace

std::string rcode_to_text(uint16_t rcode) {
  if (rcode < kRcodeNames.size() && !kRcodeNames[rcode].empty()) {
    return std::string(kRcodeNames[rcode]);
  }
  return "rcode " + std::to_string(rcode);
}

std::string_view ede_to_text(uint16_t code) {
  return code < kEdeTexts.size() ? kEdeTexts[code] : std::string_view();
}

}  // namespace flatns::dns
