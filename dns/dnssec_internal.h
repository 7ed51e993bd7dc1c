// Helpers shared by the dnssec*.cpp files; not part of the public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/name.h"

namespace flatns::dns::dnssec_detail {

// Length of the uncompressed wire name at the start of `data`, or 0 when it
// is malformed (no root label, a label over 63 octets or a compression
// pointer, longer than 255 octets).
inline std::size_t wire_name_length(std::span<const uint8_t> data) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    const uint8_t len = data[pos];
    if (len > kMaxLabelLength) return 0;
    pos += 1 + len;
    if (pos > kMaxNameLength) return 0;
    if (len == 0) return pos;
  }
  return 0;
}

// True when `name` is exactly one well-formed uncompressed wire name.
inline bool is_wire_name(NameView name) {
  return !name.empty() && wire_name_length(name) == name.size();
}

// Copies `name` (checked with is_wire_name) lowercased into `out`.
inline void lowercase_copy(NameView name, NameBuffer& out) {
  out.assign(name);
  lowercase_name({out.bytes.data(), out.length});
}

}  // namespace flatns::dns::dnssec_detail
