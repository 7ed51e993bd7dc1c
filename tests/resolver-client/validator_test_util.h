// Test-only readers for the outside vectors the validator tests use: zone
// files in RFC 1035 master-file syntax (the RFC 5155 example zone, the IANA
// root zone) and the ENTRY sections of Unbound/Deckard replay files (.rpl).
// resolver-client may not depend on zones/, so this is a small reader of its
// own: $ORIGIN/$TTL, blank owners, parentheses, ';' comments, quoted strings.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/message_parser.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace flatns::testutil {

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Token {
  std::string text;
  bool quoted = false;
};

// Splits one logical record (parentheses joined) into tokens.
struct LogicalLine {
  std::vector<Token> tokens;
  bool blank_owner = false;
  int line = 0;
};

inline std::vector<LogicalLine> logical_lines(const std::string& text) {
  std::vector<LogicalLine> out;
  LogicalLine cur;
  int depth = 0, line_no = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (depth == 0) {
      cur = LogicalLine{};
      cur.line = line_no;
      cur.blank_owner = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    }
    std::string tok;
    bool in_quote = false, have_tok = false, quoted = false;
    auto flush = [&] {
      if (have_tok) cur.tokens.push_back({tok, quoted});
      tok.clear();
      have_tok = quoted = false;
    };
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (in_quote) {
        if (c == '\\' && i + 1 < line.size()) {
          tok += c;
          tok += line[++i];
        } else if (c == '"') {
          in_quote = false;
        } else {
          tok += c;
        }
        continue;
      }
      if (c == ';') break;
      if (c == '"') {
        flush();
        in_quote = have_tok = quoted = true;
      } else if (c == '(') {
        flush();
        ++depth;
      } else if (c == ')') {
        flush();
        --depth;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        flush();
      } else {
        // An escape keeps its backslash and the escaped character ("\\#", "\\.").
        tok += c;
        if (c == '\\' && i + 1 < line.size()) tok += line[++i];
        have_tok = true;
      }
    }
    flush();
    if (depth == 0 && !cur.tokens.empty()) out.push_back(cur);
  }
  return out;
}

inline bool is_number(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// Parses a record from tokens (owner already consumed when blank_owner).
inline dns::ResourceRecord parse_record(const LogicalLine& l, dns::Name& origin,
                                        dns::Name& last_owner, uint32_t& default_ttl) {
  std::size_t i = 0;
  dns::ResourceRecord rr;
  std::string err;
  if (!l.blank_owner) {
    if (!dns::Name::from_text(l.tokens[0].text, &origin, last_owner, err)) {
      throw std::runtime_error("line " + std::to_string(l.line) + ": " + err);
    }
    i = 1;
  }
  rr.owner = last_owner;
  rr.ttl = default_ttl;
  rr.rclass = dns::rrclass::IN;
  for (; i < l.tokens.size(); ++i) {
    const std::string& t = l.tokens[i].text;
    uint16_t cls;
    if (is_number(t)) {
      rr.ttl = static_cast<uint32_t>(std::stoul(t));
    } else if (dns::class_from_text(t, cls)) {
      rr.rclass = cls;
    } else if (dns::type_from_text(t, rr.type)) {
      ++i;
      break;
    } else {
      throw std::runtime_error("line " + std::to_string(l.line) + ": bad token " + t);
    }
  }
  std::vector<dns::TextToken> fields;
  for (; i < l.tokens.size(); ++i) fields.push_back({l.tokens[i].text, l.tokens[i].quoted});
  if (!dns::rdata_from_text(rr.type, fields, origin, rr.rdata, err)) {
    throw std::runtime_error("line " + std::to_string(l.line) + ": " + err);
  }
  return rr;
}

inline std::vector<dns::ResourceRecord> parse_zone_text(const std::string& text,
                                                       const dns::Name& origin_in) {
  dns::Name origin = origin_in, last_owner = origin_in;
  uint32_t default_ttl = 3600;
  std::vector<dns::ResourceRecord> out;
  for (const auto& l : logical_lines(text)) {
    if (l.tokens[0].text == "$ORIGIN" && !l.blank_owner) {
      origin = dns::Name::parse(l.tokens[1].text);
      continue;
    }
    if (l.tokens[0].text == "$TTL" && !l.blank_owner) {
      default_ttl = static_cast<uint32_t>(std::stoul(l.tokens[1].text));
      continue;
    }
    out.push_back(parse_record(l, origin, last_owner, default_ttl));
  }
  return out;
}

inline std::vector<dns::ResourceRecord> parse_zone_file(const std::string& path,
                                                       const dns::Name& origin) {
  return parse_zone_text(read_text(path), origin);
}

// The records of a zone with one owner and type (RRSIGs: those covering it
// when `type` is RRSIG and `covered` is set).
inline std::vector<dns::ResourceRecord> select(const std::vector<dns::ResourceRecord>& zone,
                                               const dns::Name& owner, uint16_t type,
                                               uint16_t covered = 0) {
  std::vector<dns::ResourceRecord> out;
  for (const auto& rr : zone) {
    if (!(rr.owner == owner) || rr.type != type) continue;
    if (type == dns::rrtype::RRSIG && covered != 0 &&
        (rr.rdata.size() < 2 || (rr.rdata[0] << 8 | rr.rdata[1]) != covered)) {
      continue;
    }
    out.push_back(rr);
  }
  return out;
}

// An RRset with its RRSIGs from a zone.
inline std::vector<dns::ResourceRecord> signed_rrset(const std::vector<dns::ResourceRecord>& zone,
                                                     const dns::Name& owner, uint16_t type) {
  auto out = select(zone, owner, type);
  auto sigs = select(zone, owner, dns::rrtype::RRSIG, type);
  out.insert(out.end(), sigs.begin(), sigs.end());
  return out;
}

// One ENTRY of a replay file, as a parsed response.
struct ReplayEntry {
  std::string step;  // "QUERY", "CHECK_ANSWER", or empty for a server's entry (RANGE)
  std::vector<std::string> reply_flags;
  dns::Message message;
};

inline std::vector<ReplayEntry> parse_replay_entries(const std::string& path) {
  std::vector<ReplayEntry> out;
  std::istringstream in(read_text(path));
  std::string line;
  bool in_entry = false;
  std::string section;
  ReplayEntry cur;
  dns::Name origin = dns::Name::root(), last_owner;
  uint32_t ttl = 3600;
  std::string step;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (first == "RANGE_BEGIN") step.clear();
    if (first == "STEP") {
      std::string number;
      words >> number >> step;
      continue;
    }
    if (first == "ENTRY_BEGIN") {
      in_entry = true;
      cur = ReplayEntry{};
      cur.step = step;
      section.clear();
      continue;
    }
    if (!in_entry) continue;
    if (first == "ENTRY_END") {
      in_entry = false;
      out.push_back(std::move(cur));
      continue;
    }
    if (first.empty() || first[0] == ';' || first == "MATCH" || first == "ADJUST") continue;
    if (first == "REPLY") {
      std::string w;
      while (words >> w) {
        cur.reply_flags.push_back(w);
        if (w == "NXDOMAIN") cur.message.flags |= dns::rcode::NXDOMAIN;
        if (w == "SERVFAIL") cur.message.flags |= dns::rcode::SERVFAIL;
        if (w == "REFUSED") cur.message.flags |= dns::rcode::REFUSED;
        if (w == "AA") cur.message.flags |= dns::flag::AA;
        if (w == "QR") cur.message.flags |= dns::flag::QR;
        if (w == "DO") cur.message.dnssec_ok = true;
      }
      continue;
    }
    if (first == "SECTION") {
      words >> section;
      continue;
    }
    auto lines = logical_lines(line);
    if (lines.empty()) continue;
    if (section == "QUESTION") {
      const auto& t = lines[0].tokens;
      cur.message.qname = dns::Name::parse(t[0].text);
      cur.message.has_question = true;
      cur.message.qclass = dns::rrclass::IN;
      (void)dns::type_from_text(t.back().text, cur.message.qtype);
      continue;
    }
    auto rr = parse_record(lines[0], origin, last_owner, ttl);
    if (section == "ANSWER") cur.message.answer.push_back(rr);
    if (section == "AUTHORITY") cur.message.authority.push_back(rr);
    if (section == "ADDITIONAL") cur.message.additional.push_back(rr);
  }
  return out;
}

// The first entry answering (qname, qtype) with the given reply flag (e.g.
// "AA" for the authoritative server's response, not the expected answer).
inline const ReplayEntry* find_entry(const std::vector<ReplayEntry>& entries,
                                     const dns::Name& qname, uint16_t qtype) {
  for (const auto& e : entries) {
    if (e.step.empty() && e.message.has_question && e.message.qname == qname &&
        e.message.qtype == qtype && (e.message.flags & dns::flag::QR)) {
      return &e;
    }
  }
  return nullptr;
}

// 2010-01-01T00:00:00Z: inside the RFC 5155 example zone's signature window.
inline constexpr int64_t kRfc5155Now = 1262304000;
// 2023-04-21T00:00:00Z: inside the corpus root zone's signature window.
inline constexpr int64_t kRootZoneNow = 1682035200;

}  // namespace flatns::testutil
