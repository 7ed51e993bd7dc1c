#include "zones/zone_generate.h"

#include <charconv>

namespace flatns::zones {

namespace {

bool parse_u32(std::string_view text, uint32_t& value) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

void append_number(uint64_t value, unsigned width, char base, std::string& out) {
  char digits[80];
  int n = 0;
  if (base == 'n' || base == 'N') {
    const char* hex = base == 'n' ? "0123456789abcdef" : "0123456789ABCDEF";
    // Least significant nibble first, dot-separated; width counts the dots.
    unsigned nibbles = 0;
    do {
      digits[n++] = hex[value & 0xf];
      value >>= 4;
      ++nibbles;
    } while (value != 0);
    while (2 * nibbles - 1 < width && nibbles < 32) {
      digits[n++] = '0';
      ++nibbles;
    }
    for (int i = 0; i < n; ++i) {
      if (i > 0) out.push_back('.');
      out.push_back(digits[i]);
    }
    return;
  }
  const unsigned radix = base == 'o' ? 8 : (base == 'x' || base == 'X') ? 16 : 10;
  const char* symbols = base == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    digits[n++] = symbols[value % radix];
    value /= radix;
  } while (value != 0);
  for (unsigned pad = static_cast<unsigned>(n); pad < width && pad < 64; ++pad) out.push_back('0');
  while (n > 0) out.push_back(digits[--n]);
}

// Parses the inside of "${...}".
bool parse_modifier(std::string_view spec, int64_t& offset, unsigned& width, char& base) {
  std::string_view parts[3];
  int count = 0;
  while (count < 3) {
    const std::size_t comma = spec.find(',');
    parts[count++] = spec.substr(0, comma);
    if (comma == std::string_view::npos) {
      spec = {};
      break;
    }
    spec.remove_prefix(comma + 1);
  }
  if (!spec.empty()) return false;
  std::string_view off = parts[0];
  bool negative = false;
  if (!off.empty() && (off[0] == '-' || off[0] == '+')) {
    negative = off[0] == '-';
    off.remove_prefix(1);
  }
  uint32_t magnitude = 0;
  if (!parse_u32(off, magnitude)) return false;
  offset = negative ? -static_cast<int64_t>(magnitude) : magnitude;
  width = 0;
  base = 'd';
  if (count >= 2) {
    uint32_t w = 0;
    if (!parse_u32(parts[1], w) || w > 255) return false;
    width = w;
  }
  if (count == 3) {
    if (parts[2].size() != 1) return false;
    base = parts[2][0];
    if (std::string_view("doxXnN").find(base) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

bool parse_generate_range(std::string_view text, GenerateRange& range, std::string& error) {
  const auto bad = [&] {
    error = "bad $GENERATE range '" + std::string(text) + "': expected start-stop or start-stop/step";
    return false;
  };
  const std::size_t dash = text.find('-');
  if (dash == std::string_view::npos) return bad();
  std::string_view rest = text.substr(dash + 1);
  const std::size_t slash = rest.find('/');
  if (!parse_u32(text.substr(0, dash), range.start)) return bad();
  if (!parse_u32(rest.substr(0, slash), range.stop)) return bad();
  range.step = 1;
  if (slash != std::string_view::npos && !parse_u32(rest.substr(slash + 1), range.step)) {
    return bad();
  }
  if (range.start > range.stop) {
    error = "bad $GENERATE range '" + std::string(text) + "': start is above stop";
    return false;
  }
  if (range.step == 0) {
    error = "bad $GENERATE range '" + std::string(text) + "': step must be at least 1";
    return false;
  }
  return true;
}

bool generate_substitute(std::string_view pattern, uint32_t value, std::string& out,
                         std::string& error) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char ch = pattern[i];
    if (ch == '\\') {
      out.push_back(ch);
      if (i + 1 < pattern.size()) out.push_back(pattern[++i]);
      continue;
    }
    if (ch != '$') {
      out.push_back(ch);
      continue;
    }
    if (i + 1 < pattern.size() && pattern[i + 1] == '{') {
      const std::size_t close = pattern.find('}', i + 2);
      if (close == std::string_view::npos) {
        error = "unterminated $GENERATE modifier in '" + std::string(pattern) + "'";
        return false;
      }
      const std::string_view spec = pattern.substr(i + 2, close - i - 2);
      int64_t offset = 0;
      unsigned width = 0;
      char base = 'd';
      if (!parse_modifier(spec, offset, width, base)) {
        error = "bad $GENERATE modifier '${" + std::string(spec) +
                "}': expected ${offset[,width[,base]]} with base d, o, x, X, n or N";
        return false;
      }
      const int64_t v = static_cast<int64_t>(value) + offset;
      if (v < 0) {
        error = "$GENERATE modifier '${" + std::string(spec) + "}' gives a negative value for " +
                std::to_string(value);
        return false;
      }
      append_number(static_cast<uint64_t>(v), width, base, out);
      i = close;
    } else {
      append_number(value, 0, 'd', out);
    }
  }
  return true;
}

}  // namespace flatns::zones
