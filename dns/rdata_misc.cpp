// Field codecs of the rarer types: LOC (RFC 1876), EUI48/EUI64 (RFC 7043),
// the ILNP locators L64/NID (RFC 6742), CERT types (RFC 4398) and APL
// (RFC 3123) and IPSECKEY gateways (RFC 4025). Output follows BIND's printing.
#include <arpa/inet.h>

#include <charconv>
#include <cstdio>

#include "dns/rdata_fields.h"

namespace flatns::dns::rdata_detail {

namespace {

constexpr uint32_t kEquator = 1u << 31;          // LOC latitude/longitude origin
constexpr int64_t kAltitudeBase = 10000000;      // LOC altitude origin: 100 km below, in cm

// Digits 0-9 each; zero only as 0x00 so that every valid value has one text form.
bool loc_size_valid(uint8_t v) { return (v >> 4) <= 9 && (v & 15) <= 9 && (v == 0 || v >> 4 != 0); }

// "123", "123.4", "-2.05" with at most `max_fraction` fraction digits, scaled
// to units of 10^-max_fraction.
bool parse_decimal(std::string_view s, int max_fraction, bool allow_negative, int64_t& scaled) {
  bool negative = false;
  if (allow_negative && !s.empty() && s[0] == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  const std::size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.empty() || whole.size() > 10 || static_cast<int>(fraction.size()) > max_fraction) return false;
  if (dot != std::string_view::npos && fraction.empty()) return false;
  int64_t v = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  for (int i = 0; i < max_fraction; ++i) {
    int digit = 0;
    if (i < static_cast<int>(fraction.size())) {
      if (fraction[i] < '0' || fraction[i] > '9') return false;
      digit = fraction[i] - '0';
    }
    v = v * 10 + digit;
  }
  scaled = negative ? -v : v;
  return true;
}

// Meters with an optional "m" suffix, to centimetres.
bool parse_meters(std::string_view s, bool allow_negative, int64_t& cm) {
  if (!s.empty() && (s.back() == 'm' || s.back() == 'M')) s.remove_suffix(1);
  return parse_decimal(s, 2, allow_negative, cm);
}

// RFC 1876 size/precision: mantissa and power of ten, in centimetres.
bool encode_loc_size(int64_t cm, uint8_t& out) {
  if (cm < 0 || cm > 9000000000LL) return false;
  int exponent = 0;
  while (cm >= 10 && exponent < 9) {
    cm /= 10;
    ++exponent;
  }
  out = static_cast<uint8_t>(cm << 4 | exponent);
  return true;
}

// BIND prints whole metres for exponents of 2 and more, centimetres below.
std::string loc_size_to_text(uint8_t v) {
  const unsigned mantissa = v >> 4, exponent = v & 15;
  unsigned long long value = mantissa;
  char buf[32];
  if (exponent >= 2) {
    for (unsigned i = 2; i < exponent; ++i) value *= 10;
    std::snprintf(buf, sizeof buf, "%llum", value);
  } else {
    for (unsigned i = 0; i < exponent; ++i) value *= 10;
    std::snprintf(buf, sizeof buf, "%llu.%02llum", value / 100, value % 100);
  }
  return buf;
}

// "d [m [s.sss]] H" starting at tokens[next]; returns thousandths of arc seconds.
bool parse_angle(std::span<const TextToken> tokens, std::size_t& next, int max_degrees,
                 char positive, char negative, int64_t& value, std::string& why) {
  int64_t parts[3] = {0, 0, 0};
  int count = 0;
  while (next < tokens.size() && count < 3) {
    const std::string_view t = tokens[next].text;
    if (t.size() == 1 && (t[0] == positive || t[0] == negative || t[0] == positive + 32 ||
                          t[0] == negative + 32)) {
      break;
    }
    int64_t v = 0;
    if (!parse_decimal(t, count == 2 ? 3 : 0, false, v)) {
      why = "'" + std::string(t) + "' is not a number of " +
            (count == 0 ? "degrees" : count == 1 ? "minutes" : "seconds");
      return false;
    }
    parts[count++] = v;
    ++next;
  }
  if (count == 0 || next >= tokens.size()) {
    why = std::string("needs degrees [minutes [seconds]] and ") + positive + " or " + negative;
    return false;
  }
  const char hemisphere = static_cast<char>(tokens[next].text[0] & ~0x20);
  if (tokens[next].text.size() != 1 || (hemisphere != positive && hemisphere != negative)) {
    why = "'" + std::string(tokens[next].text) + "' is not " + positive + " or " + negative;
    return false;
  }
  ++next;
  if (parts[1] > 59 || parts[2] > 59999) {
    why = "minutes and seconds must be below 60";
    return false;
  }
  value = ((parts[0] * 60 + parts[1]) * 60) * 1000 + parts[2];
  if (value > static_cast<int64_t>(max_degrees) * 3600 * 1000) {
    why = "more than " + std::to_string(max_degrees) + " degrees";
    return false;
  }
  if (hemisphere == negative) value = -value;
  return true;
}

std::string angle_to_text(uint32_t raw, char positive, char negative) {
  const int64_t signed_value = static_cast<int64_t>(raw) - kEquator;
  uint64_t v = static_cast<uint64_t>(signed_value < 0 ? -signed_value : signed_value);
  const unsigned thousandths = static_cast<unsigned>(v % 1000);
  v /= 1000;
  const unsigned seconds = static_cast<unsigned>(v % 60);
  v /= 60;
  const unsigned minutes = static_cast<unsigned>(v % 60);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%llu %u %u.%03u %c", static_cast<unsigned long long>(v / 60),
                minutes, seconds, thousandths, signed_value < 0 ? negative : positive);
  return buf;
}

bool loc_from_text(const std::string& w, std::span<const TextToken> tokens, std::size_t& next,
                   std::vector<uint8_t>& out, std::string& error) {
  int64_t latitude = 0, longitude = 0;
  std::string why;
  if (!parse_angle(tokens, next, 90, 'N', 'S', latitude, why)) {
    error = w + " latitude: " + why;
    return false;
  }
  if (!parse_angle(tokens, next, 180, 'E', 'W', longitude, why)) {
    error = w + " longitude: " + why;
    return false;
  }
  int64_t altitude = 0;
  if (next >= tokens.size() || !parse_meters(tokens[next].text, true, altitude) ||
      altitude + kAltitudeBase < 0 || altitude + kAltitudeBase > 0xFFFFFFFFLL) {
    error = w + " altitude: " +
            (next < tokens.size() ? "'" + std::string(tokens[next].text) + "' is not" : "needs") +
            " a height in meters from -100000.00 to 42849672.95";
    return false;
  }
  ++next;
  // Defaults of RFC 1876 §3: size 1m, horizontal 10000m, vertical 10m.
  uint8_t sizes[3] = {0x12, 0x16, 0x13};
  const char* names[3] = {"size", "horizontal precision", "vertical precision"};
  for (int i = 0; i < 3 && next < tokens.size(); ++i, ++next) {
    int64_t cm = 0;
    if (!parse_meters(tokens[next].text, false, cm) || !encode_loc_size(cm, sizes[i])) {
      error = w + " " + names[i] + ": '" + std::string(tokens[next].text) +
              "' is not a length in meters from 0 to 90000000.00";
      return false;
    }
  }
  out.push_back(0);  // version
  out.insert(out.end(), sizes, sizes + 3);
  put_u32(out, static_cast<uint32_t>(kEquator + latitude));
  put_u32(out, static_cast<uint32_t>(kEquator + longitude));
  put_u32(out, static_cast<uint32_t>(altitude + kAltitudeBase));
  return true;
}

std::string loc_to_text(std::span<const uint8_t> f) {
  std::string out = angle_to_text(read_u32(f, 4), 'N', 'S') + " " +
                    angle_to_text(read_u32(f, 8), 'E', 'W') + " ";
  const int64_t altitude = static_cast<int64_t>(read_u32(f, 12)) - kAltitudeBase;
  const uint64_t magnitude = static_cast<uint64_t>(altitude < 0 ? -altitude : altitude);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%llu.%02llum", altitude < 0 ? "-" : "",
                static_cast<unsigned long long>(magnitude / 100),
                static_cast<unsigned long long>(magnitude % 100));
  out += buf;
  for (int i = 1; i <= 3; ++i) out += " " + loc_size_to_text(f[i]);
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Groups of `group` hex digits separated by `sep`, `octets` in total.
bool parse_grouped_hex(std::string_view s, std::size_t octets, std::size_t group, char sep,
                       std::vector<uint8_t>& out) {
  const std::size_t digits = octets * 2;
  if (s.size() != digits + digits / group - 1) return false;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < octets; ++i) {
    if (i > 0 && (i * 2) % group == 0) {
      if (s[pos++] != sep) return false;
    }
    const int hi = hex_digit(s[pos]), lo = hex_digit(s[pos + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
    pos += 2;
  }
  return true;
}

std::string grouped_hex(std::span<const uint8_t> f, std::size_t group, char sep) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (i > 0 && (i * 2) % group == 0) out.push_back(sep);
    out.push_back(kDigits[f[i] >> 4]);
    out.push_back(kDigits[f[i] & 15]);
  }
  return out;
}

struct CertType {
  uint16_t number;
  std::string_view text;
};
constexpr CertType kCertTypes[] = {{1, "PKIX"}, {2, "SPKI"},    {3, "PGP"},      {4, "IPKIX"},
                                   {5, "ISPKI"}, {6, "IPGP"},   {7, "ACPKIX"},   {8, "IACPKIX"},
                                   {253, "URI"}, {254, "OID"}};

bool apl_valid(std::span<const uint8_t> f) {
  std::size_t p = 0;
  while (p < f.size()) {
    if (p + 4 > f.size()) return false;
    const uint16_t family = static_cast<uint16_t>(f[p] << 8 | f[p + 1]);
    const uint8_t prefix = f[p + 2];
    const std::size_t length = f[p + 3] & 0x7F;
    if (family == 1 && (prefix > 32 || length > 4)) return false;
    if (family == 2 && (prefix > 128 || length > 16)) return false;
    if (family != 1 && family != 2) return false;
    // RFC 3123 §4: trailing zero octets of the address must be omitted.
    if (length > 0 && (p + 4 + length > f.size() || f[p + 3 + length] == 0)) return false;
    p += 4 + length;
  }
  return true;
}

bool apl_item_from_text(std::string_view item, std::vector<uint8_t>& out) {
  bool negate = false;
  if (!item.empty() && item[0] == '!') {
    negate = true;
    item.remove_prefix(1);
  }
  const std::size_t colon = item.find(':');
  const std::size_t slash = item.rfind('/');
  if (colon == std::string_view::npos || slash == std::string_view::npos || slash < colon) {
    return false;
  }
  const std::string_view family_text = item.substr(0, colon);
  const std::string address(item.substr(colon + 1, slash - colon - 1));
  const std::string_view prefix_text = item.substr(slash + 1);
  unsigned prefix = 0;
  const auto [end, ec] = std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  if (ec != std::errc() || end != prefix_text.data() + prefix_text.size()) return false;
  uint8_t buf[16] = {};
  std::size_t size = 0;
  uint16_t family = 0;
  if (family_text == "1") {
    family = 1;
    size = 4;
    if (prefix > 32 || inet_pton(AF_INET, address.c_str(), buf) != 1) return false;
  } else if (family_text == "2") {
    family = 2;
    size = 16;
    if (prefix > 128 || inet_pton(AF_INET6, address.c_str(), buf) != 1) return false;
  } else {
    return false;
  }
  while (size > 0 && buf[size - 1] == 0) --size;
  out.push_back(static_cast<uint8_t>(family >> 8));
  out.push_back(static_cast<uint8_t>(family));
  out.push_back(static_cast<uint8_t>(prefix));
  out.push_back(static_cast<uint8_t>((negate ? 0x80 : 0) | size));
  out.insert(out.end(), buf, buf + size);
  return true;
}

std::string apl_to_text(std::span<const uint8_t> f) {
  std::string out;
  for (std::size_t p = 0; p < f.size();) {
    const uint16_t family = static_cast<uint16_t>(f[p] << 8 | f[p + 1]);
    const std::size_t length = f[p + 3] & 0x7F;
    uint8_t buf[16] = {};
    for (std::size_t i = 0; i < length; ++i) buf[i] = f[p + 4 + i];
    char text[INET6_ADDRSTRLEN];
    inet_ntop(family == 1 ? AF_INET : AF_INET6, buf, text, sizeof text);
    if (!out.empty()) out.push_back(' ');
    if (f[p + 3] & 0x80) out.push_back('!');
    out += std::to_string(family) + ":" + text + "/" + std::to_string(f[p + 2]);
    p += 4 + length;
  }
  return out;
}

}  // namespace

bool misc_field_length(Field kind, std::span<const uint8_t> rdata, std::size_t pos,
                       std::size_t& length) {
  const std::size_t left = pos <= rdata.size() ? rdata.size() - pos : 0;
  switch (kind) {
    case Field::kLoc: {
      length = 16;
      if (left != 16 || rdata[pos] != 0 || !loc_size_valid(rdata[pos + 1]) ||
          !loc_size_valid(rdata[pos + 2]) || !loc_size_valid(rdata[pos + 3])) {
        return false;
      }
      // RFC 1876 §2: latitudes beyond 90 degrees and longitudes beyond 180 are invalid.
      const auto off_origin = [&](std::size_t at) {
        const int64_t v = static_cast<int64_t>(read_u32(rdata, pos + at)) - kEquator;
        return v < 0 ? -v : v;
      };
      return off_origin(4) <= 90LL * 3600 * 1000 && off_origin(8) <= 180LL * 3600 * 1000;
    }
    case Field::kEui48:
      length = 6;
      return left >= 6;
    case Field::kEui64:
    case Field::kLocator64:
      length = 8;
      return left >= 8;
    case Field::kCertType:
      length = 2;
      return left >= 2;
    case Field::kApl:
      length = left;
      return apl_valid(rdata.subspan(pos));
    case Field::kIpsecGateway: {
      if (pos < 2) return false;
      switch (rdata[pos - 2]) {  // gateway type
        case 0: length = 0; return true;
        case 1: length = 4; return left >= 4;
        case 2: length = 16; return left >= 16;
        case 3: {
          // An uncompressed name (RFC 4025 §2.5).
          std::size_t p = pos;
          while (p < rdata.size() && rdata[p] != 0 && rdata[p] <= kMaxLabelLength) p += 1 + rdata[p];
          if (p >= rdata.size() || rdata[p] != 0 || p + 1 - pos > kMaxNameLength) return false;
          length = p + 1 - pos;
          return true;
        }
        default: return false;
      }
    }
    default:
      return false;
  }
}

bool misc_field_from_text(Field kind, const std::string& w, std::span<const TextToken> tokens,
                          std::size_t& next, const Name& origin, std::vector<uint8_t>& out,
                          std::string& error) {
  switch (kind) {
    case Field::kLoc:
      return loc_from_text(w, tokens, next, out, error);
    case Field::kEui48:
    case Field::kEui64: {
      const std::string_view text = tokens[next++].text;
      const std::size_t octets = kind == Field::kEui48 ? 6 : 8;
      if (!parse_grouped_hex(text, octets, 2, '-', out)) {
        error = w + ": '" + std::string(text) + "' is not " + std::to_string(octets) +
                " hex pairs separated by '-'";
        return false;
      }
      return true;
    }
    case Field::kLocator64: {
      const std::string_view text = tokens[next++].text;
      if (!parse_grouped_hex(text, 8, 4, ':', out)) {
        error = w + ": '" + std::string(text) + "' is not four groups of 4 hex digits (xxxx:xxxx:xxxx:xxxx)";
        return false;
      }
      return true;
    }
    case Field::kCertType: {
      const std::string_view text = tokens[next++].text;
      unsigned v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && end == text.data() + text.size() && v <= 65535) {
        out.push_back(static_cast<uint8_t>(v >> 8));
        out.push_back(static_cast<uint8_t>(v));
        return true;
      }
      for (const auto& t : kCertTypes) {
        if (t.text == text) {
          out.push_back(static_cast<uint8_t>(t.number >> 8));
          out.push_back(static_cast<uint8_t>(t.number));
          return true;
        }
      }
      error = w + ": '" + std::string(text) + "' is not a certificate type";
      return false;
    }
    case Field::kIpsecGateway: {
      const std::string text(tokens[next++].text);
      const uint8_t gateway_type = out.size() >= 2 ? out[out.size() - 2] : 255;
      uint8_t buf[16];
      if (gateway_type == 0 && text == ".") return true;
      if (gateway_type == 1 && inet_pton(AF_INET, text.c_str(), buf) == 1) {
        out.insert(out.end(), buf, buf + 4);
        return true;
      }
      if (gateway_type == 2 && inet_pton(AF_INET6, text.c_str(), buf) == 1) {
        out.insert(out.end(), buf, buf + 16);
        return true;
      }
      if (gateway_type == 3) {
        Name name;
        std::string why;
        if (!Name::from_text(text, &origin, name, why)) {
          error = w + ": " + why;
          return false;
        }
        out.insert(out.end(), name.wire().begin(), name.wire().end());
        return true;
      }
      static constexpr const char* kExpected[] = {"'.' (no gateway)", "an IPv4 address",
                                                  "an IPv6 address", "a domain name"};
      error = w + ": '" + text + "' is not " +
              (gateway_type <= 3 ? kExpected[gateway_type] : "valid: gateway type must be 0 to 3");
      return false;
    }
    case Field::kApl:
      for (; next < tokens.size(); ++next) {
        if (!apl_item_from_text(tokens[next].text, out)) {
          error = w + ": '" + std::string(tokens[next].text) +
                  "' is not [!]family:address/prefix with family 1 (IPv4) or 2 (IPv6)";
          return false;
        }
      }
      return true;
    default:
      error = w + ": internal error, unknown field kind";
      return false;
  }
}

void misc_field_to_text(Field kind, std::span<const uint8_t> f, std::string& out) {
  switch (kind) {
    case Field::kLoc:
      out += loc_to_text(f);
      return;
    case Field::kEui48:
    case Field::kEui64:
      out += grouped_hex(f, 2, '-');
      return;
    case Field::kLocator64:
      out += grouped_hex(f, 4, ':');
      return;
    case Field::kCertType: {
      const uint16_t v = static_cast<uint16_t>(f[0] << 8 | f[1]);
      for (const auto& t : kCertTypes) {
        if (t.number == v) {
          out += t.text;
          return;
        }
      }
      out += std::to_string(v);
      return;
    }
    case Field::kApl:
      out += apl_to_text(f);
      return;
    case Field::kIpsecGateway: {
      // `f` starts at the gateway type octet (see rdata_to_text).
      const auto gateway = f.subspan(2);
      char text[INET6_ADDRSTRLEN];
      if (f[0] == 1 || f[0] == 2) {
        inet_ntop(f[0] == 1 ? AF_INET : AF_INET6, gateway.data(), text, sizeof text);
        out += text;
      } else if (f[0] == 3) {
        out += name_to_text(gateway);
      } else {
        out += ".";
      }
      return;
    }
    default:
      return;
  }
}

}  // namespace flatns::dns::rdata_detail
