// Type bit maps of NSEC, NSEC3 and CSYNC records (RFC 4034 §4.1.2,
// RFC 5155 §3.2.1): windows of up to 256 types, each "window number, bitmap
// length (1..32), bitmap", windows in ascending order, no empty trailing
// octets.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace flatns::dns {

// True when `bitmap` is a well-formed sequence of windows (an empty bitmap is
// well-formed: an NSEC3 record for an empty non-terminal has no types).
[[nodiscard]] bool type_bitmap_valid(std::span<const uint8_t> bitmap);
// Appends the bitmap for `types` (any order, duplicates allowed) to `out`.
void type_bitmap_encode(std::span<const uint16_t> types, std::vector<uint8_t>& out);
// The types present, ascending. Assumes a valid bitmap.
[[nodiscard]] std::vector<uint16_t> type_bitmap_types(std::span<const uint8_t> bitmap);
// Whether `type` is present. Assumes a valid bitmap; does not allocate.
[[nodiscard]] bool type_bitmap_has(std::span<const uint8_t> bitmap, uint16_t type);

}  // namespace flatns::dns
