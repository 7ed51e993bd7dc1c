// Helpers shared by the dns unit tests: split a presentation-form RDATA string
// into tokens the way the zone-file scanner does, and hex helpers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dns/encoding.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace flatns::dns::test {

// Whitespace separates tokens; "..." is one quoted token (escapes kept);
// parentheses are dropped as in a multi-line record.
inline std::vector<TextToken> tokenize(std::string_view s) {
  std::vector<TextToken> tokens;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '(' || c == ')') {
      ++i;
    } else if (c == '"') {
      const std::size_t begin = ++i;
      while (i < s.size() && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
      tokens.push_back({s.substr(begin, i - begin), true});
      ++i;
    } else {
      const std::size_t begin = i;
      while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '"' &&
             s[i] != '(' && s[i] != ')') {
        i += s[i] == '\\' ? 2 : 1;
      }
      tokens.push_back({s.substr(begin, std::min(i, s.size()) - begin), false});
    }
  }
  return tokens;
}

struct Parsed {
  bool ok = false;
  std::vector<uint8_t> wire;
  std::string error;
};

inline Parsed parse_rdata(std::string_view type_text, const std::string& text,
                          std::string_view origin = "example.") {
  uint16_t type = 0;
  Parsed p;
  if (!type_from_text(type_text, type)) {
    p.error = "bad type in test";
    return p;
  }
  const auto tokens = tokenize(text);
  p.ok = rdata_from_text(type, tokens, Name::parse(origin), p.wire, p.error);
  return p;
}

inline uint16_t type_of(std::string_view type_text) {
  uint16_t type = 0;
  if (!type_from_text(type_text, type)) return 0;
  return type;
}

inline std::vector<uint8_t> from_hex(std::string_view hex) {
  std::vector<uint8_t> out;
  std::string clean;
  for (char c : hex) {
    if (c != ' ') clean.push_back(c);
  }
  if (!hex_decode(clean, out)) out.clear();
  return out;
}

}  // namespace flatns::dns::test
