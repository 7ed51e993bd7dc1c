#include "dns/type_bitmap.h"

#include <algorithm>

namespace flatns::dns {

bool type_bitmap_valid(std::span<const uint8_t> bitmap) {
  std::size_t pos = 0;
  int previous_window = -1;
  while (pos < bitmap.size()) {
    if (pos + 2 > bitmap.size()) return false;
    const int window = bitmap[pos];
    const std::size_t length = bitmap[pos + 1];
    if (window <= previous_window || length == 0 || length > 32) return false;
    if (pos + 2 + length > bitmap.size()) return false;
    // RFC 4034 §4.1.2: "Blocks with no types present MUST NOT be included" and
    // trailing zero octets must be omitted.
    if (bitmap[pos + 1 + length] == 0) return false;
    previous_window = window;
    pos += 2 + length;
  }
  return true;
}

void type_bitmap_encode(std::span<const uint16_t> types, std::vector<uint8_t>& out) {
  std::vector<uint16_t> sorted(types.begin(), types.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::size_t i = 0;
  while (i < sorted.size()) {
    const uint8_t window = static_cast<uint8_t>(sorted[i] >> 8);
    uint8_t bits[32] = {};
    std::size_t length = 0;
    for (; i < sorted.size() && (sorted[i] >> 8) == window; ++i) {
      const uint8_t low = static_cast<uint8_t>(sorted[i]);
      bits[low / 8] |= static_cast<uint8_t>(0x80 >> (low % 8));
      length = low / 8 + 1u;
    }
    out.push_back(window);
    out.push_back(static_cast<uint8_t>(length));
    out.insert(out.end(), bits, bits + length);
  }
}

std::vector<uint16_t> type_bitmap_types(std::span<const uint8_t> bitmap) {
  std::vector<uint16_t> types;
  std::size_t pos = 0;
  while (pos + 2 <= bitmap.size()) {
    const uint16_t window = bitmap[pos];
    const std::size_t length = bitmap[pos + 1];
    for (std::size_t octet = 0; octet < length && pos + 2 + octet < bitmap.size(); ++octet) {
      const uint8_t bits = bitmap[pos + 2 + octet];
      for (int bit = 0; bit < 8; ++bit) {
        if (bits & (0x80 >> bit)) {
          types.push_back(static_cast<uint16_t>(window << 8 | (octet * 8 + bit)));
        }
      }
    }
    pos += 2 + length;
  }
  return types;
}

bool type_bitmap_has(std::span<const uint8_t> bitmap, uint16_t type) {
  const uint8_t window = static_cast<uint8_t>(type >> 8);
  const uint8_t low = static_cast<uint8_t>(type);
  std::size_t pos = 0;
  while (pos + 2 <= bitmap.size()) {
    const std::size_t length = bitmap[pos + 1];
    if (bitmap[pos] == window) {
      const std::size_t octet = low / 8u;
      if (octet >= length || pos + 2 + octet >= bitmap.size()) return false;
      return (bitmap[pos + 2 + octet] & (0x80 >> (low % 8))) != 0;
    }
    if (bitmap[pos] > window) return false;
    pos += 2 + length;
  }
  return false;
}

}  // namespace flatns::dns
