#include "zones/zone_lexer.h"

#include <array>

namespace flatns::zones {

namespace {

enum CharClass : uint8_t { kPlain, kBlank, kNewline, kSpecial, kBackslash };

constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> c{};
  c[' '] = c['\t'] = c['\r'] = kBlank;  // '\r' makes CRLF files read like LF ones
  c['\n'] = kNewline;
  c[';'] = c['('] = c[')'] = c['"'] = kSpecial;
  c['\\'] = kBackslash;
  return c;
}
constexpr std::array<uint8_t, 256> kClass = make_classes();

inline uint8_t class_of(char ch) { return kClass[static_cast<uint8_t>(ch)]; }

}  // namespace

void ZoneLexer::skip_rest_of_line() {
  while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
  if (pos_ < text_.size()) {
    ++pos_;
    ++line_;
  }
}

ZoneLexer::Result ZoneLexer::next(LexedEntry& entry, std::string& error, std::size_t& error_line) {
  entry.tokens.clear();
  // Local copies: the buffer is char, which may alias the members, so the
  // compiler would otherwise store and reload them at every octet.
  std::size_t pos = pos_, line = line_;
  const auto save = [&] {
    pos_ = pos;
    line_ = line;
  };
  const auto skip_line = [&] {
    save();
    skip_rest_of_line();
    pos = pos_;
    line = line_;
  };
  const char* const s = text_.data();
  const std::size_t n = text_.size();
  int depth = 0;
  std::size_t open_line = 0;
  bool at_line_start = true;

  // Where to go on when a parenthesis is never closed: the first line after
  // the opening one that starts in column 0, most likely the next record.
  std::size_t resume_pos = 0, resume_line = 0;

  while (pos < n) {
    if (at_line_start) {
      if (depth == 0 && entry.tokens.empty()) {
        entry.owner_omitted = class_of(s[pos]) == kBlank;
      } else if (depth > 0 && resume_pos == 0 && class_of(s[pos]) == kPlain) {
        resume_pos = pos;
        resume_line = line;
      }
    }
    at_line_start = false;
    const char ch = s[pos];
    switch (class_of(ch)) {
      case kBlank:
        ++pos;
        break;
      case kNewline:
        ++pos;
        ++line;
        at_line_start = true;
        if (depth == 0 && !entry.tokens.empty()) {
          save();
          return Result::kEntry;
        }
        break;
      case kSpecial:
        if (ch == ';') {
          while (pos < n && s[pos] != '\n') ++pos;
        } else if (ch == '(') {
          if (depth++ == 0) open_line = line;
          ++pos;
        } else if (ch == ')') {
          if (depth == 0) {
            error = "')' without an opening parenthesis";
            error_line = line;
            skip_line();
            return Result::kError;
          }
          --depth;
          ++pos;
        } else {  // '"'
          const std::size_t start_line = line;
          const std::size_t begin = ++pos;
          while (pos < n && s[pos] != '"' && s[pos] != '\n') {
            if (s[pos] == '\\' && pos + 1 < n) {
              if (s[pos + 1] == '\n') ++line;
              ++pos;
            }
            ++pos;
          }
          if (pos >= n || s[pos] == '\n') {
            error = "unterminated quoted string";
            error_line = start_line;
            skip_line();
            return Result::kError;
          }
          if (entry.tokens.empty()) entry.line = start_line;
          entry.tokens.push_back({std::string_view(s + begin, pos - begin), true, start_line});
          ++pos;  // closing quote
        }
        break;
      default: {  // plain text or an escape: one unquoted token
        const std::size_t start_line = line;
        const std::size_t begin = pos;
        while (pos < n) {
          const uint8_t c = class_of(s[pos]);
          if (c == kPlain) {
            ++pos;
          } else if (c == kBackslash) {
            if (pos + 1 < n) {
              if (s[pos + 1] == '\n') ++line;
              pos += 2;
            } else {
              ++pos;
            }
          } else {
            break;
          }
        }
        if (entry.tokens.empty()) entry.line = start_line;
        entry.tokens.push_back({std::string_view(s + begin, pos - begin), false, start_line});
        break;
      }
    }
  }

  if (depth > 0) {
    error = "unbalanced parenthesis opened at line " + std::to_string(open_line);
    error_line = open_line;
    if (resume_pos != 0) {
      pos = resume_pos;
      line = resume_line;
    }
    save();
    return Result::kError;
  }
  save();
  return entry.tokens.empty() ? Result::kEnd : Result::kEntry;
}

}  // namespace flatns::zones
