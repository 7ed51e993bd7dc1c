// BIND's $GENERATE directive (BIND 9 ARM, "BIND Primary File Extension: the
// $GENERATE Directive"): the range syntax and the `$` / `${offset,width,base}`
// substitutions. Internal to zones/: zone_file.cpp expands the records.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace flatns::zones {

struct GenerateRange {
  uint32_t start = 0;
  uint32_t stop = 0;
  uint32_t step = 1;
  uint64_t count() const { return (static_cast<uint64_t>(stop) - start) / step + 1; }
};

// "start-stop" or "start-stop/step"; start <= stop, step >= 1.
[[nodiscard]] bool parse_generate_range(std::string_view text, GenerateRange& range,
                                        std::string& error);

// Appends `pattern` to `out` with every `$` replaced by `value` and every
// `${offset[,width[,base]]}` by value+offset in base d, o, x, X, n or N
// (n/N: reversed nibbles separated by dots, as in ip6.arpa names), zero-padded
// to width. Backslash escapes, `\$` among them, are copied unchanged for the
// name and RDATA parsers to resolve.
[[nodiscard]] bool generate_substitute(std::string_view pattern, uint32_t value, std::string& out,
                                       std::string& error);

}  // namespace flatns::zones
