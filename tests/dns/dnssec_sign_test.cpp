// Signing primitives and BIND-format key files: keys made by dnssec-keygen
// and ldns-keygen (tests/data/keys/, see tests/data/SOURCES.md) load and
// sign, every signature verifies with our verifier, and the files we write
// read back (private file 0600).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dns/dnssec.h"
#include "dns/dnssec_sign.h"
#include "dns/encoding.h"
#include "dns/key_file.h"
#include "dns/rrtype.h"

using namespace flatns::dns;

namespace {

const std::string kKeys = std::string(FLATNS_TEST_DATA_DIR) + "/keys";

// Signs a two-record A RRset at www.example.com and verifies it.
void check_signs(const KeyPair& pair) {
  const Name owner = Name::parse("WWW.Example.com.");
  const Name zone = Name::parse("example.com.");
  const std::vector<uint8_t> a1{192, 0, 2, 1}, a2{192, 0, 2, 2};
  const std::span<const uint8_t> rds[] = {a2, a1};
  RrsetRef rrset{owner.wire(), rrtype::A, 1, rds};
  RrsigFields f;
  f.original_ttl = 300;
  f.inception = 1700000000;
  f.expiration = 1900000000;
  f.key_tag = pair.tag;
  f.signer = zone.wire();
  std::vector<uint8_t> rrsig;
  REQUIRE(sign_rrset(rrset, f, pair.key, rrsig));
  CHECK(verify_rrsig(rrset, rrsig, zone.wire(), pair.dnskey) == VerifyResult::ok);
  // One flipped signature bit fails.
  rrsig.back() ^= 1;
  CHECK(verify_rrsig(rrset, rrsig, zone.wire(), pair.dnskey) == VerifyResult::bad_signature);
}

std::string temp_dir() {
  const char* t = std::getenv("TMPDIR");
  std::string tmpl = std::string(t && *t ? t : "/tmp") + "/flatns-keys-XXXXXX";
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

}  // namespace

TEST_CASE("keys written by dnssec-keygen load and sign", "[dnssec][sign]") {
  std::vector<std::string> files;
  std::string error;
  REQUIRE(list_key_files(kKeys + "/bind", files, error));
  REQUIRE(files.size() == 4);  // algorithms 13, 14, 15, 16
  for (const std::string& f : files) {
    INFO(f);
    KeyPair pair;
    REQUIRE(read_key_pair(f, pair, error));
    CHECK(pair.owner == Name::parse("example.com."));
    CHECK(pair.timing.activate != 0);  // v1.3 timing fields are read
    CHECK(f.find(key_file_base(pair.owner, pair.key.algorithm(), pair.tag)) != std::string::npos);
    check_signs(pair);
  }
}

TEST_CASE("keys written by ldns-keygen load and sign", "[dnssec][sign]") {
  std::vector<std::string> files;
  std::string error;
  REQUIRE(list_key_files(kKeys + "/ldns", files, error));
  REQUIRE(files.size() == 3);  // algorithms 14, 15, 16
  for (const std::string& f : files) {
    INFO(f);
    KeyPair pair;
    REQUIRE(read_key_pair(f, pair, error));
    CHECK(f.find(key_file_base(pair.owner, pair.key.algorithm(), pair.tag)) != std::string::npos);
    check_signs(pair);
  }
}

TEST_CASE("generated keys of every algorithm sign, write 0600 and read back", "[dnssec][sign]") {
  const std::string dir = temp_dir();
  for (uint8_t alg : {13, 14, 15, 16}) {
    INFO(int(alg));
    KeyPair made;
    std::string error;
    REQUIRE(generate_key_pair(Name::parse("Example.COM."), alg, 257, 1764800000, made, error));
    CHECK(made.key.public_key().size() == (alg == 13 ? 64u : alg == 14 ? 96u : alg == 15 ? 32u : 57u));
    check_signs(made);
    REQUIRE(write_key_pair(dir, made, error));
    struct stat st {};
    REQUIRE(::stat(made.path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    // Never overwritten.
    KeyPair again = made;
    CHECK_FALSE(write_key_pair(dir, again, error));
    KeyPair read;
    const bool read_ok = read_key_pair(made.path, read, error);
    INFO(error);
    REQUIRE(read_ok);
    CHECK(read.dnskey == made.dnskey);
    CHECK(read.tag == made.tag);
    CHECK(read.timing.created == 1764800000);
    check_signs(read);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("key file errors name the file and never the key", "[dnssec][sign]") {
  const std::string dir = temp_dir();
  KeyPair made;
  std::string error;
  REQUIRE(generate_key_pair(Name::parse("example.com."), 13, 256, 1764800000, made, error));
  REQUIRE(write_key_pair(dir, made, error));
  const std::string base = made.path.substr(0, made.path.size() - 8);
  std::string secret_b64;
  {
    std::ifstream in(made.path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("PrivateKey: ", 0) == 0) secret_b64 = line.substr(12);
    }
  }
  REQUIRE(secret_b64.size() == 44);

  SECTION("a private key of the wrong length") {
    std::ofstream(made.path, std::ios::trunc)
        << "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: "
        << secret_b64.substr(0, 40) << "\n";
    KeyPair read;
    CHECK_FALSE(read_key_pair(base, read, error));
    CHECK(error.find(made.path) == 0);
    CHECK(error.find(secret_b64.substr(0, 40)) == std::string::npos);
  }
  SECTION("a private key of another pair") {
    KeyPair other;
    REQUIRE(generate_key_pair(Name::parse("example.com."), 13, 256, 1764800000, other, error));
    SecretBytes s;
    REQUIRE(other.key.secret(s));
    std::vector<uint8_t> copy(s.view().begin(), s.view().end());
    std::ofstream(made.path, std::ios::trunc)
        << "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: "
        << base64_encode(copy) << "\n";
    KeyPair read;
    CHECK_FALSE(read_key_pair(base, read, error));
    CHECK(error.find("does not match the DNSKEY") != std::string::npos);
    CHECK(error.find(base64_encode(copy)) == std::string::npos);
  }
  SECTION("an RSA key is refused by number") {
    std::ofstream(made.path, std::ios::trunc)
        << "Private-key-format: v1.3\nAlgorithm: 8 (RSASHA256)\nModulus: AQAB\n";
    KeyPair read;
    CHECK_FALSE(read_key_pair(base, read, error));
    CHECK(error.find(made.path) == 0);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("algorithm names", "[dnssec][sign]") {
  CHECK(signing_algorithm_from_text("ECDSAP256SHA256") == 13);
  CHECK(signing_algorithm_from_text("ecdsap384sha384") == 14);
  CHECK(signing_algorithm_from_text("ed25519") == 15);
  CHECK(signing_algorithm_from_text("16") == 16);
  CHECK(signing_algorithm_from_text("rsasha256") == 0);
  CHECK(signing_algorithm_from_text("8") == 0);
  CHECK(key_file_base(Name::parse("Example.COM."), 13, 42) == "Kexample.com.+013+00042");
}
