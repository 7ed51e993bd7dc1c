// DNSKEY / RRSIG / DS field access, key tags, DS digests and validity windows.
#include <algorithm>

#include "dns/dnssec.h"
#include "dns/dnssec_internal.h"
#include "dns/wire.h"

namespace flatns::dns {

namespace {

using Bytes = std::span<const uint8_t>;
using dnssec_detail::is_wire_name;
using dnssec_detail::lowercase_copy;
using dnssec_detail::wire_name_length;

}  // namespace

bool parse_dnskey(Bytes rdata, DnskeyRdata& out) {
  WireReader r(rdata);
  if (!r.u16(out.flags) || !r.u8(out.protocol) || !r.u8(out.algorithm)) return false;
  out.public_key = rdata.subspan(4);
  return true;
}

bool parse_rrsig(Bytes rdata, RrsigRdata& out) {
  WireReader r(rdata);
  if (!r.u16(out.type_covered) || !r.u8(out.algorithm) || !r.u8(out.labels) ||
      !r.u32(out.original_ttl) || !r.u32(out.expiration) || !r.u32(out.inception) ||
      !r.u16(out.key_tag)) {
    return false;
  }
  std::size_t signer_len = wire_name_length(rdata.subspan(r.pos()));
  if (signer_len == 0) return false;
  out.signer = rdata.subspan(r.pos(), signer_len);
  out.signature = rdata.subspan(r.pos() + signer_len);
  return true;
}

bool parse_ds(Bytes rdata, DsRdata& out) {
  WireReader r(rdata);
  if (!r.u16(out.key_tag) || !r.u8(out.algorithm) || !r.u8(out.digest_type)) return false;
  out.digest = rdata.subspan(4);
  return true;
}

uint16_t key_tag(Bytes rdata) {
  if (rdata.size() < 4) return 0;
  if (rdata[3] == dnssec_alg::RSAMD5) {
    // B.1: the most significant 16 bits of the least significant 24 bits of
    // the modulus, which ends the RFC 3110 public key field.
    if (rdata.size() < 4 + 3) return 0;
    std::size_t n = rdata.size();
    return static_cast<uint16_t>(rdata[n - 3] << 8 | rdata[n - 2]);
  }
  uint64_t ac = 0;
  for (std::size_t i = 0; i < rdata.size(); ++i) {
    ac += (i & 1) ? rdata[i] : static_cast<uint64_t>(rdata[i]) << 8;
  }
  ac += (ac >> 16) & 0xFFFF;
  return static_cast<uint16_t>(ac & 0xFFFF);
}

bool ds_digest(NameView owner, Bytes dnskey_rdata, uint8_t digest_type, Digest& out) {
  DigestAlg alg;
  switch (digest_type) {
    case ds_digest_type::SHA1:
      alg = DigestAlg::sha1;
      break;
    case ds_digest_type::SHA256:
      alg = DigestAlg::sha256;
      break;
    case ds_digest_type::SHA384:
      alg = DigestAlg::sha384;
      break;
    default:
      return false;
  }
  if (dnskey_rdata.size() < 4 || !is_wire_name(owner)) return false;
  NameBuffer canonical;
  lowercase_copy(owner, canonical);
  const Bytes parts[] = {canonical.view(), dnskey_rdata};
  return sha_digest(alg, parts, out);
}

DsMatch ds_matches_dnskey(NameView owner, Bytes ds_rdata, Bytes dnskey_rdata) {
  DsRdata ds;
  DnskeyRdata key;
  if (!parse_ds(ds_rdata, ds) || !parse_dnskey(dnskey_rdata, key)) return DsMatch::malformed;
  if (ds.digest_type != ds_digest_type::SHA1 && ds.digest_type != ds_digest_type::SHA256 &&
      ds.digest_type != ds_digest_type::SHA384) {
    return DsMatch::unsupported_digest;
  }
  if (ds.algorithm != key.algorithm || ds.key_tag != key_tag(dnskey_rdata)) {
    return DsMatch::mismatch;
  }
  Digest d;
  if (!ds_digest(owner, dnskey_rdata, ds.digest_type, d)) return DsMatch::malformed;
  if (!std::ranges::equal(d.view(), ds.digest)) return DsMatch::mismatch;
  return DsMatch::match;
}

SignatureTime signature_time(uint32_t inception, uint32_t expiration, int64_t now) {
  // RFC 1982 §3.2: a < b when the 32-bit difference b - a, read as signed,
  // is positive. Only the low 32 bits of `now` matter.
  auto serial_less = [](uint32_t a, uint32_t b) { return static_cast<int32_t>(b - a) > 0; };
  const auto now32 = static_cast<uint32_t>(static_cast<uint64_t>(now));
  if (serial_less(now32, inception)) return SignatureTime::not_yet_valid;
  if (serial_less(expiration, now32)) return SignatureTime::expired;
  return SignatureTime::valid;
}

const char* to_string(SignatureTime t) {
  switch (t) {
    case SignatureTime::valid:
      return "signature valid";
    case SignatureTime::not_yet_valid:
      return "signature not yet valid (inception in the future)";
    case SignatureTime::expired:
      return "signature expired";
  }
  return "?";
}

const char* to_string(VerifyResult r) {
  switch (r) {
    case VerifyResult::ok:
      return "signature verified";
    case VerifyResult::unsupported_algorithm:
      return "unsupported DNSSEC algorithm";
    case VerifyResult::bad_key:
      return "DNSKEY public key does not decode";
    case VerifyResult::bad_signature:
      return "signature does not verify";
    case VerifyResult::malformed_rrsig:
      return "RRSIG RDATA is malformed";
    case VerifyResult::rrsig_mismatch:
      return "RRSIG does not cover this RRset";
    case VerifyResult::key_mismatch:
      return "DNSKEY does not match the RRSIG";
  }
  return "?";
}

}  // namespace flatns::dns
