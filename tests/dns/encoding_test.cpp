// base64, base32hex and hex against the RFC 4648 §10 test vectors and the
// RFC 5155 Appendix A hashes.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "dns/encoding.h"

using namespace flatns::dns;

namespace {

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::string decoded_b64(std::string_view text, bool& ok) {
  std::vector<uint8_t> out;
  ok = base64_decode(text, out);
  return {out.begin(), out.end()};
}

std::string decoded_b32(std::string_view text, bool& ok) {
  std::vector<uint8_t> out;
  ok = base32hex_decode(text, out);
  return {out.begin(), out.end()};
}

}  // namespace

TEST_CASE("base64 matches the RFC 4648 test vectors", "[encoding]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},       {"fo", "Zm8="},      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    INFO(plain);
    CHECK(base64_encode(bytes(plain)) == encoded);
    bool ok = false;
    CHECK(decoded_b64(encoded, ok) == plain);
    CHECK(ok);
  }
}

TEST_CASE("base64 decoding rejects malformed input", "[encoding]") {
  bool ok = true;
  (void)decoded_b64("Zm9v!", ok);
  CHECK_FALSE(ok);
  (void)decoded_b64("Z", ok);  // a single sextet is not an octet
  CHECK_FALSE(ok);
  (void)decoded_b64("Zg=", ok);  // padded but not a multiple of 4
  CHECK_FALSE(ok);
  (void)decoded_b64("Zm9v Zg==", ok);  // whitespace must be removed by the caller
  CHECK_FALSE(ok);
  (void)decoded_b64("Zh==", ok);  // non-zero trailing bits
  CHECK_FALSE(ok);
  (void)decoded_b64("Zg===", ok);
  CHECK_FALSE(ok);
  // Unpadded input is accepted, as BIND and Knot accept it.
  CHECK(decoded_b64("Zg", ok) == "f");
  CHECK(ok);
}

TEST_CASE("base32hex matches the RFC 4648 test vectors", "[encoding]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},           {"f", "CO"},          {"fo", "CPNG"},        {"foo", "CPNMU"},
      {"foob", "CPNMUOG"}, {"fooba", "CPNMUOJ1"}, {"foobar", "CPNMUOJ1E8"}};
  for (const auto& [plain, encoded] : vectors) {
    INFO(plain);
    CHECK(base32hex_encode(bytes(plain)) == encoded);
    bool ok = false;
    CHECK(decoded_b32(encoded, ok) == plain);
    CHECK(ok);
  }
  // Padded (RFC 4648 prints these) and lowercase forms decode too.
  bool ok = false;
  CHECK(decoded_b32("CPNMUOJ1E8======", ok) == "foobar");
  CHECK(ok);
  CHECK(decoded_b32("cpnmuog=", ok) == "foob");
  CHECK(ok);
}

TEST_CASE("base32hex decoding rejects malformed input", "[encoding]") {
  bool ok = true;
  (void)decoded_b32("CPW", ok);  // W is outside 0-9A-V
  CHECK_FALSE(ok);
  (void)decoded_b32("C", ok);  // 5 bits: no octet
  CHECK_FALSE(ok);
  (void)decoded_b32("CPN", ok);  // 15 bits: 7 left over
  CHECK_FALSE(ok);
  (void)decoded_b32("CP", ok);  // trailing bits not zero ('P' = 25 leaves 01)
  CHECK_FALSE(ok);
  (void)decoded_b32("CO=", ok);  // padding to a length that is not a multiple of 8
  CHECK_FALSE(ok);
}

TEST_CASE("RFC 5155 Appendix A hashes survive base32hex decode and encode", "[encoding]") {
  std::ifstream in(FLATNS_CORPUS_DIR "/rfc/rfc5155-nsec3-hashes.tsv");
  REQUIRE(in.good());
  std::string line;
  int hashes = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name, salt, iterations, hash;
    fields >> name >> salt >> iterations >> hash;
    REQUIRE(hash.size() == 32);
    std::vector<uint8_t> raw;
    REQUIRE(base32hex_decode(hash, raw));
    CHECK(raw.size() == 20);  // SHA-1
    std::string upper = hash;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(base32hex_encode(raw) == upper);
    ++hashes;
  }
  CHECK(hashes >= 12);
}

TEST_CASE("hex encodes uppercase and decodes either case", "[encoding]") {
  CHECK(hex_encode(bytes("foobar")) == "666F6F626172");
  CHECK(hex_encode({}) == "");
  std::vector<uint8_t> out;
  REQUIRE(hex_decode("aBcD09", out));
  CHECK(out == std::vector<uint8_t>{0xAB, 0xCD, 0x09});
  out.clear();
  CHECK_FALSE(hex_decode("ABC", out));
  out.clear();
  CHECK_FALSE(hex_decode("0g", out));
}
