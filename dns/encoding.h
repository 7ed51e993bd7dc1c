// Binary-to-text encodings used in presentation formats (RFC 4648): base64
// (DNSKEY, RRSIG, ...), base32 with the "extended hex" alphabet (NSEC3 hashed
// owner names, RFC 5155 §3.3) and base16 (DS digests, salts, RFC 3597 generic
// RDATA). Decoders append to `out` and return false on any invalid input,
// leaving `out` in an unspecified state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flatns::dns {

// Standard alphabet with '=' padding, no line breaks.
[[nodiscard]] std::string base64_encode(std::span<const uint8_t> data);
// Accepts padded input and, as BIND and Knot do, input whose final padding is
// omitted. Whitespace is not accepted (callers join tokens first).
[[nodiscard]] bool base64_decode(std::string_view text, std::vector<uint8_t>& out);

// Uppercase "0-9A-V" alphabet without padding (the form used in NSEC3 owner
// names and RDATA).
[[nodiscard]] std::string base32hex_encode(std::span<const uint8_t> data);
// Case-insensitive; trailing '=' padding is accepted but not required.
[[nodiscard]] bool base32hex_decode(std::string_view text, std::vector<uint8_t>& out);

// Uppercase hex digits, as dig and kdig print digests.
[[nodiscard]] std::string hex_encode(std::span<const uint8_t> data);
// Case-insensitive; the number of digits must be even.
[[nodiscard]] bool hex_decode(std::string_view text, std::vector<uint8_t>& out);

}  // namespace flatns::dns
