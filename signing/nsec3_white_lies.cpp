#include "signing/nsec3_white_lies.h"

#include <algorithm>
#include <cstring>

namespace flatns::signing {

dns::Nsec3Hash hash_before(const dns::Nsec3Hash& h) {
  dns::Nsec3Hash out = h;
  for (std::size_t i = out.size(); i-- > 0;) {
    if (out[i]-- != 0) break;  // no borrow past a non-zero octet
  }
  return out;
}

dns::Nsec3Hash hash_after(const dns::Nsec3Hash& h) {
  dns::Nsec3Hash out = h;
  for (std::size_t i = out.size(); i-- > 0;) {
    if (++out[i] != 0) break;  // no carry past an octet that did not wrap
  }
  return out;
}

bool nsec3_owner(const dns::Nsec3Hash& hash, dns::NameView apex, dns::NameBuffer& out) {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuv";
  constexpr std::size_t kLabel = 32;  // 160 bits in 5-bit groups, no padding
  if (1 + kLabel + apex.size() > dns::kMaxNameLength) return false;
  out.bytes[0] = kLabel;
  for (std::size_t i = 0; i < kLabel; ++i) {
    const std::size_t bit = i * 5, octet = bit / 8, shift = bit % 8;
    unsigned v = static_cast<unsigned>(hash[octet]) << 8 | (octet + 1 < hash.size() ? hash[octet + 1] : 0);
    v = (v >> (11 - shift)) & 31;
    out.bytes[1 + i] = static_cast<uint8_t>(kAlphabet[v]);
  }
  std::memcpy(out.bytes.data() + 1 + kLabel, apex.data(), apex.size());
  dns::lowercase_name({out.bytes.data() + 1 + kLabel, apex.size()});
  out.length = static_cast<uint8_t>(1 + kLabel + apex.size());
  return true;
}

std::size_t nsec3_rdata(const dns::Nsec3Hash& next, std::span<uint16_t> types, std::span<uint8_t> out) {
  constexpr std::size_t kFixed = kNsec3ParamRdata.size() + 1 + dns::Nsec3Hash{}.size();
  if (out.size() < kFixed) return 0;
  // Algorithm, flags, iterations, salt length 0, hash length, next hash.
  std::memcpy(out.data(), kNsec3ParamRdata.data(), kNsec3ParamRdata.size());
  out[5] = static_cast<uint8_t>(next.size());
  std::memcpy(out.data() + 6, next.data(), next.size());
  std::size_t pos = kFixed;
  std::sort(types.begin(), types.end());
  // RFC 5155 §3.2.1 (as RFC 4034 §4.1.2): per window, its number, the
  // length of its bitmap and the bitmap up to the last type present.
  for (std::size_t i = 0; i < types.size();) {
    const uint8_t window = static_cast<uint8_t>(types[i] >> 8);
    uint8_t bits[32] = {};
    std::size_t length = 0;
    for (; i < types.size() && (types[i] >> 8) == window; ++i) {
      const uint8_t low = static_cast<uint8_t>(types[i]);
      bits[low / 8] |= static_cast<uint8_t>(0x80 >> (low % 8));
      length = std::max<std::size_t>(length, low / 8 + 1u);
    }
    if (pos + 2 + length > out.size()) return 0;
    out[pos] = window;
    out[pos + 1] = static_cast<uint8_t>(length);
    std::memcpy(out.data() + pos + 2, bits, length);
    pos += 2 + length;
  }
  return pos;
}

}  // namespace flatns::signing
