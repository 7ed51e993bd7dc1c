// The signature examples of RFC 5702 (RSA/SHA-256, RSA/SHA-512), RFC 6605
// (ECDSA P-256, P-384) and RFC 8080 (Ed25519, Ed448) from
// tests/data/corpus/rfc, each RRSIG checked through verify_rrset with the
// example's DNSKEYs: secure inside the window, bogus with the right reason
// when a signature bit flips or the clock leaves the window. The DNSKEY
// examples as trust anchors give the examples' own DS records.
#include <catch2/catch.hpp>

#include "dns/dnssec.h"
#include "resolver-client/validator.h"
#include "validator_test_util.h"

using namespace flatns;
using namespace flatns::resolver;

namespace {

struct FileCase {
  const char* file;
  int rrsigs;
};

// Verifies every RRSIG of the file on its own; returns how many were checked.
int check_file(const std::string& file) {
  const auto records =
      testutil::parse_zone_file(std::string(FLATNS_CORPUS_DIR) + "/rfc/" + file, dns::Name::root());
  const auto sets = group_rrsets(records);
  int checked = 0;
  for (const auto& set : sets) {
    if (set.type == dns::rrtype::DNSKEY || set.rrsigs.empty()) continue;
    for (const auto& sig_rdata : set.rrsigs) {
      dns::RrsigRdata sig;
      REQUIRE(dns::parse_rrsig(sig_rdata, sig));
      dns::Name signer;
      REQUIRE(dns::Name::from_wire(sig.signer, signer));
      const SignedRrset* dnskeys = find_rrset(sets, signer, dns::rrtype::DNSKEY);
      REQUIRE(dnskeys != nullptr);
      ZoneKeys keys;
      keys.zone = signer;
      keys.verdict = Verdict::secure(signer);
      keys.dnskeys = dnskeys->rdatas;

      SignedRrset one = set;
      one.rrsigs = {sig_rdata};
      const int64_t inside = (int64_t{sig.inception} + int64_t{sig.expiration}) / 2;
      ValidationBudget budget;
      ValidationContext ctx{inside, budget};
      INFO(file << ": RRSIG " << dns::type_to_text(sig.type_covered) << " alg "
                << int(sig.algorithm) << " tag " << sig.key_tag);
      const auto ok = verify_rrset(one, keys, ctx);
      INFO(ok.verdict.to_text());
      CHECK(ok.verdict.is_secure());
      CHECK(ok.ttl == 3600);

      SignedRrset flipped = one;
      flipped.rrsigs[0][flipped.rrsigs[0].size() - 5] ^= 0x10;
      CHECK(verify_rrset(flipped, keys, ctx).verdict.reason == BogusReason::CryptoFailure);

      ValidationContext late{int64_t{sig.expiration} + 1, budget};
      CHECK(verify_rrset(one, keys, late).verdict.reason == BogusReason::SignatureExpired);

      ZoneKeys other = keys;
      std::erase_if(other.dnskeys,
                    [&](const std::vector<uint8_t>& k) { return dns::key_tag(k) == sig.key_tag; });
      CHECK(verify_rrset(one, other, ctx).verdict.reason == BogusReason::NoMatchingKey);
      ++checked;
    }
  }
  return checked;
}

}  // namespace

TEST_CASE("validator rfc vectors: every example RRSIG validates, and tampering is caught") {
  const FileCase cases[] = {
      {"rfc5702-rsasha2-examples.txt", 2},
      {"rfc6605-ecdsa-examples.txt", 2},
      {"rfc8080-eddsa-examples.txt", 4},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    CHECK(check_file(c.file) == c.rrsigs);
  }
}

TEST_CASE("validator rfc vectors: DNSKEY anchors give the examples' SHA-256 DS records") {
  for (const char* file : {"rfc6605-ecdsa-examples.txt", "rfc8080-eddsa-examples.txt"}) {
    const auto records = testutil::parse_zone_file(std::string(FLATNS_CORPUS_DIR) + "/rfc/" + file,
                                                   dns::Name::root());
    int compared = 0;
    for (const auto& key : records) {
      if (key.type != dns::rrtype::DNSKEY) continue;
      const std::string text = key.owner.to_text() + " IN DNSKEY " +
                               dns::rdata_to_text(dns::rrtype::DNSKEY, key.rdata);
      TrustAnchors anchors;
      std::string error;
      REQUIRE(anchors.add_text(text, file, error));
      const auto& anchor_ds = anchors.find(key.owner)->ds.front();
      for (const auto& ds : records) {
        if (ds.type != dns::rrtype::DS || ds.rdata[3] != dns::ds_digest_type::SHA256 ||
            (ds.rdata[0] << 8 | ds.rdata[1]) != dns::key_tag(key.rdata)) {
          continue;
        }
        CHECK(ds.rdata == anchor_ds);
        ++compared;
      }
    }
    INFO(file);
    CHECK(compared >= 1);
  }
}
