// Fuzzes the resolver client's response processing: a fuzzed upstream answer
// is parsed with dns::parse_message and handed to the validator
// (resolver::validate_response: classification, RRSIG checks, CNAME/DNAME
// chains, wildcard and NSEC/NSEC3 denial proofs; validate_dnskey_response for
// DNSKEY answers) against fixed keys: the NSEC3-signed zone signed.example.
// and the NSEC-signed zone nsec.example. of fuzz/zones (their DNSKEY RRsets
// validated at start-up from the committed DS records), and an insecure key
// set. The clock is fixed inside the signatures' validity window.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "dns/message_parser.h"
#include "dns/rrtype.h"
#include "resolver-client/val_anchor.h"
#include "resolver-client/validator.h"
#include "zones/zone_file.h"

using namespace flatns;

namespace {

constexpr int64_t kNow = 1767225600;  // 2026-01-01; signatures run 2024-01-01 .. 2090-01-01

struct FixedZone {
  dns::Name origin;
  resolver::DsSet ds;
  resolver::ZoneKeys keys;
};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_validator: %s\n", what.c_str());
  std::abort();
}

FixedZone load_fixed_zone(const char* origin_text) {
  FixedZone z;
  z.origin = dns::Name::parse(origin_text);
  const std::string base = std::string(FLATNS_FUZZ_DIR "/zones/") + origin_text;
  resolver::TrustAnchors anchors;
  std::string error;
  if (!anchors.load_file(base + "ds", error)) fail(error);
  const resolver::DsSet* ds = anchors.find(z.origin);
  if (ds == nullptr) fail("no DS for " + z.origin.to_text());
  z.ds = *ds;

  zones::ZoneFileOptions options;
  options.origin = z.origin;
  std::vector<zones::ZoneFileError> errors;
  dns::Message dnskey_response;
  const bool ok = zones::scan_zone_file(
      base + "zone", options,
      [&](zones::ParsedRecord&& rr) {
        const bool dnskey = rr.type == dns::rrtype::DNSKEY;
        const bool dnskey_sig = rr.type == dns::rrtype::RRSIG && rr.rdata.size() >= 2 &&
                                (rr.rdata[0] << 8 | rr.rdata[1]) == dns::rrtype::DNSKEY;
        if (rr.owner == z.origin && (dnskey || dnskey_sig)) {
          dnskey_response.answer.push_back({rr.owner, rr.type, rr.rclass, rr.ttl, rr.rdata});
        }
      },
      errors);
  if (!ok) fail(errors.front().to_string());
  resolver::ValidationBudget budget;
  resolver::ValidationContext ctx{kNow, budget};
  z.keys = resolver::validate_dnskey_response(dnskey_response, z.ds, ctx);
  if (!z.keys.verdict.is_secure()) fail("fixed keys do not validate: " + z.keys.verdict.to_text());
  return z;
}

void validate(const dns::Message& m, const dns::Name& qname, uint16_t qtype,
              const resolver::ZoneKeys& keys) {
  resolver::ValidationBudget budget;
  resolver::ValidationContext ctx{kNow, budget};
  const auto r = resolver::validate_response(m, qname, qtype, keys, ctx);
  if (budget.verifications > budget.max_verifications) fail("verification budget overrun");
  if (r.verdict.is_secure() && !keys.verdict.is_secure()) fail("secure verdict from insecure keys");
  (void)r.verdict.to_text();
  (void)r.verdict.ede_code();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const FixedZone nsec3_zone = load_fixed_zone("signed.example.");
  static const FixedZone nsec_zone = load_fixed_zone("nsec.example.");

  dns::Message m;
  std::string error;
  if (!dns::parse_message(std::span<const uint8_t>(data, size), m, error)) return 0;
  const dns::Name qname = m.has_question ? m.qname : nsec3_zone.origin;
  const uint16_t qtype = m.has_question ? m.qtype : dns::rrtype::A;
  const FixedZone& zone = qname.is_subdomain_of(nsec_zone.origin) ? nsec_zone : nsec3_zone;

  validate(m, qname, qtype, zone.keys);
  validate(m, qname, qtype,
           resolver::insecure_keys(zone.origin, resolver::InsecureReason::UnsignedDelegation));
  if (qtype == dns::rrtype::DNSKEY && qname == zone.origin) {
    resolver::ValidationBudget budget;
    resolver::ValidationContext ctx{kNow, budget};
    const auto keys = resolver::validate_dnskey_response(m, zone.ds, ctx);
    if (budget.verifications > budget.max_verifications) fail("verification budget overrun");
    if (keys.verdict.is_secure() && keys.dnskeys.empty()) fail("secure key set without keys");
  }
  return 0;
}
