#include "zones/zone_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "zones/zone_generate.h"
#include "zones/zone_lexer.h"
#include "zones/zone_memory.h"
#include "zones/zone_source.h"

namespace flatns::zones {

std::string ZoneFileError::to_string() const {
  return file + ":" + std::to_string(line) + ": " + message;
}

bool ttl_from_text(std::string_view text, uint32_t& ttl, std::string& error) {
  const auto fail = [&](const std::string& why) {
    error = "bad TTL '" + std::string(text) + "': " + why;
    return false;
  };
  if (text.empty()) return fail("empty");
  constexpr uint64_t kMax = 0xffffffffULL;
  uint64_t total = 0, number = 0;
  bool have_digits = false;
  for (const char ch : text) {
    if (ch >= '0' && ch <= '9') {
      number = number * 10 + static_cast<uint64_t>(ch - '0');
      if (number > kMax) return fail("larger than 4294967295 seconds");
      have_digits = true;
      continue;
    }
    uint64_t unit = 0;
    switch (ch | 0x20) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 604800; break;
      default: return fail("unexpected '" + std::string(1, ch) + "' (units are s, m, h, d, w)");
    }
    if (!have_digits) return fail("unit '" + std::string(1, ch) + "' without a number");
    total += number * unit;
    if (total > kMax) return fail("larger than 4294967295 seconds");
    number = 0;
    have_digits = false;
  }
  total += number;
  if (total > kMax) return fail("larger than 4294967295 seconds");
  ttl = static_cast<uint32_t>(total);
  return true;
}

namespace {

constexpr uint64_t kMaxGenerateRecords = 1u << 24;

// RFC 2181 §8: a TTL with the top bit set counts as zero (BIND loads it so too).
uint32_t rfc2181_ttl(uint32_t ttl) { return ttl > 0x7fffffffu ? 0 : ttl; }

bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (dns::ascii_lower(static_cast<uint8_t>(a[i])) != dns::ascii_lower(static_cast<uint8_t>(b[i])))
      return false;
  }
  return true;
}

// The token as the user wrote it, in single quotes for messages.
std::string quote(const ZoneToken& t) {
  std::string out;
  out.reserve(t.text.size() + 4);
  out.push_back('\'');
  if (t.quoted) out.push_back('"');
  out.append(t.text);
  if (t.quoted) out.push_back('"');
  out.push_back('\'');
  return out;
}

bool read_whole_file(const std::string& path, BigVector<char>& out, std::string& error,
                     std::vector<SourceFile>* sources) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    error = S_ISDIR(st.st_mode) ? "is a directory" : std::strerror(errno);
    ::close(fd);
    return false;
  }
  // One spare octet so that the read which finds the end needs no regrowth.
  out.resize(static_cast<std::size_t>(st.st_size) + 1);
  std::size_t done = 0;
  while (true) {
    if (done == out.size()) out.resize(out.size() + 65536);  // the file grew or is a pipe
    const ssize_t got = ::read(fd, out.data() + done, out.size() - done);
    if (got < 0) {
      if (errno == EINTR) continue;
      error = std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  ::close(fd);
  out.resize(done);
  if (sources) {
    sources->push_back({path, static_cast<uint64_t>(st.st_size),
                        static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                        static_cast<uint64_t>(st.st_ino), content_hash(std::string_view(out.data(), out.size()))});
  }
  return true;
}

// What one file being read knows: its origin and the owner of its last record.
struct FileContext {
  std::string name;
  dns::Name origin;
  dns::Name owner;
  std::string_view owner_text;  // text the owner was parsed from, to skip re-parsing it
  bool have_owner = false;
  bool owner_bad = false;  // the last owner failed to parse; lines that inherit it are not emitted
  int depth = 0;
};

// TTL, class and type of a record or $GENERATE line, in either order.
struct RecordHead {
  bool have_ttl = false;
  uint32_t ttl = 0;
  uint16_t rclass = dns::rrclass::IN;
  uint16_t type = 0;
};

class Scanner {
 public:
  Scanner(const ZoneFileOptions& options, const RecordViewSink& sink,
          std::vector<ZoneFileError>& errors)
      : options_(options), sink_(sink), errors_(errors), first_error_(errors.size()) {}

  bool ok() const { return errors_.size() == first_error_; }

  void scan_text(std::string_view text, FileContext& ctx);
  void scan_file(const std::string& path, const dns::Name& origin, int depth,
                 const FileContext* from, std::size_t from_line);
  void push_top(const std::string& file_name) { include_stack_.push_back({file_name, {}}); }

 private:
  static std::string canonical(const std::string& path) {
    std::error_code ec;
    auto p = std::filesystem::weakly_canonical(path, ec);
    return ec ? path : p.string();
  }

  void error(const std::string& file, std::size_t line, std::string message) {
    if (stopped_) return;
    if (errors_.size() - first_error_ >= options_.max_errors) {
      errors_.push_back({file, line, "too many errors, scanning stopped"});
      stopped_ = true;
      return;
    }
    errors_.push_back({file, line, std::move(message)});
  }

  void directive(FileContext& ctx, const LexedEntry& e);
  void include(FileContext& ctx, const LexedEntry& e);
  void generate(FileContext& ctx, const LexedEntry& e);
  void record(FileContext& ctx, const LexedEntry& e);
  bool parse_head(const FileContext& ctx, const LexedEntry& e, std::size_t& i, RecordHead& head);
  bool finish_record(const FileContext& ctx, const dns::Name& owner, const RecordHead& head,
                     std::span<const dns::TextToken> rdata, std::size_t line, bool emit);

  const ZoneFileOptions& options_;
  const RecordViewSink& sink_;
  std::vector<ZoneFileError>& errors_;
  const std::size_t first_error_;
  bool stopped_ = false;
  // The files being read. Their canonical paths (for $INCLUDE loops) are
  // resolved at the first $INCLUDE only: resolving costs a readlink per path
  // component, which showed with 100,000 one-file zones (issue 16).
  struct Reading {
    std::string path;
    std::string canonical;  // empty until needed
  };
  const std::string& canonical_of(Reading& r) {
    if (r.canonical.empty()) r.canonical = canonical(r.path);
    return r.canonical;
  }
  std::vector<Reading> include_stack_;
  bool dollar_ttl_set_ = false;
  uint32_t dollar_ttl_ = 0;
  bool last_ttl_set_ = false;
  uint32_t last_ttl_ = 0;
  std::vector<dns::TextToken> rdata_tokens_;
  std::vector<uint8_t> rdata_;  // reused for every record
  std::string message_;
};

void Scanner::scan_text(std::string_view text, FileContext& ctx) {
  ZoneLexer lexer(text);
  LexedEntry entry;
  entry.tokens.reserve(16);
  std::string lex_error;
  std::size_t lex_line = 0;
  while (!stopped_) {
    switch (lexer.next(entry, lex_error, lex_line)) {
      case ZoneLexer::Result::kEnd:
        return;
      case ZoneLexer::Result::kError:
        error(ctx.name, lex_line, lex_error);
        continue;
      case ZoneLexer::Result::kEntry:
        break;
    }
    const ZoneToken& first = entry.tokens.front();
    if (!entry.owner_omitted && !first.quoted && !first.text.empty() && first.text[0] == '$') {
      directive(ctx, entry);
    } else {
      record(ctx, entry);
    }
  }
}

void Scanner::scan_file(const std::string& path, const dns::Name& origin, int depth,
                        const FileContext* from, std::size_t from_line) {
  const std::string where = from ? from->name : path;
  std::string key;
  if (!include_stack_.empty()) {
    key = canonical(path);
    for (std::size_t k = 0; k < include_stack_.size(); ++k) {
      if (canonical_of(include_stack_[k]) != key) continue;
      std::string chain;
      for (std::size_t j = k; j < include_stack_.size(); ++j) chain += canonical_of(include_stack_[j]) + " -> ";
      error(where, from_line, "$INCLUDE loop: '" + path + "' is already being read (" + chain + key + ")");
      return;
    }
  }
  BigVector<char> text;
  std::string why;
  if (!read_whole_file(path, text, why, options_.sources)) {
    error(where, from_line, "cannot read zone file '" + path + "': " + why);
    return;
  }
  include_stack_.push_back({path, std::move(key)});
  FileContext ctx;
  ctx.name = path;
  ctx.origin = origin;
  ctx.depth = depth;
  scan_text(std::string_view(text.data(), text.size()), ctx);
  include_stack_.pop_back();
}

void Scanner::directive(FileContext& ctx, const LexedEntry& e) {
  const std::string_view name = e.tokens[0].text;
  const std::size_t args = e.tokens.size() - 1;
  if (equals_nocase(name, "$ORIGIN")) {
    if (args != 1) {
      error(ctx.name, e.line, args == 0 ? "$ORIGIN needs a domain name"
                                        : "$ORIGIN takes one domain name, found extra " +
                                              quote(e.tokens[2]));
      return;
    }
    dns::Name origin;
    if (!dns::Name::from_text(e.tokens[1].text, &ctx.origin, origin, message_)) {
      error(ctx.name, e.line, "$ORIGIN " + quote(e.tokens[1]) + ": " + message_);
      return;
    }
    ctx.origin = std::move(origin);
    ctx.owner_text = {};  // a relative owner means something else now
  } else if (equals_nocase(name, "$TTL")) {
    if (args != 1) {
      error(ctx.name, e.line, args == 0 ? "$TTL needs a TTL"
                                        : "$TTL takes one TTL, found extra " + quote(e.tokens[2]));
      return;
    }
    uint32_t ttl = 0;
    if (!ttl_from_text(e.tokens[1].text, ttl, message_)) {
      error(ctx.name, e.line, "$TTL: " + message_);
      return;
    }
    dollar_ttl_ = rfc2181_ttl(ttl);
    dollar_ttl_set_ = true;
  } else if (equals_nocase(name, "$INCLUDE")) {
    include(ctx, e);
  } else if (equals_nocase(name, "$GENERATE")) {
    generate(ctx, e);
  } else {
    error(ctx.name, e.line,
          "unknown directive " + quote(e.tokens[0]) + " (expected $ORIGIN, $TTL, $INCLUDE or $GENERATE)");
  }
}

void Scanner::include(FileContext& ctx, const LexedEntry& e) {
  const std::size_t args = e.tokens.size() - 1;
  if (args < 1 || args > 2) {
    error(ctx.name, e.line, args == 0 ? "$INCLUDE needs a file name"
                                      : "$INCLUDE takes a file name and an optional origin, found extra " +
                                            quote(e.tokens[3]));
    return;
  }
  std::filesystem::path file(std::string(e.tokens[1].text));
  if (file.is_relative()) {
    const auto folder = std::filesystem::path(ctx.name).parent_path();
    if (!folder.empty()) file = folder / file;
  }
  dns::Name origin = ctx.origin;
  if (args == 2 && !dns::Name::from_text(e.tokens[2].text, &ctx.origin, origin, message_)) {
    error(ctx.name, e.line, "$INCLUDE origin " + quote(e.tokens[2]) + ": " + message_);
    return;
  }
  if (ctx.depth + 1 > options_.max_include_depth) {
    error(ctx.name, e.line,
          "$INCLUDE of '" + file.string() + "' nested deeper than " +
              std::to_string(options_.max_include_depth) + " levels");
    return;
  }
  // RFC 1035 §5.1: the included file does not change the including file's
  // origin (and, as in BIND, not its current owner either): ctx is untouched.
  scan_file(file.string(), origin, ctx.depth + 1, &ctx, e.line);
}

bool Scanner::parse_head(const FileContext& ctx, const LexedEntry& e, std::size_t& i,
                         RecordHead& head) {
  bool have_class = false;
  const auto is_name_of_type_or_class = [](const ZoneToken& t) {
    uint16_t v = 0;
    return !t.quoted && (dns::type_from_text(t.text, v) || dns::class_from_text(t.text, v));
  };
  for (; i < e.tokens.size(); ++i) {
    const ZoneToken& t = e.tokens[i];
    if (!t.quoted && !t.text.empty()) {
      if (!head.have_ttl && t.text[0] >= '0' && t.text[0] <= '9') {
        if (!ttl_from_text(t.text, head.ttl, message_)) {
          error(ctx.name, t.line, message_);
          return false;
        }
        head.ttl = rfc2181_ttl(head.ttl);
        head.have_ttl = true;
        continue;
      }
      uint16_t cls = 0;
      if (!have_class && dns::class_from_text(t.text, cls)) {
        // "ANY" is a class and a type: it is the class only when a type follows.
        uint16_t also_type = 0;
        const bool is_type_instead =
            cls != dns::rrclass::IN && dns::type_from_text(t.text, also_type) &&
            !(i + 1 < e.tokens.size() && is_name_of_type_or_class(e.tokens[i + 1]));
        if (!is_type_instead) {
          if (cls != dns::rrclass::IN) {
            error(ctx.name, t.line, "class " + dns::class_to_text(cls) + " not supported");
            return false;
          }
          head.rclass = cls;
          have_class = true;
          continue;
        }
      }
      if (dns::type_from_text(t.text, head.type)) {
        if (dns::is_meta_type(head.type)) {
          error(ctx.name, t.line,
                "RR type " + dns::type_to_text(head.type) + " cannot appear in a zone file");
          return false;
        }
        ++i;
        return true;
      }
    }
    // Not a TTL, class or type. When a type follows, this token stood where a
    // TTL or class goes; otherwise it was meant as the type, unless no type
    // can look like it (types never start with a digit or come quoted).
    const bool type_follows = i + 1 < e.tokens.size() && is_name_of_type_or_class(e.tokens[i + 1]);
    const bool never_a_type = t.quoted || t.text.empty() || (t.text[0] >= '0' && t.text[0] <= '9');
    if (type_follows || never_a_type) {
      const char* expected = head.have_ttl && have_class ? "a type"
                             : head.have_ttl             ? "a class or type"
                             : have_class                ? "a TTL or type"
                                                         : "a TTL, class or type";
      error(ctx.name, t.line, std::string("expected ") + expected + ", found " + quote(t));
    } else {
      error(ctx.name, t.line, "unknown RR type " + quote(t));
    }
    return false;
  }
  error(ctx.name, e.tokens.back().line, "missing RR type after " + quote(e.tokens.back()));
  return false;
}

bool Scanner::finish_record(const FileContext& ctx, const dns::Name& owner,
                            const RecordHead& head, std::span<const dns::TextToken> rdata,
                            std::size_t line, bool emit) {
  if (!dns::rdata_from_text(head.type, rdata, ctx.origin, rdata_, message_)) {
    const std::string type = dns::type_to_text(head.type);
    if (message_.compare(0, type.size(), type) != 0) message_ = type + " " + message_;
    error(ctx.name, line, message_);
    return false;
  }
  uint32_t ttl = head.ttl;
  if (!head.have_ttl) {
    // BIND's rule: $TTL, else the previous record's TTL, else (first record)
    // the SOA MINIMUM for an SOA (RFC 1035 §3.3.13 era files).
    if (dollar_ttl_set_) {
      ttl = dollar_ttl_;
    } else if (last_ttl_set_) {
      ttl = last_ttl_;
    } else if (const auto soa =
                   head.type == dns::rrtype::SOA ? dns::soa_numbers(rdata_) : std::nullopt) {
      ttl = soa->minimum;
    } else {
      ttl = options_.default_ttl;
    }
  }
  last_ttl_ = ttl;
  last_ttl_set_ = true;
  if (!emit) return true;
  RecordView rec;
  rec.owner = owner.wire();
  rec.type = head.type;
  rec.rclass = head.rclass;
  rec.ttl = ttl;
  rec.rdata = rdata_;
  rec.file = &ctx.name;
  rec.line = line;
  sink_(rec);
  return true;
}

void Scanner::record(FileContext& ctx, const LexedEntry& e) {
  std::size_t i = 0;
  if (e.owner_omitted) {
    const std::string_view first = e.tokens[0].text;
    if (!e.tokens[0].quoted && !first.empty() && first[0] == '$') {
      for (const char* d : {"$ORIGIN", "$TTL", "$INCLUDE", "$GENERATE"}) {
        if (!equals_nocase(first, d)) continue;
        error(ctx.name, e.line, std::string(d) + " must start at the beginning of the line");
        return;
      }
    }
    if (!ctx.have_owner) {
      error(ctx.name, e.line, "no owner name: the first record of a file must not start with a blank");
      return;
    }
  } else {
    const ZoneToken& t = e.tokens[0];
    i = 1;
    if (t.quoted) {
      error(ctx.name, e.line, "owner name " + quote(t) + " must not be quoted");
      ctx.owner_bad = true;
      return;
    }
    if (!ctx.have_owner || ctx.owner_bad || t.text != ctx.owner_text) {
      ctx.have_owner = true;
      ctx.owner_text = {};
      if (!dns::Name::from_text(t.text, &ctx.origin, ctx.owner, message_)) {
        error(ctx.name, e.line, "owner name " + quote(t) + ": " + message_);
        ctx.owner_bad = true;
        return;
      }
      ctx.owner_bad = false;
      ctx.owner_text = t.text;
    }
  }
  if (i >= e.tokens.size()) {
    error(ctx.name, e.line, "expected a TTL, class or type after the owner name, found end of line");
    return;
  }
  RecordHead head;
  if (!parse_head(ctx, e, i, head)) return;
  rdata_tokens_.clear();
  for (; i < e.tokens.size(); ++i) rdata_tokens_.push_back({e.tokens[i].text, e.tokens[i].quoted});
  finish_record(ctx, ctx.owner, head, rdata_tokens_, e.line, !ctx.owner_bad);
}

void Scanner::generate(FileContext& ctx, const LexedEntry& e) {
  // $GENERATE range lhs [ttl] [class] type rhs
  if (e.tokens.size() < 5) {
    error(ctx.name, e.line, "$GENERATE needs: range lhs [ttl] [class] type rhs");
    return;
  }
  GenerateRange range;
  if (!parse_generate_range(e.tokens[1].text, range, message_)) {
    error(ctx.name, e.line, message_);
    return;
  }
  if (range.count() > kMaxGenerateRecords) {
    error(ctx.name, e.line, "$GENERATE range '" + std::string(e.tokens[1].text) + "' makes " +
                                std::to_string(range.count()) + " records, more than " +
                                std::to_string(kMaxGenerateRecords));
    return;
  }
  const std::string_view lhs = e.tokens[2].text;
  std::size_t i = 3;
  RecordHead head;
  if (!parse_head(ctx, e, i, head)) return;
  if (i >= e.tokens.size()) {
    error(ctx.name, e.line, "$GENERATE needs a right-hand side after the type");
    return;
  }
  // As BIND does, the right-hand side is substituted as text and then read
  // again as RDATA, so one quoted rhs may hold several fields; inside it \"
  // stands for a quote of that second reading.
  std::string rhs_pattern;
  if (i + 1 == e.tokens.size() && e.tokens[i].quoted) {
    const std::string_view quoted = e.tokens[i].text;
    for (std::size_t k = 0; k < quoted.size(); ++k) {
      if (quoted[k] == '\\' && k + 1 < quoted.size()) {
        if (quoted[k + 1] != '"') rhs_pattern.push_back('\\');
        rhs_pattern.push_back(quoted[++k]);
      } else {
        rhs_pattern.push_back(quoted[k]);
      }
    }
  } else {
    for (std::size_t k = i; k < e.tokens.size(); ++k) {
      if (k > i) rhs_pattern.push_back(' ');
      if (e.tokens[k].quoted) rhs_pattern.push_back('"');
      rhs_pattern.append(e.tokens[k].text);
      if (e.tokens[k].quoted) rhs_pattern.push_back('"');
    }
  }
  std::string owner_text, rhs_text, lex_error;
  LexedEntry rhs_entry;
  dns::Name owner;
  for (uint64_t v = range.start; v <= range.stop && !stopped_; v += range.step) {
    const auto value = static_cast<uint32_t>(v);
    owner_text.clear();
    rhs_text.clear();
    if (!generate_substitute(lhs, value, owner_text, message_) ||
        !generate_substitute(rhs_pattern, value, rhs_text, message_)) {
      error(ctx.name, e.line, message_);
      return;
    }
    if (!dns::Name::from_text(owner_text, &ctx.origin, owner, message_)) {
      error(ctx.name, e.line, "$GENERATE owner name '" + owner_text + "': " + message_);
      return;
    }
    ZoneLexer lexer(rhs_text);
    std::size_t lex_line = 0;
    rdata_tokens_.clear();
    const auto r = lexer.next(rhs_entry, lex_error, lex_line);
    if (r == ZoneLexer::Result::kError) {
      error(ctx.name, e.line, "$GENERATE right-hand side '" + rhs_text + "': " + lex_error);
      return;
    }
    if (r == ZoneLexer::Result::kEntry) {
      for (const ZoneToken& t : rhs_entry.tokens) rdata_tokens_.push_back({t.text, t.quoted});
    }
    if (!finish_record(ctx, owner, head, rdata_tokens_, e.line, true)) return;
  }
}

RecordViewSink copying_sink(const RecordSink& sink) {
  return [&sink](const RecordView& v) {
    ParsedRecord rec;
    if (!dns::Name::from_wire(v.owner, rec.owner)) return;  // the scanner made it: cannot fail
    rec.type = v.type;
    rec.rclass = v.rclass;
    rec.ttl = v.ttl;
    rec.rdata.assign(v.rdata.begin(), v.rdata.end());
    rec.file = *v.file;
    rec.line = v.line;
    sink(std::move(rec));
  };
}

}  // namespace

bool scan_zone_file_views(const std::string& path, const ZoneFileOptions& options,
                          const RecordViewSink& sink, std::vector<ZoneFileError>& errors) {
  Scanner scanner(options, sink, errors);
  scanner.scan_file(path, options.origin, 0, nullptr, 0);
  return scanner.ok();
}

bool scan_zone_text_views(std::string_view text, std::string_view file_name,
                          const ZoneFileOptions& options, const RecordViewSink& sink,
                          std::vector<ZoneFileError>& errors) {
  Scanner scanner(options, sink, errors);
  FileContext ctx;
  ctx.name = std::string(file_name);
  ctx.origin = options.origin;
  scanner.push_top(ctx.name);
  scanner.scan_text(text, ctx);
  return scanner.ok();
}

bool scan_zone_file(const std::string& path, const ZoneFileOptions& options,
                    const RecordSink& sink, std::vector<ZoneFileError>& errors) {
  return scan_zone_file_views(path, options, copying_sink(sink), errors);
}

bool scan_zone_text(std::string_view text, std::string_view file_name,
                    const ZoneFileOptions& options, const RecordSink& sink,
                    std::vector<ZoneFileError>& errors) {
  return scan_zone_text_views(text, file_name, options, copying_sink(sink), errors);
}

}  // namespace flatns::zones
