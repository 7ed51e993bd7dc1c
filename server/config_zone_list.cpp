#include "server/config_zone_list.h"

#include <unordered_map>

namespace flatns::server {
namespace {

struct Line {
  std::size_t begin = 0;  // offset in the text
  std::string_view text;  // without the newline
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back({pos, text.substr(pos, end - pos)});
    pos = end + 1;
  }
  return lines;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Drops a comment: '#' at the start or after a space ends a plain scalar.
std::string_view strip_comment(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '#' && (i == 0 || s[i - 1] == ' ')) return trim_right(s.substr(0, i));
  }
  return trim_right(s);
}

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// A plain scalar whose YAML meaning is its text: no indicator, quote, space,
// escape or null form.
bool plain_value(std::string_view v) {
  if (v.empty() || v == "null" || v == "Null" || v == "NULL") return false;
  if (!(is_alnum(v[0]) || v[0] == '.' || v[0] == '_' || v[0] == '/')) return false;
  for (char c : v) {
    if (!(is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '/' || c == '+' || c == '=')) return false;
  }
  return true;
}

// Brackets opened and not closed in `s` outside quotes and comments: a
// `zones:` line inside a flow collection is not a top-level key.
int open_brackets(std::string_view s) {
  int depth = 0;
  char quote = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
      if (c == '\n') quote = 0;  // malformed: yaml-cpp will say so
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\n')) {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return depth;
}

struct RawEntry {
  std::size_t line = 0;
  std::string_view name, file, flatten;
  bool has_name = false, has_file = false, has_flatten = false;
};

// "key: value" into `entry`; false when it is not the simple shape.
bool read_key(std::string_view content, RawEntry& entry) {
  const std::size_t colon = content.find(':');
  if (colon == std::string_view::npos || colon + 1 >= content.size() || content[colon + 1] != ' ') return false;
  const std::string_view key = content.substr(0, colon);
  std::string_view value = content.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  value = strip_comment(value);
  if (!plain_value(value)) return false;
  auto take = [&](bool& has, std::string_view& slot) {
    if (has) return false;
    has = true;
    slot = value;
    return true;
  };
  if (key == "name") return take(entry.has_name, entry.name);
  if (key == "file") return take(entry.has_file, entry.file);
  if (key == "flatten") return take(entry.has_flatten, entry.flatten);
  return false;
}

// The lines of the list after `zones:` up to the next top-level line.
bool read_entries(const std::vector<Line>& lines, std::size_t first, std::size_t& end, std::vector<RawEntry>& out) {
  std::size_t dash = 0;  // indentation of "- "; 0 until the first entry
  for (end = first; end < lines.size(); ++end) {
    const std::string_view raw = trim_right(lines[end].text);
    std::size_t indent = 0;
    while (indent < raw.size() && raw[indent] == ' ') ++indent;
    if (indent == raw.size() || raw[indent] == '#') continue;  // blank or comment
    if (raw[indent] == '\t') return false;
    if (indent == 0) break;  // the next top-level key
    std::string_view content = raw.substr(indent);
    if (content.size() > 2 && content[0] == '-' && content[1] == ' ') {
      if (dash == 0) dash = indent;
      if (indent != dash) return false;
      out.push_back({});
      out.back().line = end + 1;
      content.remove_prefix(2);
      if (!is_alnum(content[0])) return false;
    } else if (out.empty() || indent != dash + 2) {
      return false;
    }
    if (!read_key(content, out.back())) return false;
  }
  return !out.empty();
}

bool to_entry(const RawEntry& raw, ZoneEntry& entry) {
  if (!raw.has_name || !raw.has_file) return false;
  entry.line = raw.line;
  dns::Name root;
  std::string problem;
  if (!dns::Name::from_text(raw.name, &root, entry.config.origin, problem)) return false;
  entry.config.file = std::string(raw.file);
  if (raw.has_flatten) {
    if (raw.flatten == "apex") {
      entry.config.flatten = zones::FlattenMode::Apex;
    } else if (raw.flatten == "all") {
      entry.config.flatten = zones::FlattenMode::All;
    } else if (raw.flatten == "off") {
      entry.config.flatten = zones::FlattenMode::Off;
    } else {
      return false;
    }
  }
  return true;
}

// The one top-level `zones:` line, when the document's top level is plain
// enough to know it is one; lines.size() otherwise.
std::size_t find_zones_line(const std::vector<Line>& lines) {
  std::size_t found = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view t = lines[i].text;
    if (t.empty() || t[0] == ' ' || t[0] == '#') continue;
    if (t.starts_with("---") || t.starts_with("...") || t[0] == '%' || t[0] == '\t' || t[0] == '"' ||
        t[0] == '\'' || t[0] == '?' || t[0] == '{' || t[0] == '[' || t[0] == '-') {
      return lines.size();
    }
    if (!t.starts_with("zones")) continue;
    if (found != lines.size() || strip_comment(t) != "zones:") return lines.size();
    found = i;
  }
  return found;
}

}  // namespace

std::optional<SimpleZoneList> read_simple_zone_list(std::string_view text) {
  const std::vector<Line> lines = split_lines(text);
  const std::size_t zones_line = find_zones_line(lines);
  if (zones_line == lines.size()) return std::nullopt;
  if (open_brackets(text.substr(0, lines[zones_line].begin)) != 0) return std::nullopt;
  std::vector<RawEntry> raw;
  std::size_t end = 0;
  if (!read_entries(lines, zones_line + 1, end, raw)) return std::nullopt;
  if (end < lines.size() && !lines[end].text.empty() &&
      (lines[end].text[0] == ']' || lines[end].text[0] == '}' || lines[end].text[0] == ',')) {
    return std::nullopt;
  }

  SimpleZoneList list;
  list.zones.resize(raw.size());
  std::unordered_map<dns::Name, std::size_t, dns::NameHash> seen;
  seen.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (!to_entry(raw[i], list.zones[i])) return std::nullopt;
    if (!seen.emplace(list.zones[i].config.origin, i).second) return std::nullopt;  // a duplicate
  }
  // The list's lines blanked, their newlines kept: yaml-cpp reads the rest
  // with the same line numbers.
  const std::size_t cut_begin = lines[zones_line].begin;
  const std::size_t cut_end = end < lines.size() ? lines[end].begin : text.size();
  list.rest.reserve(text.size() - (cut_end - cut_begin) + (end - zones_line));
  list.rest.append(text.substr(0, cut_begin));
  list.rest.append(end - zones_line, '\n');
  list.rest.append(text.substr(cut_end));
  return list;
}

}  // namespace flatns::server
