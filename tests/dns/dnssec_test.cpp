// DNSSEC primitives against outside vectors: RFC 4034 / 5155 / 5702 / 6605 /
// 8080 examples and the signed IANA root zone of 2023-04-20 (see
// tests/data/SOURCES.md for where each file comes from).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"

using namespace flatns::dns;

namespace {

using Bytes = std::span<const uint8_t>;

struct Record {
  Name owner;
  uint16_t type = 0;
  std::vector<uint8_t> rdata;
};

// Reads the corpus files, which use RFC 1035 master-file syntax: ';'
// comments, records continued inside parentheses, a blank owner repeating
// the previous one, TTL and class optional, names absolute, quoted strings
// without spaces. Only that much:
// the zone-file parser proper lives in zones/. RDATA goes through
// dns::rdata_from_text.
std::vector<Record> read_records(const std::string& path) {
  std::ifstream in(path);
  INFO(path);
  REQUIRE(in);
  std::vector<Record> out;
  std::string line, logical;
  int depth = 0, lineno = 0, first_line = 0;
  bool inherit_owner = false;
  Name owner;
  while (std::getline(in, line)) {
    ++lineno;
    if (auto semi = line.find(';'); semi != std::string::npos) line.resize(semi);
    if (depth == 0) {
      logical.clear();
      first_line = lineno;
      inherit_owner = !line.empty() && std::isspace(static_cast<unsigned char>(line[0]));
    }
    for (char& c : line) {
      if (c == '(') ++depth, c = ' ';
      if (c == ')') --depth, c = ' ';
    }
    logical += line;
    logical += ' ';
    if (depth > 0) continue;

    std::istringstream words(logical);
    std::vector<std::string> fields;
    for (std::string w; words >> w;) fields.push_back(w);
    if (fields.empty()) continue;
    INFO(path << ":" << first_line);
    std::size_t i = 0;
    if (!inherit_owner) owner = Name::parse(fields[i++]);
    if (i < fields.size() && std::isdigit(static_cast<unsigned char>(fields[i][0]))) ++i;  // TTL
    if (i < fields.size() && fields[i] == "IN") ++i;
    REQUIRE(i < fields.size());
    Record rec{owner, 0, {}};
    REQUIRE(type_from_text(fields[i++], rec.type));
    std::vector<TextToken> tokens;
    for (; i < fields.size(); ++i) {
      // Quoted strings in these files hold no spaces ("KLH-10").
      const std::string_view f = fields[i];
      const bool quoted = f.size() >= 2 && f.front() == '"' && f.back() == '"';
      tokens.push_back({quoted ? f.substr(1, f.size() - 2) : f, quoted});
    }
    std::string error;
    const bool parsed = rdata_from_text(rec.type, tokens, Name::root(), rec.rdata, error);
    INFO(error);
    REQUIRE(parsed);
    out.push_back(std::move(rec));
  }
  return out;
}

std::string rfc_file(const char* name) {
  return std::string(FLATNS_CORPUS_DIR) + "/rfc/" + name;
}

const std::vector<Record>& root_zone() {
  static const std::vector<Record> records =
      read_records(std::string(FLATNS_CORPUS_DIR) + "/root.zone");
  return records;
}

std::vector<const Record*> find(const std::vector<Record>& records, const Name& owner,
                                uint16_t type) {
  std::vector<const Record*> out;
  for (const auto& r : records) {
    if (r.type == type && r.owner == owner) out.push_back(&r);
  }
  return out;
}

std::vector<Bytes> rdatas_of(const std::vector<const Record*>& records) {
  std::vector<Bytes> out;
  for (const Record* r : records) out.push_back(r->rdata);
  return out;
}

RrsigRdata rrsig_fields(const Record& sig) {
  RrsigRdata f;
  REQUIRE(parse_rrsig(sig.rdata, f));
  return f;
}

// The DNSKEY in `records` the RRSIG names (tag and algorithm), or null.
const Record* signing_key(const std::vector<Record>& records, const Record& sig) {
  const RrsigRdata f = rrsig_fields(sig);
  for (const auto& r : records) {
    DnskeyRdata k;
    if (r.type == rrtype::DNSKEY && parse_dnskey(r.rdata, k) && k.algorithm == f.algorithm &&
        key_tag(r.rdata) == f.key_tag) {
      return &r;
    }
  }
  return nullptr;
}

VerifyResult verify_with(const Name& owner, uint16_t type, std::span<const Bytes> rdatas,
                         const Record& sig, const Record& key) {
  const RrsetRef rrset{owner.wire(), type, rrclass::IN, rdatas};
  return verify_rrsig(rrset, sig.rdata, key.owner.wire(), key.rdata);
}

// Verifies every RRSIG in a vector file over the records of its owner and
// covered type, with the DNSKEY it names; then checks that a flipped bit in
// the signature or in the signed RDATA makes it fail. Returns how many.
int verify_every_rrsig(const std::vector<Record>& records) {
  int verified = 0;
  for (const auto& sig : records) {
    if (sig.type != rrtype::RRSIG) continue;
    const RrsigRdata f = rrsig_fields(sig);
    const Record* key_record = signing_key(records, sig);
    INFO("RRSIG key tag " << f.key_tag);
    REQUIRE(key_record);
    const Record& key = *key_record;
    const auto covered = find(records, sig.owner, f.type_covered);
    REQUIRE_FALSE(covered.empty());
    const std::vector<Bytes> rdatas = rdatas_of(covered);
    INFO("RRSIG " << sig.owner.to_text() << " " << type_to_text(f.type_covered) << " alg "
                  << int(f.algorithm) << " tag " << f.key_tag);
    CHECK(verify_with(sig.owner, f.type_covered, rdatas, sig, key) == VerifyResult::ok);

    Record bad_sig = sig;
    bad_sig.rdata[bad_sig.rdata.size() - 10] ^= 0x01;
    CHECK(verify_with(sig.owner, f.type_covered, rdatas, bad_sig, key) ==
          VerifyResult::bad_signature);

    std::vector<uint8_t> bad_data(covered[0]->rdata);
    bad_data.back() ^= 0x01;
    std::vector<Bytes> tampered = rdatas;
    tampered[0] = bad_data;
    CHECK(verify_with(sig.owner, f.type_covered, tampered, sig, key) ==
          VerifyResult::bad_signature);
    ++verified;
  }
  return verified;
}

int64_t unix_time(int year, int month, int day) {
  // Days from civil (proleptic Gregorian), H. Hinnant's algorithm.
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t yoe = year - era * 400;
  const int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (era * 146097 + doe - 719468) * 86400;
}

}  // namespace

TEST_CASE("key tag: RFC 4034 §2.3 and §5.4 example DNSKEYs", "[dnssec]") {
  const auto records = read_records(rfc_file("rfc4034-examples.txt"));
  const auto key23 = find(records, Name::parse("example.com."), rrtype::DNSKEY);
  const auto key54 = find(records, Name::parse("dskey.example.com."), rrtype::DNSKEY);
  REQUIRE(key23.size() == 1);
  REQUIRE(key54.size() == 1);
  CHECK(key_tag(key23[0]->rdata) == 2642);
  CHECK(key_tag(key54[0]->rdata) == 60485);
  // The §3.3 RRSIG names the §2.3 key by that tag.
  const auto sig = find(records, Name::parse("host.example.com."), rrtype::RRSIG);
  REQUIRE(sig.size() == 1);
  CHECK(rrsig_fields(*sig[0]).key_tag == 2642);
}

TEST_CASE("key tag: algorithm 1 takes octets of the modulus (RFC 4034 B.1)", "[dnssec]") {
  // Vectors of ldns test/12-unit-tests-dnssec.tpkg/12-unit-tests-dnssec.c
  // (github.com/NLnetLabs/ldns @ 0f69b451d8425b95fa9e7e6ea00fe0d25a738b0e, BSD-3-Clause).
  struct Vector {
    const char* key;
    uint16_t tag;
  };
  const Vector vectors[] = {
      {"256 3 5 AQOraLfzarHAlFskVGwAGnX0LRjlcOiO6y5WM4Kz+QvZ9vX28h4lOvnf "
       "d5tkxnZm7ERLTAJoFq+1w/wl7VXs2Isz75BSZ7LQh3OT2xXnS6VT5ZxX "
       "ko/UCOdoGiKZZ63jHZ0jNSTCYy8+5rfvwRD8s3gGuErp5KcHg3V8VLUK SDNNEQ==",
       42860},
      {"256 3 1 AQPIQ2SNclMqdHu8afxVdbIVR/20vlDp2ZcEK5xFxDKVTunuq8BLAPr4 "
       "FvnbBQ4AkNYchecNcmQvKi/jJ7xwWqyqMAU1l+d6mZUTF6sC0ug9WQ/Q "
       "zG93nOBVLwGbmGTTXhrE/pRhS/o16Ab20zsbcdAb7PChQXSgByJKvT8W "
       "XumJ3FdOLhwmqQAnFuMnZC71/HAc4WjA+2zG1SNXnbTnC8Q/4/Fg/ygh "
       "2GjT9Cj0hhFR+A2Hf+RXvkKsDwhdxWwJfW+IhAHUtwNKydsEvZM5UR2I "
       "PSytfzZ/fWKEx5BlxLZZNKzoeBtFHjHSeZU5Lb5DFnQJx5lcsd5MP2e8 +ppjVlg3",
       22104},
  };
  for (const auto& v : vectors) {
    std::istringstream words(v.key);
    std::vector<std::string> fields;
    for (std::string w; words >> w;) fields.push_back(w);
    std::vector<TextToken> tokens;
    for (const auto& f : fields) tokens.push_back({f, false});
    std::vector<uint8_t> rdata;
    std::string error;
    REQUIRE(rdata_from_text(rrtype::DNSKEY, tokens, Name::root(), rdata, error));
    CHECK(key_tag(rdata) == v.tag);
  }
}

TEST_CASE("DS digest: SHA-1, SHA-256 and SHA-384 examples match their DNSKEY", "[dnssec]") {
  // RFC 4034 §5.4 (SHA-1), RFC 6605 §6 (SHA-256, SHA-384), RFC 8080 §6 (SHA-256).
  int matched = 0;
  for (const char* file :
       {"rfc4034-examples.txt", "rfc6605-ecdsa-examples.txt", "rfc8080-eddsa-examples.txt"}) {
    const auto records = read_records(rfc_file(file));
    for (std::size_t i = 0; i < records.size(); ++i) {
      if (records[i].type != rrtype::DS) continue;
      // Each DS follows the DNSKEY it was made from.
      REQUIRE(i > 0);
      const Record& key = records[i - 1];
      REQUIRE(key.type == rrtype::DNSKEY);
      INFO(file << ": DS of " << key.owner.to_text() << " tag " << key_tag(key.rdata));
      CHECK(ds_matches_dnskey(key.owner.wire(), records[i].rdata, key.rdata) == DsMatch::match);
      DsRdata ds;
      REQUIRE(parse_ds(records[i].rdata, ds));
      Digest d;
      REQUIRE(ds_digest(key.owner.wire(), key.rdata, ds.digest_type, d));
      CHECK(hex_encode(d.view()) == hex_encode(ds.digest));
      ++matched;
    }
  }
  CHECK(matched == 5);
}

TEST_CASE("DS digest: root KSK 20326 gives the IANA root trust anchor", "[dnssec][root]") {
  const auto keys = find(root_zone(), Name::root(), rrtype::DNSKEY);
  const auto ksk = std::find_if(keys.begin(), keys.end(),
                                [](const Record* r) { return key_tag(r->rdata) == 20326; });
  REQUIRE(ksk != keys.end());
  Digest d;
  REQUIRE(ds_digest(Name::root().wire(), (*ksk)->rdata, ds_digest_type::SHA256, d));
  // https://data.iana.org/root-anchors/root-anchors.xml, KeyTag 20326.
  CHECK(hex_encode(d.view()) == "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D");
}

TEST_CASE("DS match: wrong digest, other key, unknown digest type, short RDATA", "[dnssec]") {
  const auto records = read_records(rfc_file("rfc8080-eddsa-examples.txt"));
  const auto keys = find(records, Name::parse("example.com."), rrtype::DNSKEY);
  const auto dss = find(records, Name::parse("example.com."), rrtype::DS);
  REQUIRE(keys.size() == 4);
  REQUIRE(dss.size() == 2);
  const Name owner = Name::parse("example.com.");
  const Bytes key1 = keys[0]->rdata, key2 = keys[1]->rdata;
  REQUIRE(ds_matches_dnskey(owner.wire(), dss[0]->rdata, key1) == DsMatch::match);

  CHECK(ds_matches_dnskey(owner.wire(), dss[0]->rdata, key2) == DsMatch::mismatch);
  CHECK(ds_matches_dnskey(Name::parse("example.net.").wire(), dss[0]->rdata, key1) ==
        DsMatch::mismatch);
  // Owner case does not matter (the digest is over the canonical name).
  CHECK(ds_matches_dnskey(Name::parse("EXAMPLE.Com.").wire(), dss[0]->rdata, key1) ==
        DsMatch::match);

  std::vector<uint8_t> ds(dss[0]->rdata);
  ds.back() ^= 0x80;
  CHECK(ds_matches_dnskey(owner.wire(), ds, key1) == DsMatch::mismatch);
  ds = dss[0]->rdata;
  ds[3] = ds_digest_type::GOST;
  CHECK(ds_matches_dnskey(owner.wire(), ds, key1) == DsMatch::unsupported_digest);
  CHECK(ds_matches_dnskey(owner.wire(), Bytes(dss[0]->rdata).first(3), key1) == DsMatch::malformed);
  Digest d;
  CHECK_FALSE(ds_digest(owner.wire(), key1, ds_digest_type::GOST, d));
}

TEST_CASE("NSEC3 hash: the 12 hashes of RFC 5155 Appendix A", "[dnssec][nsec3]") {
  std::ifstream in(rfc_file("rfc5155-nsec3-hashes.tsv"));
  REQUIRE(in);
  int checked = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string owner, salt_hex, expected;
    unsigned iterations = 0;
    REQUIRE(fields >> owner >> salt_hex >> iterations >> expected);
    std::vector<uint8_t> salt;
    REQUIRE(hex_decode(salt_hex, salt));
    INFO(owner);
    Nsec3Hash h;
    REQUIRE(nsec3_hash(Name::parse(owner).wire(), kNsec3HashSha1, salt,
                       static_cast<uint16_t>(iterations), h));
    std::string text = base32hex_encode(h);
    std::transform(text.begin(), text.end(), text.begin(), ::tolower);
    CHECK(text == expected);
    // Hashing is over the canonical (lowercased) name.
    std::string upper = owner;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    Nsec3Hash hu;
    REQUIRE(nsec3_hash(Name::parse(upper).wire(), kNsec3HashSha1, salt,
                       static_cast<uint16_t>(iterations), hu));
    CHECK(hu == h);
    // The hashed owner name in zone "example." (RFC 5155 Appendix A names).
    NameBuffer hashed;
    REQUIRE(nsec3_hashed_owner(Name::parse(owner).wire(), Name::parse("example.").wire(),
                               kNsec3HashSha1, salt, static_cast<uint16_t>(iterations), hashed));
    CHECK(name_to_text(hashed.view()) == expected + ".example.");
    ++checked;
  }
  CHECK(checked == 12);

  Nsec3Hash h;
  const uint8_t salt[] = {0xaa, 0xbb, 0xcc, 0xdd};
  CHECK_FALSE(nsec3_hash(Name::parse("example.").wire(), 2, salt, 12, h));
  const uint8_t truncated[] = {7, 'e', 'x', 'a'};
  CHECK_FALSE(nsec3_hash(truncated, kNsec3HashSha1, salt, 12, h));
}

TEST_CASE("RRSIG verify: RFC 5702 RSA/SHA-256 and RSA/SHA-512", "[dnssec][verify]") {
  CHECK(verify_every_rrsig(read_records(rfc_file("rfc5702-rsasha2-examples.txt"))) == 2);
}

TEST_CASE("RRSIG verify: RFC 6605 ECDSA P-256 and P-384", "[dnssec][verify]") {
  // Both examples sign "www.example.net. A 192.0.2.1", so the RRset read from
  // the file holds that record twice: the duplicate must be dropped (§6.3).
  CHECK(verify_every_rrsig(read_records(rfc_file("rfc6605-ecdsa-examples.txt"))) == 2);
}

TEST_CASE("RRSIG verify: DSA (RFC 2536) signatures of Unbound's test zone", "[dnssec][verify]") {
  // Unbound's scenarios sign with DSA; the replay suite needs it verified.
  CHECK(verify_every_rrsig(read_records(std::string(FLATNS_TEST_DATA_DIR) +
                                        "/unbound/dsa_example_com.txt")) == 3);
}

TEST_CASE("RRSIG verify: RFC 8080 Ed25519 and Ed448", "[dnssec][verify]") {
  CHECK(verify_every_rrsig(read_records(rfc_file("rfc8080-eddsa-examples.txt"))) == 4);
}

TEST_CASE("RRSIG verify: root DNSKEY RRset with KSK 20326, TLD DS RRsets with ZSK 60955",
          "[dnssec][verify][root]") {
  const auto& zone = root_zone();
  const Name root = Name::root();
  const auto keys = find(zone, root, rrtype::DNSKEY);
  REQUIRE(keys.size() == 2);
  const Record* ksk = nullptr;
  const Record* zsk = nullptr;
  for (const Record* k : keys) (key_tag(k->rdata) == 20326 ? ksk : zsk) = k;
  REQUIRE(ksk);
  REQUIRE(zsk);
  REQUIRE(key_tag(zsk->rdata) == 60955);
  const std::vector<Bytes> dnskeys = rdatas_of(keys);

  const Record* dnskey_sig = nullptr;
  for (const Record* s : find(zone, root, rrtype::RRSIG)) {
    if (rrsig_fields(*s).type_covered == rrtype::DNSKEY) dnskey_sig = s;
  }
  REQUIRE(dnskey_sig);
  CHECK(verify_with(root, rrtype::DNSKEY, dnskeys, *dnskey_sig, *ksk) == VerifyResult::ok);
  // The ZSK did not make that signature.
  CHECK(verify_with(root, rrtype::DNSKEY, dnskeys, *dnskey_sig, *zsk) ==
        VerifyResult::key_mismatch);
  // RRset given in another order, twice over: same signed data.
  std::vector<Bytes> shuffled(dnskeys.rbegin(), dnskeys.rend());
  shuffled.insert(shuffled.end(), dnskeys.begin(), dnskeys.end());
  CHECK(verify_with(root, rrtype::DNSKEY, shuffled, *dnskey_sig, *ksk) == VerifyResult::ok);

  // The crypto does not depend on the date, the window does: signed
  // 20230411000000..20230502000000.
  const RrsigRdata f = rrsig_fields(*dnskey_sig);
  CHECK(signature_time(f, unix_time(2023, 4, 21)) == SignatureTime::valid);
  CHECK(signature_time(f, unix_time(2023, 4, 10)) == SignatureTime::not_yet_valid);
  CHECK(signature_time(f, static_cast<int64_t>(std::time(nullptr))) == SignatureTime::expired);

  int verified = 0;
  for (const char* tld : {"se.", "com.", "nl.", "org.", "uk.", "xn--p1ai."}) {
    const Name owner = Name::parse(tld);
    const auto ds = find(zone, owner, rrtype::DS);
    INFO(tld);
    REQUIRE_FALSE(ds.empty());
    const Record* sig = nullptr;
    for (const Record* s : find(zone, owner, rrtype::RRSIG)) {
      if (rrsig_fields(*s).type_covered == rrtype::DS) sig = s;
    }
    REQUIRE(sig);
    const std::vector<Bytes> rdatas = rdatas_of(ds);
    CHECK(verify_with(owner, rrtype::DS, rdatas, *sig, *zsk) == VerifyResult::ok);
    // Owner case does not change the canonical form.
    std::string upper = tld;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    CHECK(verify_with(Name::parse(upper), rrtype::DS, rdatas, *sig, *zsk) == VerifyResult::ok);
    // A DS RRset missing one record does not verify.
    if (rdatas.size() > 1) {
      const std::vector<Bytes> partial(rdatas.begin() + 1, rdatas.end());
      CHECK(verify_with(owner, rrtype::DS, partial, *sig, *zsk) == VerifyResult::bad_signature);
    }
    CHECK(signature_time(rrsig_fields(*sig), unix_time(2023, 4, 21)) == SignatureTime::valid);
    ++verified;
  }
  CHECK(verified == 6);
}

TEST_CASE("RRSIG verify: all 2,849 RRSIGs of the 2023-04-20 root zone", "[dnssec][verify][root]") {
  // ldns-verify-zone verifies every one of them (SOURCES.md); so must we,
  // over SOA, NS, DS, NSEC and DNSKEY RRsets in canonical form.
  const auto& zone = root_zone();
  std::map<std::pair<std::string, uint16_t>, std::vector<Bytes>> rrsets;
  std::vector<const Record*> sigs;
  for (const auto& r : zone) {
    if (r.type == rrtype::RRSIG) {
      sigs.push_back(&r);
      continue;
    }
    rrsets[{r.owner.lowercased().to_text(), r.type}].push_back(r.rdata);
  }
  int verified = 0, failed = 0;
  for (const Record* sig : sigs) {
    const RrsigRdata f = rrsig_fields(*sig);
    const Record* key = signing_key(zone, *sig);
    const auto it = rrsets.find({sig->owner.lowercased().to_text(), f.type_covered});
    if (key == nullptr || it == rrsets.end() ||
        verify_with(sig->owner, f.type_covered, it->second, *sig, *key) != VerifyResult::ok) {
      if (++failed <= 5)
        FAIL_CHECK(sig->owner.to_text() << " RRSIG " << type_to_text(f.type_covered));
      continue;
    }
    ++verified;
  }
  CHECK(failed == 0);
  CHECK(verified == 2849);
}

TEST_CASE("RRSIG verify: root NS RRset, names in RDATA lowercased", "[dnssec][verify][root]") {
  const auto& zone = root_zone();
  const Name root = Name::root();
  const auto ns = find(zone, root, rrtype::NS);
  REQUIRE(ns.size() == 13);
  const Record* sig = nullptr;
  for (const Record* s : find(zone, root, rrtype::RRSIG)) {
    if (rrsig_fields(*s).type_covered == rrtype::NS) sig = s;
  }
  REQUIRE(sig);
  const Record* zsk = signing_key(zone, *sig);
  REQUIRE(zsk);
  // Uppercase every NS target: RFC 4034 §6.2 lowercases them before signing.
  std::vector<std::vector<uint8_t>> upper;
  for (const Record* r : ns) {
    std::vector<uint8_t> rd(r->rdata);
    for (auto& c : rd) c = static_cast<uint8_t>(std::toupper(c));
    upper.push_back(std::move(rd));
  }
  const std::vector<Bytes> rdatas(upper.rbegin(), upper.rend());
  CHECK(verify_with(root, rrtype::NS, rdatas, *sig, *zsk) == VerifyResult::ok);
}

TEST_CASE("RRSIG verify: wildcard answer rebuilt from the RRSIG label count",
          "[dnssec][verify][wildcard]") {
  // RFC 5155 Appendix A signs "*.w.example. MX 1 ai.example." with labels 2
  // (algorithm 7); Appendix B.4 answers a.z.w.example with that RRset.
  const auto zone = read_records(rfc_file("rfc5155-appendixA.zone"));
  const Name wildcard = Name::parse("*.w.example.");
  const auto mx = find(zone, wildcard, rrtype::MX);
  REQUIRE(mx.size() == 1);
  const Record* sig = nullptr;
  for (const Record* s : find(zone, wildcard, rrtype::RRSIG)) {
    if (rrsig_fields(*s).type_covered == rrtype::MX) sig = s;
  }
  REQUIRE(sig);
  REQUIRE(rrsig_fields(*sig).labels == 2);
  const Record* key = signing_key(zone, *sig);
  REQUIRE(key);
  const std::vector<Bytes> rdatas = rdatas_of(mx);

  CHECK(verify_with(wildcard, rrtype::MX, rdatas, *sig, *key) == VerifyResult::ok);
  CHECK(verify_with(Name::parse("a.z.w.example."), rrtype::MX, rdatas, *sig, *key) ==
        VerifyResult::ok);
  CHECK(verify_with(Name::parse("x.w.example."), rrtype::MX, rdatas, *sig, *key) ==
        VerifyResult::ok);
  // Fewer labels than the RRSIG claims: cannot be this RRset.
  CHECK(verify_with(Name::parse("example."), rrtype::MX, rdatas, *sig, *key) ==
        VerifyResult::rrsig_mismatch);
  // The zone's other signatures verify too (every algorithm 7 RRSIG).
  CHECK(verify_every_rrsig(zone) == 30);
}

TEST_CASE("RRSIG verify: RFC 4035 §5.3.1 field checks", "[dnssec][verify]") {
  const auto records = read_records(rfc_file("rfc6605-ecdsa-examples.txt"));
  const Name www = Name::parse("www.example.net.");
  const auto a = find(records, www, rrtype::A);
  const auto sigs = find(records, www, rrtype::RRSIG);
  REQUIRE(sigs.size() == 2);
  const Record& sig = *sigs[0];
  const Record* key = signing_key(records, sig);
  REQUIRE(key);
  const std::vector<Bytes> rdatas = rdatas_of(a);
  REQUIRE(verify_with(www, rrtype::A, rdatas, sig, *key) == VerifyResult::ok);

  // Type covered is A, not AAAA.
  CHECK(verify_with(www, rrtype::AAAA, rdatas, sig, *key) == VerifyResult::rrsig_mismatch);
  // Signer example.net. is not a zone above www.example.com.
  CHECK(verify_with(Name::parse("www.example.com."), rrtype::A, rdatas, sig, *key) ==
        VerifyResult::rrsig_mismatch);
  // Key owned by another name than the signer.
  Record moved = *key;
  moved.owner = Name::parse("example.com.");
  CHECK(verify_with(www, rrtype::A, rdatas, sig, moved) == VerifyResult::key_mismatch);
  // The P-384 key of the other example: different tag and algorithm.
  const Record* other = signing_key(records, *sigs[1]);
  REQUIRE(other);
  CHECK(verify_with(www, rrtype::A, rdatas, sig, *other) == VerifyResult::key_mismatch);
  // Zone flag cleared, RRSIG key tag edited to the changed tag so only the
  // flag differs: refused before any verification is tried.
  Record no_zone = *key;
  no_zone.rdata[0] &= static_cast<uint8_t>(~(kDnskeyFlagZone >> 8));
  Record retagged = sig;
  const uint16_t tag = key_tag(no_zone.rdata);
  retagged.rdata[16] = static_cast<uint8_t>(tag >> 8);
  retagged.rdata[17] = static_cast<uint8_t>(tag);
  CHECK(verify_with(www, rrtype::A, rdatas, retagged, no_zone) == VerifyResult::key_mismatch);
  // Truncated RRSIG RDATA.
  Record cut = sig;
  cut.rdata.resize(17);
  CHECK(verify_with(www, rrtype::A, rdatas, cut, *key) == VerifyResult::malformed_rrsig);
  CHECK(std::string(to_string(VerifyResult::key_mismatch)) == "DNSKEY does not match the RRSIG");
}

TEST_CASE("verify_signature: unsupported algorithms and undecodable keys", "[dnssec][verify]") {
  const auto records = read_records(rfc_file("rfc8080-eddsa-examples.txt"));
  const auto keys = find(records, Name::parse("example.com."), rrtype::DNSKEY);
  REQUIRE(keys.size() == 4);
  DnskeyRdata ed25519;
  REQUIRE(parse_dnskey(keys[0]->rdata, ed25519));
  REQUIRE(ed25519.algorithm == dnssec_alg::ED25519);
  const uint8_t data[] = {1, 2, 3};
  const std::vector<uint8_t> sig(64, 0);

  for (uint8_t alg : {dnssec_alg::RSAMD5, dnssec_alg::ECCGOST, uint8_t{253}, uint8_t{0}}) {
    INFO("algorithm " << int(alg));
    CHECK(verify_signature(alg, ed25519.public_key, data, sig) ==
          VerifyResult::unsupported_algorithm);
  }
  // DSA (RFC 2536) given an Ed25519 key: T | Q | P | G | Y does not fit.
  CHECK(verify_signature(dnssec_alg::DSA, ed25519.public_key, data, sig) == VerifyResult::bad_key);
  CHECK(verify_signature(dnssec_alg::DSA_NSEC3_SHA1, ed25519.public_key, data, sig) ==
        VerifyResult::bad_key);
  // Ed25519 key one octet short; Ed448 given an Ed25519 key.
  CHECK(verify_signature(dnssec_alg::ED25519, ed25519.public_key.first(31), data, sig) ==
        VerifyResult::bad_key);
  CHECK(verify_signature(dnssec_alg::ED448, ed25519.public_key, data, sig) ==
        VerifyResult::bad_key);
  // Right key, signature of the wrong length.
  CHECK(verify_signature(dnssec_alg::ED25519, ed25519.public_key, data,
                         std::vector<uint8_t>(63, 0)) == VerifyResult::bad_signature);
  CHECK(verify_signature(dnssec_alg::ED25519, ed25519.public_key, data, sig) ==
        VerifyResult::bad_signature);

  const auto ec = read_records(rfc_file("rfc6605-ecdsa-examples.txt"));
  const auto ec_keys = find(ec, Name::parse("example.net."), rrtype::DNSKEY);
  REQUIRE(ec_keys.size() == 2);
  DnskeyRdata p256;
  REQUIRE(parse_dnskey(ec_keys[0]->rdata, p256));
  REQUIRE(p256.algorithm == dnssec_alg::ECDSAP256SHA256);
  // A P-256 point with one coordinate changed is not on the curve.
  std::vector<uint8_t> off_curve(p256.public_key.begin(), p256.public_key.end());
  off_curve.back() ^= 0x01;
  CHECK(verify_signature(dnssec_alg::ECDSAP256SHA256, off_curve, data, sig) ==
        VerifyResult::bad_key);
  CHECK(verify_signature(dnssec_alg::ECDSAP384SHA384, p256.public_key, data,
                         std::vector<uint8_t>(96, 1)) == VerifyResult::bad_key);
  CHECK(verify_signature(dnssec_alg::ECDSAP256SHA256, p256.public_key, data,
                         std::vector<uint8_t>(63, 1)) == VerifyResult::bad_signature);

  const auto rsa = read_records(rfc_file("rfc5702-rsasha2-examples.txt"));
  const auto rsa_keys = find(rsa, Name::parse("example.net."), rrtype::DNSKEY);
  REQUIRE(rsa_keys.size() == 2);
  DnskeyRdata rsa256;
  REQUIRE(parse_dnskey(rsa_keys[0]->rdata, rsa256));
  // RFC 3110: exponent length running past the end, and an empty key.
  std::vector<uint8_t> long_exponent(rsa256.public_key.begin(), rsa256.public_key.end());
  long_exponent[0] = 0xFF;
  CHECK(verify_signature(dnssec_alg::RSASHA256, long_exponent, data, sig) == VerifyResult::bad_key);
  CHECK(verify_signature(dnssec_alg::RSASHA256, {}, data, sig) == VerifyResult::bad_key);
  CHECK(verify_signature(dnssec_alg::RSASHA256, rsa256.public_key, data, sig) ==
        VerifyResult::bad_signature);
}

TEST_CASE("signature_time: RFC 4034 §3.1.5 serial number arithmetic", "[dnssec][time]") {
  // RFC 6605 §6.1 window: 20100812100439 .. 20100909100439.
  const auto records = read_records(rfc_file("rfc6605-ecdsa-examples.txt"));
  const auto sigs = find(records, Name::parse("www.example.net."), rrtype::RRSIG);
  REQUIRE_FALSE(sigs.empty());
  const RrsigRdata f = rrsig_fields(*sigs[0]);
  CHECK(f.inception == unix_time(2010, 8, 12) + 10 * 3600 + 4 * 60 + 39);
  CHECK(signature_time(f, f.inception) == SignatureTime::valid);
  CHECK(signature_time(f, f.expiration) == SignatureTime::valid);
  CHECK(signature_time(f, f.inception - 1) == SignatureTime::not_yet_valid);
  CHECK(signature_time(f, int64_t{f.expiration} + 1) == SignatureTime::expired);
  CHECK(signature_time(f, unix_time(2010, 9, 1)) == SignatureTime::valid);
  CHECK(signature_time(f, unix_time(2026, 1, 1)) == SignatureTime::expired);

  // A window spanning the 2106 wrap of the 32-bit field.
  const uint32_t inception = 0xFFFFFF00u, expiration = 0x00000100u;
  const int64_t wrap = int64_t{1} << 32;
  CHECK(signature_time(inception, expiration, wrap + 0x10) == SignatureTime::valid);
  CHECK(signature_time(inception, expiration, wrap - 0x10) == SignatureTime::valid);
  CHECK(signature_time(inception, expiration, wrap + 0x200) == SignatureTime::expired);
  CHECK(signature_time(inception, expiration, wrap - 0x200) == SignatureTime::not_yet_valid);
  CHECK(std::string(to_string(SignatureTime::expired)) == "signature expired");
}
