// Internal to the RDATA codecs (rdata*.cpp): the field kinds that make up
// RDATA and the per-type descriptor table that drives the generic text, wire,
// validation and canonicalisation code. Not part of the public dns API.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "dns/rdata.h"

namespace flatns::dns::rdata_detail {

enum class Field : uint8_t {
  // Domain names, stored uncompressed.
  kNameCompressed,  // compressed on output (RFC 3597 §4), lowercased in canonical form
  kNameCanonical,   // never compressed, lowercased in canonical form (RFC 4034 §6.2)
  kName,            // never compressed, case kept in canonical form (NSEC, SVCB, ALIAS)
  kU8,
  kU16,
  kU32,
  kPeriod,      // u32 that also accepts TTL units in text ("1h30m"), SOA timers
  kAlgorithm,   // u8 DNSSEC algorithm, number or mnemonic in text
  kType,        // u16 RR type, printed as a mnemonic (RRSIG type covered)
  kTime,        // u32 seconds, YYYYMMDDHHmmSS (RFC 4034 §3.2)
  kIPv4,
  kIPv6,
  kCharString,   // one <character-string>, always printed quoted
  kCharStrings,  // one or more <character-string>s to the end (TXT)
  kBase64,       // base64 to the end, one or more octets
  kHex,          // hex to the end, one or more octets
  kSalt,         // length octet + hex, "-" when empty (NSEC3)
  kHash,         // length octet + base32hex (NSEC3 next hashed owner)
  kTypeBitmap,   // to the end (RFC 4034 §4.1.2)
  kCaaTag,       // length octet + letters/digits, printed bare (RFC 8659)
  kQuotedRest,   // octets to the end, printed as one quoted string (CAA value, URI)
  kSvcParams,    // SvcParams to the end (RFC 9460 §2.2)
  // Rarer types (rdata_misc.cpp).
  kLoc,            // the whole LOC RDATA (RFC 1876), text runs to the end
  kEui48,          // xx-xx-xx-xx-xx-xx (RFC 7043)
  kEui64,          // xx-xx-xx-xx-xx-xx-xx-xx
  kLocator64,      // xxxx:xxxx:xxxx:xxxx (RFC 6742 L64, NID)
  kCertType,       // u16 CERT type, mnemonic or number (RFC 4398 §2.1)
  kCertAlgorithm,  // u8 algorithm printed as a mnemonic when known, as BIND does for CERT
  kApl,            // APL items to the end (RFC 3123)
  kIpsecGateway,   // RFC 4025 gateway; its form depends on the octet two before it
  kBase64Optional, // base64 to the end, possibly empty (IPSECKEY public key)
};

struct FieldSpec {
  Field kind;
  std::string_view label;  // names the field in error messages
};

struct TypeSpec {
  uint16_t type;
  // Receivers decompress names in these types (RFC 3597 §4); in all others a
  // compression pointer inside RDATA is malformed.
  bool decompress_on_input;
  std::span<const FieldSpec> fields;
};

// The descriptor of a type with a specific format; nullptr for the rest.
[[nodiscard]] const TypeSpec* find_type_spec(uint16_t type);

// Length of the field of `kind` starting at `pos` of uncompressed RDATA, after
// checking it is well-formed. Fields that run to the end take the rest.
[[nodiscard]] bool field_length(Field kind, std::span<const uint8_t> rdata, std::size_t pos,
                                std::size_t& length);
[[nodiscard]] bool is_rest_field(Field kind);
[[nodiscard]] bool is_name_field(Field kind);

// Names a field in error messages: "MX preference", or just "AAAA" for a
// type with one field. Built only when there is an error to report.
struct FieldName {
  uint16_t type;
  std::string_view label;  // empty for single-field types
  [[nodiscard]] std::string text() const;
};

// Parses one field from tokens[next...], advancing `next`.
[[nodiscard]] bool field_from_text(Field kind, const FieldName& what,
                                   std::span<const TextToken> tokens, std::size_t& next,
                                   const Name& origin, std::vector<uint8_t>& out,
                                   std::string& error);
// Appends the presentation form of one well-formed field (for kIpsecGateway
// the span starts at the gateway type octet, two before the field).
void field_to_text(Field kind, std::span<const uint8_t> field, std::string& out);

// Decodes RFC 1035 §5.1 escapes (\X, \DDD) of a token's text.
[[nodiscard]] bool unescape_text(std::string_view text, std::string& out, std::string& why);
// Appends `octets` in double quotes with `"` `\` and non-printable octets escaped.
void append_quoted(std::span<const uint8_t> octets, std::string& out);

// Field kinds of rdata_misc.cpp.
[[nodiscard]] bool misc_field_length(Field kind, std::span<const uint8_t> rdata, std::size_t pos,
                                     std::size_t& length);
[[nodiscard]] bool misc_field_from_text(Field kind, const std::string& what,
                                        std::span<const TextToken> tokens, std::size_t& next,
                                        const Name& origin, std::vector<uint8_t>& out,
                                        std::string& error);
// For kIpsecGateway, `field` starts two octets early, at the gateway type.
void misc_field_to_text(Field kind, std::span<const uint8_t> field, std::string& out);
// DNSSEC algorithm mnemonics (rdata_text.cpp).
[[nodiscard]] bool algorithm_from_text(std::string_view text, uint8_t& number);
[[nodiscard]] std::string_view algorithm_to_text(uint8_t number);  // "" when unknown

// SvcParams (rdata_svcb.cpp).
[[nodiscard]] bool svc_params_valid(std::span<const uint8_t> params);
[[nodiscard]] bool svc_params_from_text(std::string_view what, std::span<const TextToken> tokens,
                                        std::size_t& next, std::vector<uint8_t>& out,
                                        std::string& error);
void svc_params_to_text(std::span<const uint8_t> params, std::string& out);

}  // namespace flatns::dns::rdata_detail
