// SvcParams of SVCB and HTTPS records (RFC 9460 §2.1, §2.2, §7, Appendix A):
// mandatory, alpn, no-default-alpn, port, ipv4hint, ech, ipv6hint, dohpath
// (RFC 9461), ohttp (RFC 9540) and keyNNNNN. Keys are strictly ascending on
// the wire; text may list them in any order.
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "dns/encoding.h"
#include "dns/rdata_fields.h"

namespace flatns::dns::rdata_detail {

namespace {

enum SvcKey : uint16_t {
  kMandatory = 0,
  kAlpn = 1,
  kNoDefaultAlpn = 2,
  kPort = 3,
  kIpv4Hint = 4,
  kEch = 5,
  kIpv6Hint = 6,
  kDohPath = 7,
  kOhttp = 8,
  kInvalidKey = 65535,
};

constexpr std::string_view kKeyNames[] = {"mandatory", "alpn",     "no-default-alpn",
                                          "port",      "ipv4hint", "ech",
                                          "ipv6hint",  "dohpath",  "ohttp"};

std::string key_to_text(uint16_t key) {
  if (key < std::size(kKeyNames)) return std::string(kKeyNames[key]);
  return "key" + std::to_string(key);
}

bool key_from_text(std::string_view text, uint16_t& key) {
  for (uint16_t k = 0; k < std::size(kKeyNames); ++k) {
    if (text == kKeyNames[k]) {
      key = k;
      return true;
    }
  }
  if (text.size() <= 3 || text.size() > 8 || text.substr(0, 3) != "key") return false;
  unsigned v = 0;
  const std::string_view digits = text.substr(3);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size() || v >= kInvalidKey) return false;
  key = static_cast<uint16_t>(v);
  return true;
}

uint16_t get_u16(std::span<const uint8_t> b, std::size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

bool value_valid(uint16_t key, std::span<const uint8_t> v) {
  switch (key) {
    case kMandatory: {
      if (v.empty() || v.size() % 2 != 0) return false;
      for (std::size_t i = 0; i < v.size(); i += 2) {
        const uint16_t k = get_u16(v, i);
        if (k == kMandatory || (i > 0 && k <= get_u16(v, i - 2))) return false;
      }
      return true;
    }
    case kAlpn: {
      if (v.empty()) return false;
      std::size_t p = 0;
      while (p < v.size()) {
        if (v[p] == 0) return false;
        p += 1 + v[p];
      }
      return p == v.size();
    }
    case kNoDefaultAlpn:
    case kOhttp:
      return v.empty();
    case kPort:
      return v.size() == 2;
    case kIpv4Hint:
      return !v.empty() && v.size() % 4 == 0;
    case kIpv6Hint:
      return !v.empty() && v.size() % 16 == 0;
    case kEch:  // an ECHConfigList is never empty, and the text form needs base64 octets
      return !v.empty();
    case kInvalidKey:
      return false;
    default:
      return true;
  }
}

// Splits an RFC 9460 Appendix A.1 value-list: ',' separates items, '\'
// makes the next octet literal.
std::vector<std::string> split_value_list(std::string_view s) {
  std::vector<std::string> items(1);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      items.back().push_back(s[++i]);
    } else if (s[i] == ',') {
      items.emplace_back();
    } else {
      items.back().push_back(s[i]);
    }
  }
  return items;
}

void append_escaped_item(std::span<const uint8_t> item, std::string& out) {
  for (uint8_t c : item) {
    // A literal comma or backslash is escaped for the value-list, and that
    // escape again for the quoted string: "\\," and "\\\\".
    if (c == ',') {
      out += "\\\\,";
    } else if (c == '\\') {
      out += "\\\\\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03u", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

bool encode_value(const std::string& w, uint16_t key, bool has_value, const std::string& value,
                  std::vector<uint8_t>& out, std::string& error) {
  const std::string key_name = key_to_text(key);
  auto fail = [&](const std::string& why) {
    error = w + " " + key_name + ": " + why;
    return false;
  };
  switch (key) {
    case kMandatory: {
      if (!has_value || value.empty()) return fail("needs a list of keys");
      std::vector<uint16_t> keys;
      for (const std::string& item : split_value_list(value)) {
        uint16_t k = 0;
        if (!key_from_text(item, k)) return fail("'" + item + "' is not a SvcParamKey");
        if (k == kMandatory) return fail("cannot list 'mandatory' itself");
        if (std::find(keys.begin(), keys.end(), k) != keys.end()) {
          return fail("'" + item + "' is listed twice");
        }
        keys.push_back(k);
      }
      std::sort(keys.begin(), keys.end());
      for (uint16_t k : keys) {
        out.push_back(static_cast<uint8_t>(k >> 8));
        out.push_back(static_cast<uint8_t>(k));
      }
      return true;
    }
    case kAlpn: {
      if (!has_value || value.empty()) return fail("needs a list of protocol ids");
      for (const std::string& item : split_value_list(value)) {
        if (item.empty() || item.size() > 255) {
          return fail("protocol id '" + item + "' must be 1 to 255 octets");
        }
        out.push_back(static_cast<uint8_t>(item.size()));
        out.insert(out.end(), item.begin(), item.end());
      }
      return true;
    }
    case kNoDefaultAlpn:
    case kOhttp:
      if (has_value) return fail("takes no value");
      return true;
    case kPort: {
      unsigned v = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (!has_value || value.empty() || ec != std::errc() || end != value.data() + value.size() ||
          v > 65535) {
        return fail("'" + value + "' is not a 16-bit number");
      }
      out.push_back(static_cast<uint8_t>(v >> 8));
      out.push_back(static_cast<uint8_t>(v));
      return true;
    }
    case kIpv4Hint:
    case kIpv6Hint: {
      const bool v4 = key == kIpv4Hint;
      if (!has_value || value.empty()) return fail("needs a list of addresses");
      for (const std::string& item : split_value_list(value)) {
        uint8_t buf[16];
        if (inet_pton(v4 ? AF_INET : AF_INET6, item.c_str(), buf) != 1) {
          return fail("'" + item + (v4 ? "' is not an IPv4 address" : "' is not an IPv6 address"));
        }
        out.insert(out.end(), buf, buf + (v4 ? 4 : 16));
      }
      return true;
    }
    case kEch:
      if (!has_value || value.empty() || !base64_decode(value, out)) {
        return fail("'" + value + "' is not base64");
      }
      return true;
    default:
      out.insert(out.end(), value.begin(), value.end());
      return true;
  }
}

}  // namespace

// Well-formed and self-consistent (RFC 9460 §2.2, §7.1.1, §8): keys strictly
// ascending, values fit their key, every key in mandatory present, alpn
// present with no-default-alpn. The text parser enforces the same, so any
// valid RDATA prints to text that parses back.
bool svc_params_valid(std::span<const uint8_t> params) {
  std::size_t p = 0;
  int previous = -1;
  std::span<const uint8_t> mandatory;
  bool has_alpn = false, has_no_default_alpn = false;
  while (p < params.size()) {
    if (p + 4 > params.size()) return false;
    const uint16_t key = get_u16(params, p);
    const std::size_t length = get_u16(params, p + 2);
    if (static_cast<int>(key) <= previous || p + 4 + length > params.size()) return false;
    const auto value = params.subspan(p + 4, length);
    if (!value_valid(key, value)) return false;
    if (key == kMandatory) mandatory = value;
    has_alpn |= key == kAlpn;
    has_no_default_alpn |= key == kNoDefaultAlpn;
    previous = key;
    p += 4 + length;
  }
  if (has_no_default_alpn && !has_alpn) return false;
  for (std::size_t i = 0; i < mandatory.size(); i += 2) {
    const uint16_t wanted = get_u16(mandatory, i);
    bool present = false;
    for (std::size_t q = 0; q < params.size(); q += 4 + get_u16(params, q + 2)) {
      present |= get_u16(params, q) == wanted;
    }
    if (!present) return false;
  }
  return true;
}

bool svc_params_from_text(std::string_view what, std::span<const TextToken> tokens,
                          std::size_t& next, std::vector<uint8_t>& out, std::string& error) {
  const std::string w(what);
  std::map<uint16_t, std::vector<uint8_t>> params;
  while (next < tokens.size()) {
    const TextToken& token = tokens[next++];
    if (token.quoted) {
      error = w + ": quoted '" + std::string(token.text) + "' is not a key=value parameter";
      return false;
    }
    const std::size_t eq = token.text.find('=');
    const std::string_view key_text = token.text.substr(0, eq);
    const bool has_value = eq != std::string_view::npos;
    std::string_view raw = has_value ? token.text.substr(eq + 1) : std::string_view();
    // `key="value"` reaches us as `key=` followed by a quoted token.
    if (has_value && raw.empty() && next < tokens.size() && tokens[next].quoted) {
      raw = tokens[next++].text;
    } else if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"') {
      raw = raw.substr(1, raw.size() - 2);
    }
    uint16_t key = 0;
    if (!key_from_text(key_text, key)) {
      error = w + ": '" + std::string(key_text) + "' is not a SvcParamKey";
      return false;
    }
    std::string value, why;
    if (!unescape_text(raw, value, why)) {
      error = w + " " + key_to_text(key) + ": " + why;
      return false;
    }
    if (params.count(key) != 0) {
      error = w + ": " + key_to_text(key) + " appears twice";
      return false;
    }
    std::vector<uint8_t> encoded;
    if (!encode_value(w, key, has_value, value, encoded, error)) return false;
    if (encoded.size() > 65535) {
      error = w + " " + key_to_text(key) + ": value longer than 65535 octets";
      return false;
    }
    params.emplace(key, std::move(encoded));
  }
  // RFC 9460 §8: every key listed in mandatory must be present.
  if (auto m = params.find(kMandatory); m != params.end()) {
    for (std::size_t i = 0; i < m->second.size(); i += 2) {
      const uint16_t k = get_u16(m->second, i);
      if (params.count(k) == 0) {
        error = w + " mandatory: lists " + key_to_text(k) + " but the record has no " +
                key_to_text(k);
        return false;
      }
    }
  }
  // RFC 9460 §7.1.1: no-default-alpn without alpn leaves no protocol at all.
  if (params.count(kNoDefaultAlpn) != 0 && params.count(kAlpn) == 0) {
    error = w + ": no-default-alpn needs alpn as well";
    return false;
  }
  for (const auto& [key, value] : params) {
    out.push_back(static_cast<uint8_t>(key >> 8));
    out.push_back(static_cast<uint8_t>(key));
    out.push_back(static_cast<uint8_t>(value.size() >> 8));
    out.push_back(static_cast<uint8_t>(value.size()));
    out.insert(out.end(), value.begin(), value.end());
  }
  return true;
}

void svc_params_to_text(std::span<const uint8_t> params, std::string& out) {
  std::size_t p = 0;
  bool first = true;
  while (p + 4 <= params.size()) {
    const uint16_t key = get_u16(params, p);
    const std::size_t length = get_u16(params, p + 2);
    const auto v = params.subspan(p + 4, length);
    p += 4 + length;
    if (!first) out.push_back(' ');
    first = false;
    out += key_to_text(key);
    switch (key) {
      case kMandatory:
        out.push_back('=');
        for (std::size_t i = 0; i < v.size(); i += 2) {
          if (i > 0) out.push_back(',');
          out += key_to_text(get_u16(v, i));
        }
        break;
      case kAlpn:
        out += "=\"";
        for (std::size_t i = 0; i < v.size(); i += 1 + v[i]) {
          if (i > 0) out.push_back(',');
          append_escaped_item(v.subspan(i + 1, v[i]), out);
        }
        out.push_back('"');
        break;
      case kNoDefaultAlpn:
      case kOhttp:
        break;
      case kPort:
        out += "=" + std::to_string(get_u16(v, 0));
        break;
      case kIpv4Hint:
      case kIpv6Hint: {
        const bool v4 = key == kIpv4Hint;
        const std::size_t size = v4 ? 4 : 16;
        out.push_back('=');
        for (std::size_t i = 0; i < v.size(); i += size) {
          char buf[INET6_ADDRSTRLEN];
          inet_ntop(v4 ? AF_INET : AF_INET6, v.data() + i, buf, sizeof buf);
          if (i > 0) out.push_back(',');
          out += buf;
        }
        break;
      }
      case kEch:
        out += "=" + base64_encode(v);
        break;
      default:
        if (!v.empty()) {
          out.push_back('=');
          append_quoted(v, out);
        }
        break;
    }
  }
}

}  // namespace flatns::dns::rdata_detail
