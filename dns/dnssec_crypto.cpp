// Every OpenSSL call of flatns lives in this file: message digests and
// DNSSEC signature verification through the OpenSSL 3 EVP API.
//
// DNSSEC key and signature encodings converted here:
//  - RSA (RFC 3110 §2): exponent length (1 octet, or 0 then 2 octets),
//    exponent, modulus; signature is the PKCS#1 v1.5 block, as OpenSSL wants.
//  - ECDSA (RFC 6605 §4): key is x | y, signature is r | s, each half the
//    curve size; OpenSSL wants an uncompressed point 04 | x | y and a DER
//    ECDSA-Sig-Value, so both are rebuilt.
//  - EdDSA (RFC 8080 §3, §4): raw public key and signature, used as they are.
//  - DSA (RFC 2536 §2, §3): key is T | Q | P | G | Y, signature T | R | S;
//    OpenSSL wants the FFC parameters and a DER DSA-Sig-Value (the same
//    SEQUENCE of two INTEGERs as ECDSA's). Whether DSA is accepted at all is
//    the validator's policy (RFC 8624 §3.1: MUST NOT validate).
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <memory>

#include "dns/dnssec.h"
#include "dns/openssl_ptr.h"

namespace flatns::dns {

namespace {

using Bytes = std::span<const uint8_t>;

using namespace openssl;  // dns/openssl_ptr.h

const char* digest_name(DigestAlg alg) {
  switch (alg) {
    case DigestAlg::sha1:
      return "SHA1";
    case DigestAlg::sha256:
      return "SHA2-256";
    case DigestAlg::sha384:
      return "SHA2-384";
    case DigestAlg::sha512:
      return "SHA2-512";
  }
  return nullptr;
}

// Explicitly fetched digests, fetched once: implicit fetching (EVP_sha1())
// would repeat the provider lookup on every NSEC3 iteration.
const EVP_MD* fetched_md(DigestAlg alg) {
  static const MdPtr mds[] = {
      MdPtr(EVP_MD_fetch(nullptr, digest_name(DigestAlg::sha1), nullptr)),
      MdPtr(EVP_MD_fetch(nullptr, digest_name(DigestAlg::sha256), nullptr)),
      MdPtr(EVP_MD_fetch(nullptr, digest_name(DigestAlg::sha384), nullptr)),
      MdPtr(EVP_MD_fetch(nullptr, digest_name(DigestAlg::sha512), nullptr)),
  };
  return mds[static_cast<int>(alg)].get();
}

BnPtr bignum(Bytes b) {
  return BnPtr(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
}

PkeyPtr pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
  return PkeyPtr(key);
}

// RFC 3110 §2 key; moduli over 4096 bits are refused (RFC 3110 §2's limit;
// an unbounded modulus would make verification arbitrarily expensive).
PkeyPtr rsa_key(Bytes key) {
  if (key.empty()) return nullptr;
  std::size_t exp_len = key[0];
  std::size_t pos = 1;
  if (exp_len == 0) {
    if (key.size() < 3) return nullptr;
    exp_len = static_cast<std::size_t>(key[1]) << 8 | key[2];
    pos = 3;
  }
  if (exp_len == 0 || key.size() <= pos + exp_len) return nullptr;
  const Bytes exponent = key.subspan(pos, exp_len);
  const Bytes modulus = key.subspan(pos + exp_len);
  if (modulus.size() > 4096 / 8 || modulus[0] == 0) return nullptr;
  BnPtr n = bignum(modulus), e = bignum(exponent);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get())) {
    return nullptr;
  }
  return pkey_from_params("RSA", bld.get());
}

// RFC 6605 §4 key: x | y. OpenSSL checks that the point is on the curve.
PkeyPtr ec_key(Bytes key, const char* group, std::size_t coordinate_size) {
  if (key.size() != 2 * coordinate_size) return nullptr;
  uint8_t point[1 + 2 * 48];
  point[0] = 0x04;  // uncompressed point (SEC 1 §2.3.3)
  std::copy(key.begin(), key.end(), point + 1);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point,
                                        1 + key.size())) {
    return nullptr;
  }
  return pkey_from_params("EC", bld.get());
}

// RFC 2536 §2 key: T, then Q (20 octets), P, G and Y (64 + 8T octets each).
PkeyPtr dsa_key(Bytes key) {
  if (key.empty() || key[0] > 8) return nullptr;
  const std::size_t width = 64 + 8 * static_cast<std::size_t>(key[0]);
  if (key.size() != 1 + 20 + 3 * width) return nullptr;
  BnPtr q = bignum(key.subspan(1, 20)), p = bignum(key.subspan(21, width)),
        g = bignum(key.subspan(21 + width, width)), y = bignum(key.subspan(21 + 2 * width, width));
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!q || !p || !g || !y || !bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_P, p.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_Q, q.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_G, g.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, y.get())) {
    return nullptr;
  }
  return pkey_from_params("DSA", bld.get());
}
PkeyPtr raw_key(Bytes key, const char* type, std::size_t size) {
  if (key.size() != size) return nullptr;
  return PkeyPtr(EVP_PKEY_new_raw_public_key_ex(nullptr, type, nullptr, key.data(), key.size()));
}

// r | s -> DER ECDSA-Sig-Value; false when the length is wrong.
bool ecdsa_der(Bytes sig, std::size_t coordinate_size, std::vector<uint8_t>& der) {
  if (sig.size() != 2 * coordinate_size) return false;
  EcdsaSigPtr s(ECDSA_SIG_new());
  BnPtr r = bignum(sig.first(coordinate_size)), sv = bignum(sig.subspan(coordinate_size));
  if (!s || !r || !sv || ECDSA_SIG_set0(s.get(), r.get(), sv.get()) != 1) return false;
  r.release();  // now owned by s
  sv.release();
  const int len = i2d_ECDSA_SIG(s.get(), nullptr);
  if (len <= 0) return false;
  der.resize(static_cast<std::size_t>(len));
  uint8_t* p = der.data();
  return i2d_ECDSA_SIG(s.get(), &p) == len;
}

}  // namespace

bool sha_digest(DigestAlg alg, std::span<const Bytes> parts, Digest& out) {
  // One context per thread, reused: NSEC3 hashing calls this in a loop.
  thread_local MdCtxPtr ctx(EVP_MD_CTX_new());
  const EVP_MD* md = fetched_md(alg);
  if (!ctx || !md || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) return false;
  for (Bytes part : parts) {
    if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) return false;
  }
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.bytes.data(), &size) != 1) return false;
  out.size = static_cast<uint8_t>(size);
  return true;
}

VerifyResult verify_signature(uint8_t algorithm, Bytes public_key, Bytes data, Bytes signature) {
  PkeyPtr key;
  const char* md = nullptr;  // EdDSA hashes internally
  Bytes sig = signature;
  std::vector<uint8_t> der;
  switch (algorithm) {
    case dnssec_alg::RSASHA1:
    case dnssec_alg::RSASHA1_NSEC3_SHA1:
    case dnssec_alg::RSASHA256:
    case dnssec_alg::RSASHA512:
      md = algorithm == dnssec_alg::RSASHA256   ? "SHA2-256"
           : algorithm == dnssec_alg::RSASHA512 ? "SHA2-512"
                                                : "SHA1";
      key = rsa_key(public_key);
      break;
    case dnssec_alg::ECDSAP256SHA256:
    case dnssec_alg::ECDSAP384SHA384: {
      const bool p256 = algorithm == dnssec_alg::ECDSAP256SHA256;
      const std::size_t coordinate = p256 ? 32 : 48;
      md = p256 ? "SHA2-256" : "SHA2-384";
      key = ec_key(public_key, p256 ? "P-256" : "P-384", coordinate);
      if (key && !ecdsa_der(signature, coordinate, der)) return VerifyResult::bad_signature;
      sig = der;
      break;
    }
    case dnssec_alg::DSA:
    case dnssec_alg::DSA_NSEC3_SHA1:
      md = "SHA1";
      key = dsa_key(public_key);
      // RFC 2536 §3: T | R | S, R and S 20 octets each. Old ldns signers
      // wrote the DER DSA-Sig-Value instead (Unbound's test zones have them);
      // like Unbound, a signature of another length is taken as DER.
      if (key && signature.size() == 41) {
        if (!ecdsa_der(signature.subspan(1), 20, der)) return VerifyResult::bad_signature;
        sig = der;
      } else if (key && (signature.size() < 8 || signature.size() > 48)) {
        return VerifyResult::bad_signature;
      }
      break;
    case dnssec_alg::ED25519:
      key = raw_key(public_key, "ED25519", 32);
      if (key && signature.size() != 64) return VerifyResult::bad_signature;
      break;
    case dnssec_alg::ED448:
      key = raw_key(public_key, "ED448", 57);
      if (key && signature.size() != 114) return VerifyResult::bad_signature;
      break;
    default:
      return VerifyResult::unsupported_algorithm;
  }
  if (!key) {
    ERR_clear_error();
    return VerifyResult::bad_key;
  }

  MdCtxPtr ctx(EVP_MD_CTX_new());
  VerifyResult result = VerifyResult::bad_key;
  if (ctx &&
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, md, nullptr, nullptr, key.get(), nullptr) == 1) {
    const int rc = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), data.data(), data.size());
    result = rc == 1 ? VerifyResult::ok : VerifyResult::bad_signature;
  }
  // A failure leaves entries in the thread's OpenSSL error queue; the result
  // already says what happened, so they would only pile up.
  ERR_clear_error();
  return result;
}

}  // namespace flatns::dns
