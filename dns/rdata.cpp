// The per-type descriptor table and the public RDATA entry points; the field
// codecs live in rdata_text.cpp, rdata_svcb.cpp (SVCB/HTTPS) and rdata_misc.cpp
// (LOC, CERT, APL, EUI, ILNP, IPSECKEY).
#include "dns/rdata.h"

#include <algorithm>

#include "dns/encoding.h"
#include "dns/rdata_fields.h"
#include "dns/rrtype.h"
#include "dns/type_bitmap.h"

namespace flatns::dns {

namespace rdata_detail {
namespace {

using F = Field;

constexpr FieldSpec kAFields[] = {{F::kIPv4, "address"}};
constexpr FieldSpec kNSFields[] = {{F::kNameCompressed, "name server"}};
constexpr FieldSpec kTargetCompressed[] = {{F::kNameCompressed, "target"}};
constexpr FieldSpec kTargetCanonical[] = {{F::kNameCanonical, "target"}};
constexpr FieldSpec kTargetKeepCase[] = {{F::kName, "target"}};
constexpr FieldSpec kSOAFields[] = {
    {F::kNameCompressed, "primary server"}, {F::kNameCompressed, "mailbox"},
    {F::kU32, "serial"},   {F::kPeriod, "refresh"}, {F::kPeriod, "retry"},
    {F::kPeriod, "expire"}, {F::kPeriod, "minimum"}};
constexpr FieldSpec kMailboxFields[] = {{F::kNameCanonical, "mailbox"}};
constexpr FieldSpec kHINFOFields[] = {{F::kCharString, "cpu"}, {F::kCharString, "os"}};
constexpr FieldSpec kMINFOFields[] = {{F::kNameCanonical, "responsible mailbox"},
                                      {F::kNameCanonical, "error mailbox"}};
constexpr FieldSpec kMXFields[] = {{F::kU16, "preference"}, {F::kNameCompressed, "exchange"}};
constexpr FieldSpec kTXTFields[] = {{F::kCharStrings, "text"}};
constexpr FieldSpec kRPFields[] = {{F::kNameCanonical, "mailbox"},
                                   {F::kNameCanonical, "text domain"}};
constexpr FieldSpec kAFSDBFields[] = {{F::kU16, "subtype"}, {F::kNameCanonical, "hostname"}};
constexpr FieldSpec kPreferenceHost[] = {{F::kU16, "preference"}, {F::kNameCanonical, "host"}};
constexpr FieldSpec kSIGFields[] = {
    {F::kType, "type covered"}, {F::kAlgorithm, "algorithm"},  {F::kU8, "labels"},
    {F::kU32, "original TTL"},  {F::kTime, "expiration"},      {F::kTime, "inception"},
    {F::kU16, "key tag"},       {F::kNameCanonical, "signer"}, {F::kBase64, "signature"}};
constexpr FieldSpec kKEYFields[] = {{F::kU16, "flags"},
                                    {F::kU8, "protocol"},
                                    {F::kAlgorithm, "algorithm"},
                                    {F::kBase64, "public key"}};
constexpr FieldSpec kPXFields[] = {{F::kU16, "preference"},
                                   {F::kNameCanonical, "map822"},
                                   {F::kNameCanonical, "mapx400"}};
constexpr FieldSpec kAAAAFields[] = {{F::kIPv6, "address"}};
constexpr FieldSpec kSRVFields[] = {{F::kU16, "priority"},
                                    {F::kU16, "weight"},
                                    {F::kU16, "port"},
                                    {F::kNameCanonical, "target"}};
constexpr FieldSpec kNAPTRFields[] = {{F::kU16, "order"},          {F::kU16, "preference"},
                                      {F::kCharString, "flags"},   {F::kCharString, "services"},
                                      {F::kCharString, "regexp"},  {F::kNameCanonical, "replacement"}};
constexpr FieldSpec kDSFields[] = {{F::kU16, "key tag"},
                                   {F::kAlgorithm, "algorithm"},
                                   {F::kU8, "digest type"},
                                   {F::kHex, "digest"}};
constexpr FieldSpec kSSHFPFields[] = {
    {F::kU8, "algorithm"}, {F::kU8, "fingerprint type"}, {F::kHex, "fingerprint"}};
constexpr FieldSpec kNSECFields[] = {{F::kName, "next name"}, {F::kTypeBitmap, "type"}};
constexpr FieldSpec kBase64Only[] = {{F::kBase64, "data"}};
constexpr FieldSpec kNSEC3Fields[] = {{F::kU8, "hash algorithm"}, {F::kU8, "flags"},
                                      {F::kU16, "iterations"},    {F::kSalt, "salt"},
                                      {F::kHash, "next hashed owner"}, {F::kTypeBitmap, "type"}};
constexpr FieldSpec kNSEC3PARAMFields[] = {
    {F::kU8, "hash algorithm"}, {F::kU8, "flags"}, {F::kU16, "iterations"}, {F::kSalt, "salt"}};
constexpr FieldSpec kTLSAFields[] = {{F::kU8, "usage"},
                                     {F::kU8, "selector"},
                                     {F::kU8, "matching type"},
                                     {F::kHex, "certificate data"}};
constexpr FieldSpec kCSYNCFields[] = {
    {F::kU32, "serial"}, {F::kU16, "flags"}, {F::kTypeBitmap, "type"}};
constexpr FieldSpec kZONEMDFields[] = {{F::kU32, "serial"},
                                       {F::kU8, "scheme"},
                                       {F::kU8, "hash algorithm"},
                                       {F::kHex, "digest"}};
constexpr FieldSpec kSVCBFields[] = {
    {F::kU16, "priority"}, {F::kName, "target"}, {F::kSvcParams, "parameters"}};
constexpr FieldSpec kURIFields[] = {
    {F::kU16, "priority"}, {F::kU16, "weight"}, {F::kQuotedRest, "target"}};
constexpr FieldSpec kIPSECKEYFields[] = {{F::kU8, "precedence"},
                                         {F::kU8, "gateway type"},
                                         {F::kU8, "algorithm"},
                                         {F::kIpsecGateway, "gateway"},
                                         {F::kBase64Optional, "public key"}};
constexpr FieldSpec kLOCFields[] = {{F::kLoc, "location"}};
constexpr FieldSpec kCERTFields[] = {{F::kCertType, "type"},
                                     {F::kU16, "key tag"},
                                     {F::kCertAlgorithm, "algorithm"},
                                     {F::kBase64, "certificate"}};
constexpr FieldSpec kAPLFields[] = {{F::kApl, "item"}};
constexpr FieldSpec kDSYNCFields[] = {
    {F::kType, "type"}, {F::kU8, "scheme"}, {F::kU16, "port"}, {F::kName, "target"}};
constexpr FieldSpec kNIDFields[] = {{F::kU16, "preference"}, {F::kLocator64, "node id"}};
constexpr FieldSpec kL32Fields[] = {{F::kU16, "preference"}, {F::kIPv4, "locator"}};
constexpr FieldSpec kL64Fields[] = {{F::kU16, "preference"}, {F::kLocator64, "locator"}};
constexpr FieldSpec kLPFields[] = {{F::kU16, "preference"}, {F::kName, "fqdn"}};
constexpr FieldSpec kEUI48Fields[] = {{F::kEui48, "address"}};
constexpr FieldSpec kEUI64Fields[] = {{F::kEui64, "address"}};
constexpr FieldSpec kCAAFields[] = {
    {F::kU8, "flags"}, {F::kCaaTag, "tag"}, {F::kQuotedRest, "value"}};

// Sorted by type number (find_type_spec searches it by bisection).
constexpr TypeSpec kTypeSpecs[] = {
    {rrtype::A, false, kAFields},
    {rrtype::NS, true, kNSFields},
    {3, true, kTargetCanonical},  // MD
    {4, true, kTargetCanonical},  // MF
    {rrtype::CNAME, true, kTargetCompressed},
    {rrtype::SOA, true, kSOAFields},
    {7, true, kMailboxFields},  // MB
    {8, true, kMailboxFields},  // MG
    {9, true, kMailboxFields},  // MR
    {rrtype::PTR, true, kTargetCompressed},
    {rrtype::HINFO, false, kHINFOFields},
    {14, true, kMINFOFields},  // MINFO
    {rrtype::MX, true, kMXFields},
    {rrtype::TXT, false, kTXTFields},
    {17, true, kRPFields},         // RP
    {18, true, kAFSDBFields},      // AFSDB
    {21, true, kPreferenceHost},   // RT
    {24, true, kSIGFields},        // SIG
    {25, false, kKEYFields},       // KEY
    {26, true, kPXFields},         // PX
    {rrtype::AAAA, false, kAAAAFields},
    {29, false, kLOCFields},  // LOC
    {rrtype::SRV, true, kSRVFields},
    {rrtype::NAPTR, true, kNAPTRFields},
    {36, false, kPreferenceHost},  // KX
    {37, false, kCERTFields},      // CERT
    {rrtype::DNAME, false, kTargetCanonical},
    {42, false, kAPLFields},  // APL
    {rrtype::DS, false, kDSFields},
    {rrtype::SSHFP, false, kSSHFPFields},
    {45, false, kIPSECKEYFields},  // IPSECKEY
    {rrtype::RRSIG, false, kSIGFields},
    {rrtype::NSEC, false, kNSECFields},
    {rrtype::DNSKEY, false, kKEYFields},
    {49, false, kBase64Only},  // DHCID
    {rrtype::NSEC3, false, kNSEC3Fields},
    {rrtype::NSEC3PARAM, false, kNSEC3PARAMFields},
    {rrtype::TLSA, false, kTLSAFields},
    {53, false, kTLSAFields},  // SMIMEA
    {rrtype::CDS, false, kDSFields},
    {rrtype::CDNSKEY, false, kKEYFields},
    {61, false, kBase64Only},  // OPENPGPKEY
    {62, false, kCSYNCFields},  // CSYNC
    {rrtype::ZONEMD, false, kZONEMDFields},
    {rrtype::SVCB, false, kSVCBFields},
    {rrtype::HTTPS, false, kSVCBFields},
    {66, false, kDSYNCFields},  // DSYNC
    {99, false, kTXTFields},    // SPF
    {104, false, kNIDFields},   // NID
    {105, false, kL32Fields},   // L32
    {106, false, kL64Fields},   // L64
    {107, false, kLPFields},    // LP
    {108, false, kEUI48Fields},  // EUI48
    {109, false, kEUI64Fields},  // EUI64
    {256, false, kURIFields},  // URI
    {rrtype::CAA, false, kCAAFields},
    {rrtype::ANAME, false, kTargetKeepCase},
    {rrtype::ALIAS, false, kTargetKeepCase},
};

static_assert(std::is_sorted(std::begin(kTypeSpecs), std::end(kTypeSpecs),
                             [](const TypeSpec& a, const TypeSpec& b) { return a.type < b.type; }));

bool name_length(std::span<const uint8_t> rdata, std::size_t pos, std::size_t& length) {
  std::size_t p = pos;
  while (true) {
    if (p >= rdata.size()) return false;
    const uint8_t len = rdata[p];
    if (len > kMaxLabelLength) return false;  // also rejects compression pointers
    p += 1 + len;
    if (p - pos > kMaxNameLength) return false;
    if (len == 0) break;
  }
  length = p - pos;
  return true;
}

}  // namespace

const TypeSpec* find_type_spec(uint16_t type) {
  const auto it = std::lower_bound(std::begin(kTypeSpecs), std::end(kTypeSpecs), type,
                                   [](const TypeSpec& s, uint16_t t) { return s.type < t; });
  return it != std::end(kTypeSpecs) && it->type == type ? &*it : nullptr;
}

bool is_rest_field(Field kind) {
  switch (kind) {
    case F::kCharStrings:
    case F::kBase64:
    case F::kHex:
    case F::kTypeBitmap:
    case F::kQuotedRest:
    case F::kSvcParams:
    case F::kLoc:
    case F::kApl:
    case F::kBase64Optional:
      return true;
    default:
      return false;
  }
}

bool is_name_field(Field kind) {
  return kind == F::kNameCompressed || kind == F::kNameCanonical || kind == F::kName;
}

bool field_length(Field kind, std::span<const uint8_t> rdata, std::size_t pos,
                  std::size_t& length) {
  const std::size_t left = pos <= rdata.size() ? rdata.size() - pos : 0;
  auto fixed = [&](std::size_t n) {
    length = n;
    return left >= n;
  };
  switch (kind) {
    case F::kNameCompressed:
    case F::kNameCanonical:
    case F::kName:
      return name_length(rdata, pos, length);
    case F::kU8:
    case F::kAlgorithm:
      return fixed(1);
    case F::kU16:
    case F::kType:
      return fixed(2);
    case F::kU32:
    case F::kPeriod:
    case F::kTime:
    case F::kIPv4:
      return fixed(4);
    case F::kIPv6:
      return fixed(16);
    case F::kCharString:
    case F::kSalt:
      return left >= 1 && fixed(1 + rdata[pos]);
    case F::kHash:
      return left >= 1 && rdata[pos] > 0 && fixed(1 + rdata[pos]);
    case F::kCaaTag:
      if (left < 1 || rdata[pos] == 0 || !fixed(1 + rdata[pos])) return false;
      for (std::size_t i = 1; i < length; ++i) {
        const uint8_t c = rdata[pos + i];
        const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum) return false;
      }
      return true;
    case F::kCharStrings: {
      if (left == 0) return false;
      std::size_t p = pos;
      while (p < rdata.size()) p += 1 + rdata[p];
      length = left;
      return p == rdata.size();
    }
    case F::kBase64:
    case F::kHex:
      length = left;
      return left > 0;
    case F::kQuotedRest:
      length = left;
      return true;
    case F::kTypeBitmap:
      length = left;
      return type_bitmap_valid(rdata.subspan(pos));
    case F::kSvcParams:
      length = left;
      return svc_params_valid(rdata.subspan(pos));
    case F::kCertAlgorithm:
      return fixed(1);
    case F::kLoc:
    case F::kEui48:
    case F::kEui64:
    case F::kLocator64:
    case F::kCertType:
    case F::kApl:
    case F::kIpsecGateway:
      return misc_field_length(kind, rdata, pos, length);
    case F::kBase64Optional:
      length = left;
      return true;
  }
  return false;
}

}  // namespace rdata_detail

using namespace rdata_detail;

namespace {

// Calls fn(kind, field octets) for each field; false when the RDATA is not
// well-formed for the descriptor.
template <typename Fn>
bool for_each_field(const TypeSpec& spec, std::span<const uint8_t> rdata, Fn&& fn) {
  std::size_t pos = 0;
  for (const FieldSpec& f : spec.fields) {
    std::size_t length = 0;
    if (!field_length(f.kind, rdata, pos, length)) return false;
    // An IPSECKEY gateway is read with its gateway type (two octets before).
    const std::size_t back = f.kind == Field::kIpsecGateway ? 2 : 0;
    if (!fn(f.kind, rdata.subspan(pos - back, length + back))) return false;
    pos += length;
  }
  return pos == rdata.size();
}

std::string generic_to_text(std::span<const uint8_t> rdata) {
  std::string out = "\\# " + std::to_string(rdata.size());
  if (!rdata.empty()) out += " " + hex_encode(rdata);
  return out;
}

bool generic_from_text(uint16_t type, std::span<const TextToken> tokens,
                       std::vector<uint8_t>& out, std::string& error) {
  const std::string type_name = type_to_text(type);
  if (tokens.size() < 2) {
    error = type_name + ": generic RDATA '\\#' needs a length";
    return false;
  }
  const std::string_view length_text = tokens[1].text;
  unsigned long length = 0;
  bool number = !length_text.empty() && length_text.size() <= 5;
  for (char c : length_text) {
    if (c < '0' || c > '9') number = false;
  }
  if (number) length = std::stoul(std::string(length_text));
  if (!number || length > 65535) {
    error = type_name + ": generic RDATA length '" + std::string(length_text) +
            "' is not a number from 0 to 65535";
    return false;
  }
  std::string hex;
  for (std::size_t i = 2; i < tokens.size(); ++i) hex.append(tokens[i].text);
  out.clear();
  if (!hex_decode(hex, out)) {
    error = type_name + ": generic RDATA '" + hex + "' is not hexadecimal";
    return false;
  }
  if (out.size() != length) {
    error = type_name + ": generic RDATA has " + std::to_string(out.size()) +
            " octets but its length says " + std::to_string(length);
    return false;
  }
  if (find_type_spec(type) != nullptr && !rdata_is_valid(type, out)) {
    error = type_name + ": generic RDATA is not valid " + type_name + " data";
    return false;
  }
  return true;
}

}  // namespace

bool rdata_from_text(uint16_t type, std::span<const TextToken> tokens, const Name& origin,
                     std::vector<uint8_t>& out, std::string& error) {
  if (!tokens.empty() && !tokens[0].quoted && tokens[0].text == "\\#") {
    return generic_from_text(type, tokens, out, error);
  }
  if (is_meta_type(type)) {
    error = type_to_text(type) + " is a meta-type and cannot appear in zone data";
    return false;
  }
  const TypeSpec* spec = find_type_spec(type);
  if (spec == nullptr) {
    error = type_to_text(type) + ": a type without a known format needs RFC 3597 generic RDATA "
            "('\\# length hex')";
    return false;
  }
  out.clear();
  std::size_t next = 0;
  for (const FieldSpec& f : spec->fields) {
    const FieldName what{type, spec->fields.size() == 1 ? std::string_view() : f.label};
    if (next >= tokens.size() && f.kind != Field::kTypeBitmap && f.kind != Field::kSvcParams &&
        f.kind != Field::kApl && f.kind != Field::kBase64Optional) {
      error = type_to_text(type) + ": missing " + std::string(f.label);
      return false;
    }
    if (!field_from_text(f.kind, what, tokens, next, origin, out, error)) return false;
  }
  if (next < tokens.size()) {
    error = type_to_text(type) + ": unexpected '" + std::string(tokens[next].text) +
            "' after the last field";
    return false;
  }
  if (out.size() > 65535) {
    error = type_to_text(type) + ": RDATA longer than 65535 octets";
    return false;
  }
  return true;
}

std::string rdata_to_text(uint16_t type, std::span<const uint8_t> rdata) {
  const TypeSpec* spec = find_type_spec(type);
  if (spec == nullptr) return generic_to_text(rdata);
  std::string out;
  const bool ok = for_each_field(*spec, rdata, [&](Field kind, std::span<const uint8_t> field) {
    // An empty type bitmap or SvcParams list prints nothing, not a lone space.
    std::string text;
    field_to_text(kind, field, text);
    if (!out.empty() && !text.empty()) out.push_back(' ');
    out += text;
    return true;
  });
  return ok ? out : generic_to_text(rdata);
}

bool rdata_is_valid(uint16_t type, std::span<const uint8_t> rdata) {
  if (rdata.size() > 65535) return false;
  const TypeSpec* spec = find_type_spec(type);
  if (spec == nullptr) return true;
  return for_each_field(*spec, rdata, [](Field, std::span<const uint8_t>) { return true; });
}

bool rdata_from_wire(uint16_t type, std::span<const uint8_t> message, std::size_t offset,
                     uint16_t rdlength, std::vector<uint8_t>& out) {
  if (offset > message.size() || message.size() - offset < rdlength) return false;
  const std::size_t end = offset + rdlength;
  const std::span<const uint8_t> rdata = message.subspan(offset, rdlength);
  const TypeSpec* spec = find_type_spec(type);
  if (spec == nullptr || !spec->decompress_on_input) {
    if (!rdata_is_valid(type, rdata)) return false;
    out.insert(out.end(), rdata.begin(), rdata.end());
    return true;
  }
  // Names may be compressed: expand them, copy everything else. On failure
  // `out` is left as it was.
  const std::size_t start_size = out.size();
  const auto fail = [&] {
    out.resize(start_size);
    return false;
  };
  WireReader reader(message.first(end), offset);
  for (const FieldSpec& f : spec->fields) {
    if (is_name_field(f.kind)) {
      NameBuffer name;
      if (!reader.name(name)) return fail();
      out.insert(out.end(), name.bytes.begin(), name.bytes.begin() + name.length);
      continue;
    }
    std::size_t length = 0;
    if (!field_length(f.kind, message.first(end), reader.pos(), length)) return fail();
    std::span<const uint8_t> bytes;
    if (!reader.bytes(length, bytes)) return fail();
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
  if (reader.pos() != end || out.size() - start_size > 65535) return fail();
  return true;
}

bool rdata_write(uint16_t type, std::span<const uint8_t> rdata, WireWriter& w) {
  const TypeSpec* spec = find_type_spec(type);
  // Most types have nothing to compress: copy without walking the fields.
  const bool compresses =
      spec != nullptr && std::any_of(spec->fields.begin(), spec->fields.end(), [](const FieldSpec& f) {
        return f.kind == Field::kNameCompressed;
      });
  if (!compresses) return w.bytes(rdata);
  std::size_t pos = 0;
  for (const FieldSpec& f : spec->fields) {
    std::size_t length = 0;
    if (!field_length(f.kind, rdata, pos, length)) return w.bytes(rdata.subspan(pos));
    const auto field = rdata.subspan(pos, length);
    const bool ok = f.kind == Field::kNameCompressed ? w.name(field, true) : w.bytes(field);
    if (!ok) return false;
    pos += length;
  }
  return w.bytes(rdata.subspan(pos));
}

void rdata_canonicalize(uint16_t type, std::span<uint8_t> rdata) {
  const TypeSpec* spec = find_type_spec(type);
  if (spec == nullptr) return;
  std::size_t pos = 0;
  for (const FieldSpec& f : spec->fields) {
    std::size_t length = 0;
    if (!field_length(f.kind, rdata, pos, length)) return;
    if (f.kind == Field::kNameCompressed || f.kind == Field::kNameCanonical) {
      lowercase_name(rdata.subspan(pos, length));
    }
    pos += length;
  }
}

bool rdata_has_canonical_names(uint16_t type) {
  const TypeSpec* spec = find_type_spec(type);
  return spec != nullptr && std::any_of(spec->fields.begin(), spec->fields.end(), [](const FieldSpec& f) {
           return f.kind == Field::kNameCompressed || f.kind == Field::kNameCanonical;
         });
}

std::optional<NameView> rdata_target_name(uint16_t type, std::span<const uint8_t> rdata) {
  std::size_t skip = 0;  // octets before the name
  switch (type) {
    case rrtype::NS:
    case rrtype::CNAME:
    case rrtype::DNAME:
    case rrtype::PTR:
    case rrtype::ALIAS:
    case rrtype::ANAME:
      break;
    case rrtype::MX:
      skip = 2;
      break;
    case rrtype::SRV:
      skip = 6;
      break;
    default:
      return std::nullopt;
  }
  std::size_t length = 0;
  if (!field_length(Field::kName, rdata, skip, length)) return std::nullopt;
  return rdata.subspan(skip, length);
}

}  // namespace flatns::dns
