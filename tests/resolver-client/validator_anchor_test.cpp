// Trust anchors: the built-in IANA root anchors cross-checked against the
// root zone's own DNSKEYs, and anchor files in zone-file syntax.
#include <catch2/catch.hpp>

#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "resolver-client/val_anchor.h"
#include "validator_test_util.h"

using namespace flatns;
using namespace flatns::resolver;

namespace {

// The root KSKs (flags 257) of a zone file, read line by line.
std::vector<dns::ResourceRecord> root_ksks(const std::string& path) {
  std::istringstream in(testutil::read_text(path));
  std::string line, text;
  while (std::getline(in, line)) {
    if (line.rfind(".\t", 0) == 0 && line.find("DNSKEY\t257 ") != std::string::npos) {
      text += line + "\n";
    }
  }
  return testutil::parse_zone_text(text, dns::Name::root());
}

// The anchor DS (owner root) with this key tag, as "tag alg type HEX".
std::string anchor_ds_text(const TrustAnchors& anchors, uint16_t tag) {
  const DsSet* root = anchors.find(dns::Name::root());
  REQUIRE(root != nullptr);
  for (const auto& ds : root->ds) {
    dns::DsRdata d;
    REQUIRE(dns::parse_ds(ds, d));
    if (d.key_tag == tag) {
      return std::to_string(d.key_tag) + " " + std::to_string(d.algorithm) + " " +
             std::to_string(d.digest_type) + " " + dns::hex_encode(d.digest);
    }
  }
  return "none";
}

std::string computed_ds_text(const dns::ResourceRecord& key) {
  dns::Digest digest;
  REQUIRE(dns::ds_digest(key.owner.wire(), key.rdata, dns::ds_digest_type::SHA256, digest));
  dns::DnskeyRdata k;
  REQUIRE(dns::parse_dnskey(key.rdata, k));
  return std::to_string(dns::key_tag(key.rdata)) + " " + std::to_string(k.algorithm) + " 2 " +
         dns::hex_encode(digest.view());
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TEST_CASE("validator anchors: built-in root DS records match the root zones' KSKs") {
  const auto anchors = TrustAnchors::builtin();
  REQUIRE(anchors.anchors().size() == 1);
  CHECK(anchors.anchors()[0].ds.size() == 2);

  // KSK-2017 from the signed 2023 root zone.
  const auto ksk2017 = root_ksks(std::string(FLATNS_CORPUS_DIR) + "/root.zone");
  REQUIRE(ksk2017.size() == 1);
  CHECK(dns::key_tag(ksk2017[0].rdata) == 20326);
  CHECK(upper(computed_ds_text(ksk2017[0])) == upper(anchor_ds_text(anchors, 20326)));
  CHECK(upper(anchor_ds_text(anchors, 20326)) ==
        "20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D");

  // KSK-2024 from the 2026 root zone (which also still has KSK-2017).
  const auto ksks2026 =
      root_ksks(std::string(FLATNS_CORPUS_DIR) + "/root.zone.2026082201-nosigs");
  REQUIRE(ksks2026.size() == 2);
  int checked = 0;
  for (const auto& k : ksks2026) {
    const uint16_t tag = dns::key_tag(k.rdata);
    CHECK((tag == 20326 || tag == 38696));
    CHECK(upper(computed_ds_text(k)) == upper(anchor_ds_text(anchors, tag)));
    ++checked;
  }
  CHECK(checked == 2);
}

TEST_CASE("validator anchors: a DNSKEY anchor file across lines becomes the same DS") {
  TrustAnchors anchors;
  std::string error;
  REQUIRE(anchors.load_file(std::string(FLATNS_TEST_DATA_DIR) + "/resolver/root-ksk-2017.dnskey",
                            error));
  CHECK(upper(anchor_ds_text(anchors, 20326)) ==
        upper(anchor_ds_text(TrustAnchors::builtin(), 20326)));
}

TEST_CASE("validator anchors: closest anchor and errors with file:line") {
  TrustAnchors anchors;
  std::string error;
  REQUIRE(anchors.add_text(
      "; two zones\n"
      "example. 3600 IN DS 60485 5 1 ( 2BB183AF5F22588179A53B0A\n"
      "                               98631FAD1A292118 )\n"
      "test. IN DS 1 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n",
      "inline", error));
  CHECK(anchors.anchors().size() == 2);
  CHECK(anchors.closest(dns::Name::parse("www.example.")) ==
        anchors.find(dns::Name::parse("example.")));
  CHECK(anchors.closest(dns::Name::parse("example.")) != nullptr);
  CHECK(anchors.closest(dns::Name::parse("org.")) == nullptr);

  TrustAnchors bad;
  CHECK_FALSE(bad.load_file(std::string(FLATNS_TEST_DATA_DIR) + "/resolver/bad-anchor.txt", error));
  CHECK(error.find("bad-anchor.txt:3: trust anchors must be DS or DNSKEY records") !=
        std::string::npos);
  CHECK(bad.empty());
  CHECK_FALSE(bad.add_text(". IN DS 20326 8 2 XYZ\n", "inline", error));
  CHECK(error.rfind("inline:1: DS .:", 0) == 0);
  CHECK_FALSE(bad.add_text(". IN DS ( 20326 8 2\n", "inline", error));
  CHECK(error == "inline:1: '(' not closed");
  CHECK_FALSE(bad.load_file("/nonexistent/anchors", error));
  CHECK(error == "/nonexistent/anchors: cannot open trust anchor file");
}
