// Tokenizer for master files (RFC 1035 §5.1): splits a buffer into entries
// (one record or directive each, joining lines inside parentheses), dropping
// comments and keeping tokens as views into the buffer with escapes intact.
//
// Internal to zones/: zone_file.cpp drives it. Nothing here allocates per
// token; an Entry's token vector is reused from one entry to the next.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace flatns::zones {

struct ZoneToken {
  std::string_view text;  // without the quotes when quoted; escapes untouched
  bool quoted = false;
  std::size_t line = 0;
};

struct LexedEntry {
  std::vector<ZoneToken> tokens;
  std::size_t line = 0;         // line of the first token
  bool owner_omitted = false;   // the entry's first line starts with a blank
};

class ZoneLexer {
 public:
  enum class Result { kEntry, kError, kEnd };

  explicit ZoneLexer(std::string_view text) : text_(text) {}

  // Reads the next entry. On kError, `error` and `error_line` say what was
  // wrong; the lexer has skipped to the start of the next line so the caller
  // can go on.
  Result next(LexedEntry& entry, std::string& error, std::size_t& error_line);

 private:
  void skip_rest_of_line();

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

}  // namespace flatns::zones
