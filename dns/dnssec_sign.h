// DNSSEC signing primitives: private keys, key pair generation and RRSIG
// creation for the algorithms flatns signs with (RFC 8624 "MUST"/"RECOMMENDED"
// for signing): ECDSA P-256 13 and P-384 14 (RFC 6605), Ed25519 15 and
// Ed448 16 (RFC 8080).
//
//  - A PrivateKey holds the OpenSSL key object; its raw secret (the EC scalar
//    or the EdDSA seed, as BIND's "PrivateKey:" field holds it) is only ever
//    copied into a SecretBytes, which wipes itself when destroyed.
//  - Signatures are in DNSSEC form: r | s for ECDSA (RFC 6605 §4), the raw
//    signature for EdDSA (RFC 8080 §4).
//  - sign_rrset builds the RRSIG RDATA (RFC 4034 §3.1) over the canonical
//    form of an RRset (dns/dnssec.h rrsig_signed_data, RFC 4034 §3.1.8.1).
//
// Every OpenSSL call for signing is in dnssec_sign.cpp; verification stays
// in dnssec_crypto.cpp. Nothing here throws; errors never contain key bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dns/dnssec.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of the header

namespace flatns::dns {

// Octets that must not outlive their use: wiped (OPENSSL_cleanse) when
// destroyed or cleared. Move-only.
class SecretBytes {
 public:
  SecretBytes() = default;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {}
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes() { clear(); }
  void clear();
  void resize(std::size_t n);  // wipes first, then zero-fills n octets
  uint8_t* data() { return bytes_.data(); }
  std::span<const uint8_t> view() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

 private:
  std::vector<uint8_t> bytes_;
};

// Overwrites `size` octets at `data` in a way the compiler keeps.
void secure_wipe(void* data, std::size_t size);

// True for the algorithms this file signs with.
[[nodiscard]] bool signing_algorithm_supported(uint8_t algorithm);
// "ecdsap256sha256" ... "ed448" (the names BIND and Knot use), or nullptr.
[[nodiscard]] const char* signing_algorithm_name(uint8_t algorithm);
// Mnemonic as in BIND's private files: "ECDSAP256SHA256", "ED25519" ...
[[nodiscard]] const char* signing_algorithm_mnemonic(uint8_t algorithm);
// From a name ("ecdsap256sha256", case-insensitive) or number ("13"); 0 when
// unknown or not supported for signing.
[[nodiscard]] uint8_t signing_algorithm_from_text(std::string_view text);
// Size of the raw secret: 32, 48, 32, 57.
[[nodiscard]] std::size_t private_key_size(uint8_t algorithm);

class PrivateKey {
 public:
  PrivateKey() = default;
  // A new random key pair. False (with `error`) when the algorithm is not
  // supported or OpenSSL fails.
  [[nodiscard]] static bool generate(uint8_t algorithm, PrivateKey& out, std::string& error);
  // From the raw secret (the EC scalar, big-endian, padded to the curve
  // size; the EdDSA private key octets).
  [[nodiscard]] static bool from_secret(uint8_t algorithm, std::span<const uint8_t> secret,
                                        PrivateKey& out, std::string& error);

  bool valid() const { return key_ != nullptr; }
  uint8_t algorithm() const { return algorithm_; }
  // The DNSKEY public key field (x | y for ECDSA, the raw key for EdDSA).
  const std::vector<uint8_t>& public_key() const { return public_key_; }
  // The raw secret, for writing a key file.
  [[nodiscard]] bool secret(SecretBytes& out) const;
  // Signs `data` (the RRSIG signed data); `signature` gets the DNSSEC form.
  // Safe to call from several threads on one key.
  [[nodiscard]] bool sign(std::span<const uint8_t> data, std::vector<uint8_t>& signature) const;

 private:
  uint8_t algorithm_ = 0;
  std::shared_ptr<evp_pkey_st> key_;
  std::vector<uint8_t> public_key_;
};

// DNSKEY RDATA for a public key: flags, protocol 3, algorithm, key.
[[nodiscard]] std::vector<uint8_t> dnskey_rdata(uint16_t flags, uint8_t algorithm,
                                                std::span<const uint8_t> public_key);

// What an RRSIG says besides the signature (RFC 4034 §3.1).
struct RrsigFields {
  uint32_t original_ttl = 0;
  uint32_t inception = 0;
  uint32_t expiration = 0;
  uint16_t key_tag = 0;
  NameView signer;  // the zone apex (written lowercased, RFC 6840 §5.1)
  // The label count; -1: that of the owner (not counting a leading "*",
  // RFC 4034 §3.1.3).
  int labels = -1;
};

// Appends the RRSIG RDATA signing `rrset` with `key` to `out` (cleared
// first). False when the RRset is malformed or signing fails.
[[nodiscard]] bool sign_rrset(const RrsetRef& rrset, const RrsigFields& fields,
                              const PrivateKey& key, std::vector<uint8_t>& out);

}  // namespace flatns::dns
