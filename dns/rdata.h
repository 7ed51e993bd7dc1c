// RDATA codecs for every RR type flatns knows (RFC 1035, 3596, 2782, 3403,
// 6672, 4034, 5155, 6698, 4255, 8659, 9460, 7344, 8976, 1183, 1876, 4398,
// 3123, 6742, 7043, 7553, and RFC 3597 generic form for the rest):
// presentation <-> wire, compression on output for NS, CNAME, SOA, PTR and MX
// only (RFC 3597 §4), canonical form (RFC 4034 §6.2 as amended by RFC 6840
// §5.1). The per-type descriptor table is in rdata.cpp.
//
// RDATA is always stored uncompressed, as it appears in canonical form except
// for name case (case is preserved until canonicalize is called).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "dns/wire.h"

namespace flatns::dns {

// One presentation-form field as the zone-file scanner found it: raw text
// with escapes still in it, and whether it was in double quotes.
struct TextToken {
  std::string_view text;
  bool quoted = false;
};

// Parses the RDATA fields of one record. Relative names complete with
// `origin`. `\# len hex` generic form is accepted for every type. On error,
// `error` says which field and why (e.g. "MX preference: '70000' is not a
// 16-bit number").
[[nodiscard]] bool rdata_from_text(uint16_t type, std::span<const TextToken> tokens,
                                   const Name& origin, std::vector<uint8_t>& out,
                                   std::string& error);

// Presentation form of RDATA (as dig/kdig print it, names absolute).
// Types without a specific format print in RFC 3597 generic form.
[[nodiscard]] std::string rdata_to_text(uint16_t type, std::span<const uint8_t> rdata);

// Reads `rdlength` octets of RDATA at `offset` in `message`, expanding
// compressed names, and appends the uncompressed form to `out`.
// False when the RDATA is malformed for its type; `out` is then unchanged.
[[nodiscard]] bool rdata_from_wire(uint16_t type, std::span<const uint8_t> message,
                                   std::size_t offset, uint16_t rdlength,
                                   std::vector<uint8_t>& out);

// Checks that stored RDATA is well-formed for its type.
[[nodiscard]] bool rdata_is_valid(uint16_t type, std::span<const uint8_t> rdata);

// Writes RDATA (without the RDLENGTH field), compressing embedded names where
// RFC 3597 §4 allows it (NS, CNAME, SOA, PTR, MX). False on overflow.
[[nodiscard]] bool rdata_write(uint16_t type, std::span<const uint8_t> rdata, WireWriter& w);

// Lowercases embedded names of the types listed in RFC 4034 §6.2 (as amended
// by RFC 6840 §5.1).
void rdata_canonicalize(uint16_t type, std::span<uint8_t> rdata);
// Whether `type` has such names: its canonical form depends on reading them.
[[nodiscard]] bool rdata_has_canonical_names(uint16_t type);

// The name that triggers additional-section processing or chasing:
// NS/CNAME/DNAME/PTR target, MX exchange, SRV target, ALIAS/ANAME target.
[[nodiscard]] std::optional<NameView> rdata_target_name(uint16_t type,
                                                        std::span<const uint8_t> rdata);

// The five numbers that end SOA RDATA (RFC 1035 §3.3.13), after MNAME and
// RNAME.
struct SoaNumbers {
  uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};
// Read from stored (uncompressed) SOA RDATA; nothing when it is too short to
// hold them. Allocates nothing (used on the answer path for negative TTLs).
[[nodiscard]] constexpr std::optional<SoaNumbers> soa_numbers(std::span<const uint8_t> rdata) {
  if (rdata.size() < 20) return std::nullopt;
  const std::size_t at = rdata.size() - 20;
  return SoaNumbers{read_u32(rdata, at), read_u32(rdata, at + 4), read_u32(rdata, at + 8),
                    read_u32(rdata, at + 12), read_u32(rdata, at + 16)};
}

}  // namespace flatns::dns
