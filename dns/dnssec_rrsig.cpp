// The data an RRSIG signs (RFC 4034 §3.1.8.1, §6.2, §6.3; RFC 4035 §5.3.2)
// and RRSIG verification against one DNSKEY (RFC 4035 §5.3.1, §5.3.3).
#include <algorithm>

#include "dns/dnssec.h"
#include "dns/dnssec_internal.h"
#include "dns/rdata.h"

namespace flatns::dns {

namespace {

using Bytes = std::span<const uint8_t>;
using dnssec_detail::is_wire_name;
using dnssec_detail::lowercase_copy;

constexpr std::size_t kRrsigFixedFields = 18;  // type covered .. key tag

}  // namespace

bool rrsig_signed_data(const RrsetRef& rrset, Bytes rrsig_rdata, std::vector<uint8_t>& out) {
  RrsigRdata sig;
  if (!parse_rrsig(rrsig_rdata, sig) || !is_wire_name(rrset.owner)) return false;
  const int owner_labels = label_count(rrset.owner);
  if (sig.labels > owner_labels) return false;

  // RRSIG RDATA without the signature, signer name lowercased.
  out.insert(out.end(), rrsig_rdata.begin(), rrsig_rdata.begin() + kRrsigFixedFields);
  NameBuffer signer;
  lowercase_copy(sig.signer, signer);
  out.insert(out.end(), signer.view().begin(), signer.view().end());

  // Owner in canonical form; "*." + the rightmost `labels` labels when the
  // answer was synthesised from a wildcard (RFC 4035 §5.3.2).
  NameBuffer owner;
  lowercase_copy(rrset.owner, owner);
  if (sig.labels < owner_labels) {
    const NameView closest = strip_labels(owner.view(), owner_labels - sig.labels);
    NameBuffer wildcard;
    wildcard.bytes[0] = 1;
    wildcard.bytes[1] = '*';
    std::copy(closest.begin(), closest.end(), wildcard.bytes.begin() + 2);
    wildcard.length = static_cast<uint8_t>(2 + closest.size());
    owner = wildcard;
  }

  // §6.3: records sorted by canonical RDATA as unsigned octet strings (a
  // prefix sorts first), duplicates removed (RFC 2181 §5).
  std::vector<std::vector<uint8_t>> rdatas;
  rdatas.reserve(rrset.rdatas.size());
  for (Bytes rd : rrset.rdatas) {
    if (rd.size() > 0xFFFF) return false;
    auto& canonical = rdatas.emplace_back(rd.begin(), rd.end());
    rdata_canonicalize(rrset.type, canonical);
  }
  std::sort(rdatas.begin(), rdatas.end());
  rdatas.erase(std::unique(rdatas.begin(), rdatas.end()), rdatas.end());

  for (const auto& rd : rdatas) {
    out.insert(out.end(), owner.view().begin(), owner.view().end());
    put_u16(out, rrset.type);
    put_u16(out, rrset.rrclass);
    put_u32(out, sig.original_ttl);
    put_u16(out, static_cast<uint16_t>(rd.size()));
    out.insert(out.end(), rd.begin(), rd.end());
  }
  return true;
}

VerifyResult verify_rrsig(const RrsetRef& rrset, Bytes rrsig_rdata, NameView dnskey_owner,
                          Bytes dnskey_rdata) {
  RrsigRdata sig;
  if (!parse_rrsig(rrsig_rdata, sig)) return VerifyResult::malformed_rrsig;
  if (!is_wire_name(rrset.owner) || sig.type_covered != rrset.type ||
      sig.labels > label_count(rrset.owner) || !is_subdomain(rrset.owner, sig.signer)) {
    return VerifyResult::rrsig_mismatch;
  }
  DnskeyRdata key;
  if (!parse_dnskey(dnskey_rdata, key)) return VerifyResult::bad_key;
  if (!is_wire_name(dnskey_owner) || !name_equal(dnskey_owner, sig.signer) ||
      key.algorithm != sig.algorithm || key_tag(dnskey_rdata) != sig.key_tag ||
      !(key.flags & kDnskeyFlagZone) || key.protocol != kDnskeyProtocol) {
    return VerifyResult::key_mismatch;
  }
  std::vector<uint8_t> data;
  if (!rrsig_signed_data(rrset, rrsig_rdata, data)) return VerifyResult::malformed_rrsig;
  return verify_signature(sig.algorithm, key.public_key, data, sig.signature);
}

}  // namespace flatns::dns
