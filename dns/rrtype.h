// RR type and class numbers (IANA "Resource Record (RR) TYPEs") and their
// mnemonics, with the RFC 3597 TYPEnnn / CLASSnnn forms for the rest.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace flatns::dns {

namespace rrtype {
inline constexpr uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, HINFO = 13, MX = 15,
                          TXT = 16, AAAA = 28, SRV = 33, NAPTR = 35, DNAME = 39, OPT = 41,
                          DS = 43, SSHFP = 44, RRSIG = 46, NSEC = 47, DNSKEY = 48, NSEC3 = 50,
                          NSEC3PARAM = 51, TLSA = 52, CDS = 59, CDNSKEY = 60, ZONEMD = 63,
                          SVCB = 64, HTTPS = 65,
                          NXNAME = 128,  // RFC 9824 §2: meta type, only in compact-denial NSEC bitmaps
                          IXFR = 251, AXFR = 252, ANY = 255, CAA = 257;
// Flattening records: accepted in zone files, never sent on the wire.
// ALIAS uses the private-use number PowerDNS uses; ANAME the number of
// draft-ietf-dnsop-aname.
inline constexpr uint16_t ANAME = 65305, ALIAS = 65401;
}  // namespace rrtype

namespace rrclass {
inline constexpr uint16_t IN = 1, CH = 3, HS = 4, NONE = 254, ANY = 255;
}

// "A", "NSEC3", ..., or "TYPE65534" for types without a mnemonic.
[[nodiscard]] std::string type_to_text(uint16_t type);
// Accepts mnemonics (case-insensitive) and TYPEnnn.
[[nodiscard]] bool type_from_text(std::string_view text, uint16_t& type);
[[nodiscard]] std::string class_to_text(uint16_t cls);
[[nodiscard]] bool class_from_text(std::string_view text, uint16_t& cls);

// Meta and question-only types (RFC 6895 §3.1) that cannot appear in zone data.
[[nodiscard]] constexpr bool is_meta_type(uint16_t t) {
  return t == rrtype::OPT || (t >= 128 && t <= 255);
}
// DNSSEC types that are only returned with DO=1 unless asked for (RFC 4035 §3.1).
[[nodiscard]] constexpr bool is_dnssec_type(uint16_t t) {
  return t == rrtype::RRSIG || t == rrtype::NSEC || t == rrtype::NSEC3;
}

}  // namespace flatns::dns
