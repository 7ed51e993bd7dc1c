// Signing with OpenSSL 3 (EVP): key generation, keys from their raw secret,
// public key export in DNSKEY form and signatures in DNSSEC form.
//
//  - ECDSA (RFC 6605): the secret is the scalar d padded to the curve size;
//    the public point is d·G, exported uncompressed (04 | x | y) and given
//    as x | y; OpenSSL's DER ECDSA-Sig-Value becomes r | s, each padded.
//  - EdDSA (RFC 8080): raw private and public keys and raw signatures.
#include "dns/dnssec_sign.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <cstring>

#include "dns/openssl_ptr.h"
#include "dns/rrtype.h"

namespace flatns::dns {

namespace {

using Bytes = std::span<const uint8_t>;

using namespace openssl;  // dns/openssl_ptr.h

struct AlgorithmInfo {
  uint8_t number;
  const char* name;      // config / command line
  const char* mnemonic;  // BIND private file
  const char* ossl_type; // "EC", "ED25519", "ED448"
  const char* group;     // EC curve, else null
  int curve_nid;
  const char* digest;    // null for EdDSA
  std::size_t secret_size;
  std::size_t public_size;
};

constexpr AlgorithmInfo kAlgorithms[] = {
    {dnssec_alg::ECDSAP256SHA256, "ecdsap256sha256", "ECDSAP256SHA256", "EC", "P-256",
     NID_X9_62_prime256v1, "SHA2-256", 32, 64},
    {dnssec_alg::ECDSAP384SHA384, "ecdsap384sha384", "ECDSAP384SHA384", "EC", "P-384",
     NID_secp384r1, "SHA2-384", 48, 96},
    {dnssec_alg::ED25519, "ed25519", "ED25519", "ED25519", nullptr, 0, nullptr, 32, 32},
    {dnssec_alg::ED448, "ed448", "ED448", "ED448", nullptr, 0, nullptr, 57, 57},
};

const AlgorithmInfo* info(uint8_t algorithm) {
  for (const AlgorithmInfo& a : kAlgorithms) {
    if (a.number == algorithm) return &a;
  }
  return nullptr;
}

void free_pkey(evp_pkey_st* key) { EVP_PKEY_free(key); }

// The failure reason without OpenSSL's queue (which may name internals but
// never key material); the queue is cleared so it does not pile up.
bool fail(std::string& error, std::string what) {
  ERR_clear_error();
  error = std::move(what);
  return false;
}

// d·G of `group` as x | y.
bool ec_public_from_secret(const AlgorithmInfo& a, const BIGNUM* d, std::vector<uint8_t>& out) {
  GroupPtr group(EC_GROUP_new_by_curve_name(a.curve_nid));
  if (!group) return false;
  PointPtr point(EC_POINT_new(group.get()));
  if (!point || EC_POINT_mul(group.get(), point.get(), d, nullptr, nullptr, nullptr) != 1) {
    return false;
  }
  uint8_t buf[1 + 2 * 48];
  const std::size_t n = EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED,
                                           buf, sizeof buf, nullptr);
  if (n != 1 + a.public_size) return false;
  out.assign(buf + 1, buf + n);
  return true;
}

bool export_public(const AlgorithmInfo& a, EVP_PKEY* key, std::vector<uint8_t>& out) {
  if (a.group) {
    uint8_t buf[1 + 2 * 48];
    std::size_t n = 0;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &n) != 1 ||
        n != 1 + a.public_size || buf[0] != 0x04) {
      return false;
    }
    out.assign(buf + 1, buf + n);
    return true;
  }
  out.resize(a.public_size);
  std::size_t n = out.size();
  return EVP_PKEY_get_raw_public_key(key, out.data(), &n) == 1 && n == a.public_size;
}

EVP_PKEY* ec_key_from_secret(const AlgorithmInfo& a, Bytes secret, std::vector<uint8_t>& pub) {
  SecretBnPtr d(BN_secure_new());
  if (!d || !BN_bin2bn(secret.data(), static_cast<int>(secret.size()), d.get())) return nullptr;
  if (BN_is_zero(d.get()) || !ec_public_from_secret(a, d.get(), pub)) return nullptr;
  uint8_t point[1 + 2 * 48];
  point[0] = 0x04;
  std::memcpy(point + 1, pub.data(), pub.size());
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, a.group, 0) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point,
                                        1 + pub.size())) {
    return nullptr;
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    return nullptr;
  }
  return key;
}

// DER ECDSA-Sig-Value -> r | s, each `half` octets.
bool ecdsa_raw(Bytes der, std::size_t half, std::vector<uint8_t>& out) {
  const uint8_t* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return false;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  out.resize(2 * half);
  return BN_bn2binpad(r, out.data(), static_cast<int>(half)) == static_cast<int>(half) &&
         BN_bn2binpad(s, out.data() + half, static_cast<int>(half)) == static_cast<int>(half);
}

}  // namespace

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  clear();
  bytes_ = std::move(other.bytes_);
  return *this;
}

void SecretBytes::clear() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

void SecretBytes::resize(std::size_t n) {
  clear();
  bytes_.resize(n);
}

void secure_wipe(void* data, std::size_t size) {
  if (data && size) OPENSSL_cleanse(data, size);
}

bool signing_algorithm_supported(uint8_t algorithm) { return info(algorithm) != nullptr; }

const char* signing_algorithm_name(uint8_t algorithm) {
  const AlgorithmInfo* a = info(algorithm);
  return a ? a->name : nullptr;
}

const char* signing_algorithm_mnemonic(uint8_t algorithm) {
  const AlgorithmInfo* a = info(algorithm);
  return a ? a->mnemonic : nullptr;
}

uint8_t signing_algorithm_from_text(std::string_view text) {
  for (const AlgorithmInfo& a : kAlgorithms) {
    const std::string_view name = a.name;
    bool same = name.size() == text.size();
    for (std::size_t i = 0; same && i < name.size(); ++i) {
      same = ascii_lower(static_cast<uint8_t>(text[i])) == static_cast<uint8_t>(name[i]);
    }
    if (same || text == std::to_string(a.number)) return a.number;
  }
  return 0;
}

std::size_t private_key_size(uint8_t algorithm) {
  const AlgorithmInfo* a = info(algorithm);
  return a ? a->secret_size : 0;
}

bool PrivateKey::generate(uint8_t algorithm, PrivateKey& out, std::string& error) {
  const AlgorithmInfo* a = info(algorithm);
  if (!a) {
    return fail(error, "algorithm " + std::to_string(algorithm) + " is not supported for signing");
  }
  EVP_PKEY* key = a->group ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", a->group)
                           : EVP_PKEY_Q_keygen(nullptr, nullptr, a->ossl_type);
  if (!key) return fail(error, std::string("generating a ") + a->name + " key failed");
  out.key_.reset(key, free_pkey);
  out.algorithm_ = algorithm;
  if (!export_public(*a, key, out.public_key_)) {
    out = PrivateKey();
    return fail(error, std::string("exporting a new ") + a->name + " public key failed");
  }
  return true;
}

bool PrivateKey::from_secret(uint8_t algorithm, Bytes secret, PrivateKey& out,
                             std::string& error) {
  const AlgorithmInfo* a = info(algorithm);
  if (!a) {
    return fail(error, "algorithm " + std::to_string(algorithm) + " is not supported for signing");
  }
  if (secret.size() != a->secret_size) {
    return fail(error, std::string("a ") + a->name + " private key is " +
                           std::to_string(a->secret_size) + " octets, not " +
                           std::to_string(secret.size()));
  }
  std::vector<uint8_t> pub;
  EVP_PKEY* key = nullptr;
  if (a->group) {
    key = ec_key_from_secret(*a, secret, pub);
  } else {
    key = EVP_PKEY_new_raw_private_key_ex(nullptr, a->ossl_type, nullptr, secret.data(),
                                          secret.size());
    if (key && !export_public(*a, key, pub)) {
      EVP_PKEY_free(key);
      key = nullptr;
    }
  }
  if (!key) return fail(error, std::string("the ") + a->name + " private key does not decode");
  out.key_.reset(key, free_pkey);
  out.algorithm_ = algorithm;
  out.public_key_ = std::move(pub);
  return true;
}

bool PrivateKey::secret(SecretBytes& out) const {
  const AlgorithmInfo* a = info(algorithm_);
  if (!a || !key_) return false;
  out.resize(a->secret_size);
  bool ok = false;
  if (a->group) {
    BIGNUM* d = nullptr;
    if (EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1) {
      SecretBnPtr owned(d);
      ok = BN_bn2binpad(d, out.data(), static_cast<int>(out.size())) ==
           static_cast<int>(out.size());
    }
  } else {
    std::size_t n = out.size();
    ok = EVP_PKEY_get_raw_private_key(key_.get(), out.data(), &n) == 1 && n == a->secret_size;
  }
  if (!ok) {
    out.clear();
    ERR_clear_error();
  }
  return ok;
}

bool PrivateKey::sign(Bytes data, std::vector<uint8_t>& signature) const {
  const AlgorithmInfo* a = info(algorithm_);
  if (!a || !key_) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestSignInit_ex(ctx.get(), nullptr, a->digest, nullptr, nullptr,
                                         key_.get(), nullptr) == 1;
  std::size_t len = 0;
  ok = ok && EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) == 1;
  std::vector<uint8_t> raw(len);
  ok = ok && EVP_DigestSign(ctx.get(), raw.data(), &len, data.data(), data.size()) == 1;
  if (ok) {
    raw.resize(len);
    if (a->group) {
      ok = ecdsa_raw(raw, a->secret_size, signature);
    } else {
      signature = std::move(raw);
    }
  }
  if (!ok) ERR_clear_error();
  return ok;
}

std::vector<uint8_t> dnskey_rdata(uint16_t flags, uint8_t algorithm, Bytes public_key) {
  std::vector<uint8_t> out{static_cast<uint8_t>(flags >> 8), static_cast<uint8_t>(flags),
                           kDnskeyProtocol, algorithm};
  out.insert(out.end(), public_key.begin(), public_key.end());
  return out;
}

bool sign_rrset(const RrsetRef& rrset, const RrsigFields& fields, const PrivateKey& key,
                std::vector<uint8_t>& out) {
  out.clear();
  int labels = fields.labels;
  if (labels < 0) {
    labels = label_count(rrset.owner);
    if (is_wildcard(rrset.owner)) --labels;
  }
  if (labels < 0 || labels > 127 || fields.signer.empty()) return false;
  auto u16 = [&](uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
  };
  auto u32 = [&](uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  };
  u16(rrset.type);
  out.push_back(key.algorithm());
  out.push_back(static_cast<uint8_t>(labels));
  u32(fields.original_ttl);
  u32(fields.expiration);
  u32(fields.inception);
  u16(fields.key_tag);
  const std::size_t signer_at = out.size();
  out.insert(out.end(), fields.signer.begin(), fields.signer.end());
  lowercase_name({out.data() + signer_at, fields.signer.size()});

  std::vector<uint8_t> data;
  std::vector<uint8_t> signature;
  if (!rrsig_signed_data(rrset, out, data) || !key.sign(data, signature)) {
    out.clear();
    return false;
  }
  out.insert(out.end(), signature.begin(), signature.end());
  return true;
}

}  // namespace flatns::dns
