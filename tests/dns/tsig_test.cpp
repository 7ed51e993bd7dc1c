// TSIG (RFC 8945) against vectors made by dnspython's dns.tsig
// (tests/data/tsig/make_vectors.py prints them), and the verifier's answers
// to every way a signature can be wrong.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "dns/encoding.h"
#include "dns/tsig.h"

using namespace flatns::dns;

namespace {

struct Vector {
  const char* algorithm;
  const char* query;     // signed query, hex
  const char* response;  // signed response to it, hex
};

// dnspython 2.3: key "xfr-key.", time 1700000000, fudge 300.
const Vector kVectors[] = {
    {"hmac-sha256", "123400000001000000000001076578616d706c6503636f6d0000fc0001077866722d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006553f100012c00208a331f9e45e78e155d2554d916b7b95a64ea00a15f0f83ed49af64364edbb7ff123400000000", "123484000001000100000001076578616d706c6503636f6d0000fc0001c00c0006000100000e100021036e7331c00c04686f7374c00c0000000100001c2000000e10001275000000012c077866722d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006553f100012c0020180eb5f8ba87c7bbb1e40aa77f4f4a18635e46fa8861f8716eea6666b06ae2c5123400000000"},
    {"hmac-sha1", "123400000001000000000001076578616d706c6503636f6d0000fc0001077866722d6b65790000fa00ff00000000002f09686d61632d736861310000006553f100012c00148573eea3f33ff87a6fd8516c360482cd02220b83123400000000", "123484000001000100000001076578616d706c6503636f6d0000fc0001c00c0006000100000e100021036e7331c00c04686f7374c00c0000000100001c2000000e10001275000000012c077866722d6b65790000fa00ff00000000002f09686d61632d736861310000006553f100012c0014fd0aa084fb55085221376e72bd1f22c121d757f0123400000000"},
    {"hmac-sha384", "123400000001000000000001076578616d706c6503636f6d0000fc0001077866722d6b65790000fa00ff00000000004d0b686d61632d7368613338340000006553f100012c00308f38089765031ad6dfac6f3c6f456d2d088e2d147fe6bdfd5b500f6a869a40d7596fac7a79763d5a5bb93d41f7d6f133123400000000", "123484000001000100000001076578616d706c6503636f6d0000fc0001c00c0006000100000e100021036e7331c00c04686f7374c00c0000000100001c2000000e10001275000000012c077866722d6b65790000fa00ff00000000004d0b686d61632d7368613338340000006553f100012c0030fa5276e38d51ea421b2ece7e44c293011f5021c11e5d2c77e24eb520db8d7b858e3e71f5fff752decde245e09632976b123400000000"},
    {"hmac-sha512", "123400000001000000000001076578616d706c6503636f6d0000fc0001077866722d6b65790000fa00ff00000000005d0b686d61632d7368613531320000006553f100012c0040c6607d9d8ada84ffa0601bb6d1beadbb7a86c33a725902db2ec1c11247e7e53a50f93d3bf4563f7b0f42498b87ace5936bacb7c793e817623398d8dc0b9de360123400000000", "123484000001000100000001076578616d706c6503636f6d0000fc0001c00c0006000100000e100021036e7331c00c04686f7374c00c0000000100001c2000000e10001275000000012c077866722d6b65790000fa00ff00000000005d0b686d61632d7368613531320000006553f100012c00404fe71283c730afdf6ab56fbad960d53ced3158238310cd8324f0fc0c2f7896e91705af898ffffae8cddd4fa41109dceba25a6b666ae438b505644140c3f98efa123400000000"},
};
constexpr uint64_t kTime = 1700000000;
constexpr const char* kSecret = "c2VjcmV0LWtleS1mb3ItZmxhdG5zLXRzaWctdGVzdHM=";

std::vector<uint8_t> unhex(const char* text) {
  std::vector<uint8_t> out;
  REQUIRE(hex_decode(text, out));
  return out;
}

TsigKey make_key(std::string_view algorithm, const char* secret = kSecret, const char* name = "xfr-key.") {
  TsigKey key;
  key.name = Name::parse(name);
  REQUIRE(tsig_algorithm_from_text(algorithm, key.algorithm));
  REQUIRE(base64_decode(secret, key.secret));
  return key;
}

// The message without its TSIG record, as the signer saw it.
std::vector<uint8_t> unsigned_part(const std::vector<uint8_t>& message) {
  TsigRecord rec;
  REQUIRE(find_tsig(message, rec) == TsigFind::Found);
  std::vector<uint8_t> out(message.begin(), message.begin() + static_cast<std::ptrdiff_t>(rec.offset));
  out[11] = static_cast<uint8_t>(out[11] - 1);
  return out;
}

std::vector<uint8_t> sign(TsigSigner& signer, std::vector<uint8_t> message, uint64_t now) {
  const std::size_t length = message.size();
  message.resize(length + 512);
  const std::size_t n = signer.sign(message, length, now);
  REQUIRE(n > length);
  message.resize(n);
  return message;
}

}  // namespace

TEST_CASE("TSIG signing gives dnspython's bytes for a query and its response", "[tsig]") {
  for (const auto& v : kVectors) {
    INFO(v.algorithm);
    const TsigKey key = make_key(v.algorithm);
    const auto query = unhex(v.query);
    TsigSigner query_signer(key, {});
    CHECK(sign(query_signer, unsigned_part(query), kTime) == query);

    const auto response = unhex(v.response);
    TsigSigner response_signer(key, query_signer.mac());
    CHECK(sign(response_signer, unsigned_part(response), kTime) == response);
  }
}

TEST_CASE("TSIG verification accepts dnspython's signed messages", "[tsig]") {
  for (const auto& v : kVectors) {
    INFO(v.algorithm);
    const TsigKey keys[] = {make_key("hmac-sha256", "b3RoZXI=", "other."), make_key(v.algorithm)};
    const auto query = unhex(v.query);
    const TsigRequestCheck check = verify_tsig_request(query, keys, kTime + 10);
    REQUIRE(check.status == TsigStatus::Ok);
    CHECK(check.key == &keys[1]);

    TsigVerifier verifier(keys[1], check.record.mac);
    CHECK(verifier.verify(unhex(v.response), kTime) == TsigStatus::Ok);
    CHECK(verifier.last_signed());
  }
}

TEST_CASE("TSIG verification answers BADKEY, BADSIG, BADTIME, BADTRUNC and FORMERR", "[tsig]") {
  const Vector& v = kVectors[0];  // hmac-sha256
  const auto query = unhex(v.query);
  const TsigKey right = make_key("hmac-sha256");

  SECTION("unsigned") {
    const auto plain = unsigned_part(query);
    CHECK(verify_tsig_request(plain, {&right, 1}, kTime).status == TsigStatus::Unsigned);
  }
  SECTION("unknown key name") {
    const TsigKey other = make_key("hmac-sha256", kSecret, "another-key.");
    CHECK(verify_tsig_request(query, {&other, 1}, kTime).status == TsigStatus::BadKey);
  }
  SECTION("same name, other algorithm") {
    const TsigKey other = make_key("hmac-sha512");
    CHECK(verify_tsig_request(query, {&other, 1}, kTime).status == TsigStatus::BadKey);
  }
  SECTION("wrong secret") {
    const TsigKey wrong = make_key("hmac-sha256", "d3Jvbmctc2VjcmV0");
    CHECK(verify_tsig_request(query, {&wrong, 1}, kTime).status == TsigStatus::BadSig);
  }
  SECTION("one bit of the message changed") {
    auto changed = query;
    changed[14] ^= 0x20;  // "x" of example.com becomes "X": the MAC covers case too
    CHECK(verify_tsig_request(changed, {&right, 1}, kTime).status == TsigStatus::BadSig);
  }
  SECTION("time outside the fudge, either way") {
    CHECK(verify_tsig_request(query, {&right, 1}, kTime + 300).status == TsigStatus::Ok);
    CHECK(verify_tsig_request(query, {&right, 1}, kTime + 301).status == TsigStatus::BadTime);
    CHECK(verify_tsig_request(query, {&right, 1}, kTime - 301).status == TsigStatus::BadTime);
  }
  SECTION("truncated MACs") {
    TsigRecord rec;
    REQUIRE(find_tsig(query, rec) == TsigFind::Found);
    // Rewrites the MAC size (at rec.mac's offset - 2) and drops octets.
    auto truncated = [&](std::size_t size) {
      const std::size_t mac_at = static_cast<std::size_t>(rec.mac.data() - query.data());
      std::vector<uint8_t> out(query.begin(), query.begin() + static_cast<std::ptrdiff_t>(mac_at + size));
      out[mac_at - 2] = 0;
      out[mac_at - 1] = static_cast<uint8_t>(size);
      out.insert(out.end(), query.begin() + static_cast<std::ptrdiff_t>(mac_at + rec.mac.size()), query.end());
      const std::size_t rdlength_at = rec.offset + rec.key_name.size() + 8;
      const std::size_t rdlength = (static_cast<std::size_t>(out[rdlength_at]) << 8 | out[rdlength_at + 1]) -
                                   (rec.mac.size() - size);
      out[rdlength_at] = static_cast<uint8_t>(rdlength >> 8);
      out[rdlength_at + 1] = static_cast<uint8_t>(rdlength);
      return out;
    };
    CHECK(verify_tsig_request(truncated(16), {&right, 1}, kTime).status == TsigStatus::BadTrunc);
    CHECK(verify_tsig_request(truncated(15), {&right, 1}, kTime).status == TsigStatus::FormErr);  // < 32/2
    CHECK(verify_tsig_request(truncated(0), {&right, 1}, kTime).status == TsigStatus::FormErr);
  }
  SECTION("TSIG not last, or cut short") {
    auto cut = query;
    cut.resize(cut.size() - 3);
    CHECK(verify_tsig_request(cut, {&right, 1}, kTime).status == TsigStatus::FormErr);
    auto trailing = query;
    trailing.push_back(0);
    CHECK(verify_tsig_request(trailing, {&right, 1}, kTime).status == TsigStatus::FormErr);
  }
}

TEST_CASE("TSIG streams: every message signed, or up to 99 unsigned between signed ones", "[tsig]") {
  const TsigKey key = make_key("hmac-sha384");
  const auto query = unhex(kVectors[2].query);
  TsigRecord rec;
  REQUIRE(find_tsig(query, rec) == TsigFind::Found);
  const auto base = unsigned_part(unhex(kVectors[2].response));

  TsigSigner signer(key, rec.mac);
  TsigVerifier verifier(key, rec.mac);
  auto first = sign(signer, base, kTime);
  CHECK(verifier.verify(first, kTime) == TsigStatus::Ok);
  auto second = sign(signer, base, kTime + 1);
  CHECK(verifier.verify(second, kTime + 1) == TsigStatus::Ok);
  // Two unsigned messages, then a signed one that covers them.
  CHECK(verifier.verify(base, kTime) == TsigStatus::Unsigned);
  CHECK_FALSE(verifier.last_signed());
  CHECK(verifier.verify(base, kTime) == TsigStatus::Unsigned);

  TsigSigner reference(key, rec.mac);  // signs the same stream as one unit
  (void)sign(reference, base, kTime);
  (void)sign(reference, base, kTime + 1);
  // A later message's digest covers the unsigned messages since the last MAC.
  std::vector<uint8_t> joined = base;
  joined.insert(joined.end(), base.begin(), base.end());
  joined.insert(joined.end(), base.begin(), base.end());
  std::vector<uint8_t> buffer(joined.size() + 512);
  std::copy(joined.begin(), joined.end(), buffer.begin());
  // Sign the three messages' octets, then graft that TSIG onto the last one.
  const std::size_t n = reference.sign(buffer, joined.size(), kTime + 2);
  REQUIRE(n > joined.size());
  std::vector<uint8_t> third = base;
  third.insert(third.end(), buffer.begin() + static_cast<std::ptrdiff_t>(joined.size()),
               buffer.begin() + static_cast<std::ptrdiff_t>(n));
  third[11] = static_cast<uint8_t>(third[11] + 1);
  CHECK(verifier.verify(third, kTime + 2) == TsigStatus::Ok);
  CHECK(verifier.last_signed());

  SECTION("a stream signed with another key fails at its first message") {
    const TsigKey other = make_key("hmac-sha384", "b3RoZXI=");
    TsigVerifier wrong(other, rec.mac);
    CHECK(wrong.verify(first, kTime) == TsigStatus::BadSig);
  }
  SECTION("the first message of a stream cannot be unsigned") {
    TsigVerifier fresh(key, rec.mac);
    CHECK(fresh.verify(base, kTime) == TsigStatus::BadSig);
  }
  SECTION("messages out of order fail") {
    TsigVerifier fresh(key, rec.mac);
    CHECK(fresh.verify(second, kTime) == TsigStatus::BadSig);
  }
}

TEST_CASE("TSIG error answers carry the error and an empty MAC", "[tsig]") {
  const auto query = unhex(kVectors[0].query);
  TsigRecord rec;
  REQUIRE(find_tsig(query, rec) == TsigFind::Found);
  std::vector<uint8_t> response = unsigned_part(query);
  const std::size_t length = response.size();
  response.resize(length + 256);
  const std::size_t n = append_tsig_error(response, length, rec, rcode::BADKEY);
  REQUIRE(n > length);
  response.resize(n);
  TsigRecord out;
  REQUIRE(find_tsig(response, out) == TsigFind::Found);
  CHECK(out.error == rcode::BADKEY);
  CHECK(out.mac.empty());
  CHECK(out.time_signed == kTime);
  const TsigKey key = make_key("hmac-sha256");
  TsigVerifier verifier(key, rec.mac);
  CHECK(verifier.verify(response, kTime) == TsigStatus::BadKey);
}

TEST_CASE("TSIG algorithm names", "[tsig]") {
  TsigAlgorithm alg;
  CHECK(tsig_algorithm_from_text("HMAC-SHA512.", alg));
  CHECK(alg == TsigAlgorithm::HmacSha512);
  CHECK_FALSE(tsig_algorithm_from_text("hmac-md5", alg));
  CHECK(tsig_mac_size(TsigAlgorithm::HmacSha1) == 20);
  CHECK(name_to_text(tsig_algorithm_name(TsigAlgorithm::HmacSha1)) == "hmac-sha1.");
}
