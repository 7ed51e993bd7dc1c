// Presentation form of the RDATA field kinds (RFC 1035 §5.1 and the RFCs of
// each type), parsed from the zone-file scanner's tokens.
#include <arpa/inet.h>

#include <charconv>
#include <cstdio>

#include "dns/encoding.h"
#include "dns/rdata_fields.h"
#include "dns/rrtype.h"
#include "dns/type_bitmap.h"

namespace flatns::dns::rdata_detail {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool parse_number(std::string_view s, uint64_t max, uint64_t& v) {
  if (!all_digits(s) || s.size() > 20) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size() && v <= max;
}

std::string quote(std::string_view text) { return "'" + std::string(text) + "'"; }

// TTL-style durations: "3600", "1h", "1w2d", "90M" (units s m h d w).
bool parse_period(std::string_view s, uint32_t& value) {
  if (all_digits(s)) {
    uint64_t v = 0;
    if (!parse_number(s, 0xFFFFFFFFu, v)) return false;
    value = static_cast<uint32_t>(v);
    return true;
  }
  uint64_t total = 0;
  std::size_t i = 0;
  if (s.empty()) return false;
  while (i < s.size()) {
    std::size_t j = i;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    if (j == i || j == s.size() || j - i > 10) return false;
    uint64_t n = 0;
    if (!parse_number(s.substr(i, j - i), UINT64_MAX, n)) return false;
    uint64_t unit = 0;
    switch (s[j] | 0x20) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 604800; break;
      default: return false;
    }
    total += n * unit;
    if (total > 0xFFFFFFFFu) return false;
    i = j + 1;
  }
  value = static_cast<uint32_t>(total);
  return true;
}

struct AlgorithmName {
  uint8_t number;
  std::string_view text;
};
// IANA "DNS Security Algorithm Numbers" mnemonics, accepted in text as BIND does.
constexpr AlgorithmName kAlgorithms[] = {
    {1, "RSAMD5"},           {2, "DH"},          {3, "DSA"},
    {5, "RSASHA1"},          {6, "DSA-NSEC3-SHA1"}, {7, "RSASHA1-NSEC3-SHA1"},
    {8, "RSASHA256"},        {10, "RSASHA512"},  {12, "ECC-GOST"},
    {13, "ECDSAP256SHA256"}, {14, "ECDSAP384SHA384"}, {15, "ED25519"},
    {16, "ED448"},           {252, "INDIRECT"},  {253, "PRIVATEDNS"},
    {254, "PRIVATEOID"},
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(static_cast<uint8_t>(a[i])) != ascii_lower(static_cast<uint8_t>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

// RFC 4034 §3.2: YYYYMMDDHHmmSS (UTC), or a plain number of seconds. Dates
// past 2106 wrap modulo 2^32 as the serial arithmetic of §3.1.5 intends.
bool parse_time(std::string_view s, uint32_t& value) {
  if (!all_digits(s)) return false;
  if (s.size() != 14) {
    uint64_t v = 0;
    if (!parse_number(s, 0xFFFFFFFFu, v)) return false;
    value = static_cast<uint32_t>(v);
    return true;
  }
  auto num = [&](std::size_t at, std::size_t len) {
    unsigned v = 0;
    for (std::size_t i = at; i < at + len; ++i) v = v * 10 + static_cast<unsigned>(s[i] - '0');
    return v;
  };
  const int64_t year = num(0, 4);
  const unsigned month = num(4, 2), day = num(6, 2), hour = num(8, 2), minute = num(10, 2),
                 second = num(12, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 ||
      second > 59) {
    return false;
  }
  static constexpr unsigned kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[month - 1] || (month == 2 && day == 29 && !leap)) return false;
  const int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                          second;
  value = static_cast<uint32_t>(static_cast<uint64_t>(seconds) & 0xFFFFFFFFu);
  return true;
}

std::string time_to_text(uint32_t t) {
  int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(t / 86400, y, m, d);
  const uint32_t s = t % 86400;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld%02u%02u%02u%02u%02u", static_cast<long long>(y), m, d,
                s / 3600, s / 60 % 60, s % 60);
  return buf;
}

std::string join_rest(std::span<const TextToken> tokens, std::size_t& next) {
  std::string all;
  for (; next < tokens.size(); ++next) all.append(tokens[next].text);
  return all;
}

// Decodes RFC 1035 §5.1 escapes (\X, \DDD), appending octets to `out`.
template <typename Out>
bool unescape_append(std::string_view text, Out& out, std::string& why) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(static_cast<typename Out::value_type>(text[i]));
      continue;
    }
    if (i + 1 >= text.size()) {
      why = "lone backslash at the end";
      return false;
    }
    const char c = text[i + 1];
    if (c >= '0' && c <= '9') {
      if (i + 3 >= text.size() || text[i + 2] < '0' || text[i + 2] > '9' || text[i + 3] < '0' ||
          text[i + 3] > '9') {
        why = "\\DDD escape needs three digits";
        return false;
      }
      const int v = (c - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
      if (v > 255) {
        why = "\\DDD escape above 255";
        return false;
      }
      out.push_back(static_cast<typename Out::value_type>(v));
      i += 3;
    } else {
      out.push_back(static_cast<typename Out::value_type>(c));
      i += 1;
    }
  }
  return true;
}

bool char_string_from_token(const FieldName& what, const TextToken& token,
                            std::vector<uint8_t>& out, std::string& error) {
  const std::size_t at = out.size();
  out.push_back(0);
  std::string why;
  if (!unescape_append(token.text, out, why)) {
    error = what.text() + ": " + why + " in " + quote(token.text);
    return false;
  }
  const std::size_t length = out.size() - at - 1;
  if (length > 255) {
    error = what.text() + ": character-string is " + std::to_string(length) +
            " octets long, the limit is 255 (split it into several quoted strings)";
    return false;
  }
  out[at] = static_cast<uint8_t>(length);
  return true;
}

}  // namespace

std::string FieldName::text() const {
  std::string out = type_to_text(type);
  if (!label.empty()) {
    out += ' ';
    out += label;
  }
  return out;
}

bool algorithm_from_text(std::string_view text, uint8_t& number) {
  uint64_t v = 0;
  if (parse_number(text, 255, v)) {
    number = static_cast<uint8_t>(v);
    return true;
  }
  for (const auto& a : kAlgorithms) {
    if (iequals(a.text, text)) {
      number = a.number;
      return true;
    }
  }
  return false;
}

std::string_view algorithm_to_text(uint8_t number) {
  for (const auto& a : kAlgorithms) {
    if (a.number == number) return a.text;
  }
  return {};
}

bool unescape_text(std::string_view text, std::string& out, std::string& why) {
  out.clear();
  return unescape_append(text, out, why);
}

void append_quoted(std::span<const uint8_t> octets, std::string& out) {
  out.push_back('"');
  for (uint8_t c : octets) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03u", c);
      out.append(buf);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

bool field_from_text(Field kind, const FieldName& what, std::span<const TextToken> tokens,
                     std::size_t& next, const Name& origin, std::vector<uint8_t>& out,
                     std::string& error) {
  // Error messages only: built when a field is bad, not for every record.
  const auto w = [&what] { return what.text(); };
  switch (kind) {
    case Field::kNameCompressed:
    case Field::kNameCanonical:
    case Field::kName: {
      const std::string_view text = tokens[next++].text;
      Name name;
      std::string why;
      if (!Name::from_text(text, &origin, name, why)) {
        error = w() + ": " + why;
        return false;
      }
      out.insert(out.end(), name.wire().begin(), name.wire().end());
      return true;
    }
    case Field::kU8:
    case Field::kU16:
    case Field::kU32: {
      const std::string_view text = tokens[next++].text;
      const int bits = kind == Field::kU8 ? 8 : kind == Field::kU16 ? 16 : 32;
      uint64_t v = 0;
      if (!parse_number(text, (uint64_t{1} << bits) - 1, v)) {
        error = w() + ": " + quote(text) + " is not " + (bits == 8 ? "an " : "a ") +
                std::to_string(bits) + "-bit number";
        return false;
      }
      if (bits == 8) out.push_back(static_cast<uint8_t>(v));
      if (bits == 16) put_u16(out, static_cast<uint16_t>(v));
      if (bits == 32) put_u32(out, static_cast<uint32_t>(v));
      return true;
    }
    case Field::kPeriod: {
      const std::string_view text = tokens[next++].text;
      uint32_t v = 0;
      if (!parse_period(text, v)) {
        error = w() + ": " + quote(text) + " is not a 32-bit number or a duration like 1h30m";
        return false;
      }
      put_u32(out, v);
      return true;
    }
    case Field::kAlgorithm:
    case Field::kCertAlgorithm: {
      const std::string_view text = tokens[next++].text;
      uint8_t number = 0;
      if (!algorithm_from_text(text, number)) {
        error = w() + ": " + quote(text) + " is not an algorithm number or mnemonic";
        return false;
      }
      out.push_back(number);
      return true;
    }
    case Field::kType: {
      const std::string_view text = tokens[next++].text;
      uint16_t t = 0;
      if (!type_from_text(text, t)) {
        error = w() + ": " + quote(text) + " is not an RR type";
        return false;
      }
      put_u16(out, t);
      return true;
    }
    case Field::kTime: {
      const std::string_view text = tokens[next++].text;
      uint32_t t = 0;
      if (!parse_time(text, t)) {
        error = w() + ": " + quote(text) +
                " is not a time (YYYYMMDDHHmmSS in UTC, or seconds since 1970)";
        return false;
      }
      put_u32(out, t);
      return true;
    }
    case Field::kIPv4:
    case Field::kIPv6: {
      const std::string_view text = tokens[next++].text;
      // inet_pton wants a C string; addresses are short, so no allocation.
      char c_text[64];
      const bool fits = text.size() < sizeof c_text;
      if (fits) {
        text.copy(c_text, text.size());
        c_text[text.size()] = '\0';
      }
      uint8_t buf[16];
      const bool v4 = kind == Field::kIPv4;
      if (!fits || inet_pton(v4 ? AF_INET : AF_INET6, c_text, buf) != 1) {
        error = w() + ": " + quote(text) + (v4 ? " is not an IPv4 address" : " is not an IPv6 address");
        return false;
      }
      out.insert(out.end(), buf, buf + (v4 ? 4 : 16));
      return true;
    }
    case Field::kCharString:
      return char_string_from_token(what, tokens[next++], out, error);
    case Field::kCharStrings:
      for (; next < tokens.size(); ++next) {
        if (!char_string_from_token(what, tokens[next], out, error)) return false;
      }
      return true;
    case Field::kBase64:
    case Field::kBase64Optional: {
      const std::string text = join_rest(tokens, next);
      const std::size_t before = out.size();
      if (!base64_decode(text, out) || (out.size() == before && kind == Field::kBase64)) {
        error = w() + ": " + quote(text) + " is not base64";
        return false;
      }
      return true;
    }
    case Field::kHex: {
      const std::string text = join_rest(tokens, next);
      const std::size_t before = out.size();
      if (!hex_decode(text, out) || out.size() == before) {
        error = w() + ": " + quote(text) + " is not an even number of hex digits";
        return false;
      }
      return true;
    }
    case Field::kSalt: {
      const std::string_view text = tokens[next++].text;
      const std::size_t at = out.size();
      out.push_back(0);
      if (text == "-") return true;
      if (!hex_decode(text, out) || out.size() - at - 1 > 255) {
        error = w() + ": " + quote(text) + " is not '-' or up to 255 octets of hex";
        return false;
      }
      out[at] = static_cast<uint8_t>(out.size() - at - 1);
      return true;
    }
    case Field::kHash: {
      const std::string_view text = tokens[next++].text;
      const std::size_t at = out.size();
      out.push_back(0);
      if (!base32hex_decode(text, out) || out.size() == at + 1 || out.size() - at - 1 > 255) {
        error = w() + ": " + quote(text) + " is not a base32hex hash";
        return false;
      }
      out[at] = static_cast<uint8_t>(out.size() - at - 1);
      return true;
    }
    case Field::kTypeBitmap: {
      std::vector<uint16_t> types;
      for (; next < tokens.size(); ++next) {
        uint16_t t = 0;
        if (!type_from_text(tokens[next].text, t)) {
          error = w() + " bitmap: " + quote(tokens[next].text) + " is not an RR type";
          return false;
        }
        types.push_back(t);
      }
      type_bitmap_encode(types, out);
      return true;
    }
    case Field::kCaaTag: {
      const std::string_view text = tokens[next++].text;
      bool ok = !text.empty() && text.size() <= 255;
      for (char c : text) {
        const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum) ok = false;
      }
      if (!ok) {
        error = w() + ": " + quote(text) + " is not a tag of letters and digits";
        return false;
      }
      out.push_back(static_cast<uint8_t>(text.size()));
      out.insert(out.end(), text.begin(), text.end());
      return true;
    }
    case Field::kQuotedRest: {
      std::string octets, why;
      if (!unescape_text(tokens[next].text, octets, why)) {
        error = w() + ": " + why + " in " + quote(tokens[next].text);
        return false;
      }
      ++next;
      out.insert(out.end(), octets.begin(), octets.end());
      return true;
    }
    case Field::kSvcParams:
      return svc_params_from_text(what.text(), tokens, next, out, error);
    case Field::kLoc:
    case Field::kEui48:
    case Field::kEui64:
    case Field::kLocator64:
    case Field::kCertType:
    case Field::kApl:
    case Field::kIpsecGateway:
      return misc_field_from_text(kind, w(), tokens, next, origin, out, error);
  }
  return false;
}

void field_to_text(Field kind, std::span<const uint8_t> f, std::string& out) {
  switch (kind) {
    case Field::kNameCompressed:
    case Field::kNameCanonical:
    case Field::kName:
      out += name_to_text(f);
      return;
    case Field::kU8:
    case Field::kAlgorithm:
      out += std::to_string(f[0]);
      return;
    case Field::kU16:
      out += std::to_string(f[0] << 8 | f[1]);
      return;
    case Field::kType:
      out += type_to_text(static_cast<uint16_t>(f[0] << 8 | f[1]));
      return;
    case Field::kU32:
    case Field::kPeriod:
      out += std::to_string(read_u32(f));
      return;
    case Field::kTime:
      out += time_to_text(read_u32(f));
      return;
    case Field::kIPv4:
    case Field::kIPv6: {
      char buf[INET6_ADDRSTRLEN];
      inet_ntop(kind == Field::kIPv4 ? AF_INET : AF_INET6, f.data(), buf, sizeof buf);
      out += buf;
      return;
    }
    case Field::kCharString:
      append_quoted(f.subspan(1), out);
      return;
    case Field::kCharStrings:
      for (std::size_t p = 0; p < f.size(); p += 1 + f[p]) {
        if (p > 0) out.push_back(' ');
        append_quoted(f.subspan(p + 1, f[p]), out);
      }
      return;
    case Field::kBase64:
    case Field::kBase64Optional:
      out += base64_encode(f);
      return;
    case Field::kHex:
      out += hex_encode(f);
      return;
    case Field::kSalt:
      out += f[0] == 0 ? std::string("-") : hex_encode(f.subspan(1));
      return;
    case Field::kHash:
      out += base32hex_encode(f.subspan(1));
      return;
    case Field::kTypeBitmap: {
      bool first = true;
      for (uint16_t t : type_bitmap_types(f)) {
        if (!first) out.push_back(' ');
        first = false;
        out += type_to_text(t);
      }
      return;
    }
    case Field::kCaaTag:
      out.append(reinterpret_cast<const char*>(f.data() + 1), f.size() - 1);
      return;
    case Field::kQuotedRest:
      append_quoted(f, out);
      return;
    case Field::kSvcParams:
      svc_params_to_text(f, out);
      return;
    case Field::kCertAlgorithm:
      if (const auto name = algorithm_to_text(f[0]); !name.empty()) {
        out += name;
      } else {
        out += std::to_string(f[0]);
      }
      return;
    case Field::kLoc:
    case Field::kEui48:
    case Field::kEui64:
    case Field::kLocator64:
    case Field::kCertType:
    case Field::kApl:
    case Field::kIpsecGateway:
      misc_field_to_text(kind, f, out);
      return;
  }
}

}  // namespace flatns::dns::rdata_detail
