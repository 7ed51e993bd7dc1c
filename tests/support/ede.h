// Test helper: the Extended DNS Error (RFC 8914) of a parsed response: its
// INFO-CODE (-1 when there is none) and its EXTRA-TEXT.
#pragma once

#include <string>

#include "dns/message.h"
#include "dns/message_parser.h"

namespace flatns::testing {

inline int ede_code_of(const dns::Message& m) {
  for (auto& o : m.options) {
    if (o.code == dns::edns_option::EDE && o.data.size() >= 2) return o.data[0] << 8 | o.data[1];
  }
  return -1;
}

inline std::string ede_text_of(const dns::Message& m) {
  for (auto& o : m.options) {
    if (o.code == dns::edns_option::EDE && o.data.size() >= 2) return std::string(o.data.begin() + 2, o.data.end());
  }
  return "";
}

}  // namespace flatns::testing
