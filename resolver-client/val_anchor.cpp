#include "resolver-client/val_anchor.h"

#include <fstream>
#include <sstream>

#include "dns/dnssec.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace flatns::resolver {

namespace {

// The IANA root anchors (https://data.iana.org/root-anchors/root-anchors.xml,
// RFC 7958): KSK-2017 and KSK-2024, both RSA/SHA-256, SHA-256 digests.
constexpr std::string_view kBuiltinRootAnchors =
    ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
    ". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16\n";

// One record's tokens in zone-file syntax: ';' comments, '(' ')' joining lines.
struct Entry {
  std::size_t line = 0;
  std::vector<std::string> tokens;
};

bool split_entries(std::string_view text, std::vector<Entry>& out, std::size_t& bad_line,
                   std::string& error) {
  Entry current;
  int depth = 0;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (const auto semi = line.find(';'); semi != std::string_view::npos) {
      line = line.substr(0, semi);
    }
    std::string token;
    auto flush = [&] {
      if (!token.empty()) current.tokens.push_back(std::move(token));
      token.clear();
    };
    for (const char c : line) {
      if (c == '(') {
        flush();
        ++depth;
      } else if (c == ')') {
        flush();
        if (--depth < 0) {
          bad_line = line_no;
          error = "')' without '('";
          return false;
        }
      } else if (c == '"') {
        bad_line = line_no;
        error = "quoted strings are not allowed in DS/DNSKEY records";
        return false;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        flush();
      } else {
        if (current.tokens.empty() && token.empty()) current.line = line_no;
        token.push_back(c);
      }
    }
    flush();
    if (depth == 0 && !current.tokens.empty()) {
      out.push_back(std::move(current));
      current = Entry{};
    }
    if (end == text.size()) break;
  }
  if (depth != 0) {
    bad_line = current.line;
    error = "'(' not closed";
    return false;
  }
  return true;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// Parses "owner [ttl] [class] TYPE rdata..." into an anchor DS record.
bool parse_entry(const Entry& e, dns::Name& owner, std::vector<uint8_t>& ds, std::string& error) {
  if (!dns::Name::from_text(e.tokens[0], nullptr, owner, error)) {
    error = "owner '" + e.tokens[0] + "': " + error;
    return false;
  }
  std::size_t i = 1;
  uint16_t type = 0;
  for (; i < e.tokens.size() && i <= 3; ++i) {
    uint16_t cls = 0;
    if (all_digits(e.tokens[i])) continue;  // TTL: irrelevant for anchors
    if (dns::class_from_text(e.tokens[i], cls)) {
      if (cls != dns::rrclass::IN) {
        error = "class " + e.tokens[i] + " is not IN";
        return false;
      }
      continue;
    }
    if (!dns::type_from_text(e.tokens[i], type)) {
      error = "'" + e.tokens[i] + "' is not a TTL, class or type";
      return false;
    }
    ++i;
    break;
  }
  if (type != dns::rrtype::DS && type != dns::rrtype::DNSKEY) {
    error = "trust anchors must be DS or DNSKEY records";
    return false;
  }
  std::vector<dns::TextToken> fields;
  for (; i < e.tokens.size(); ++i) fields.push_back({e.tokens[i], false});
  std::vector<uint8_t> rdata;
  if (!dns::rdata_from_text(type, fields, dns::Name::root(), rdata, error)) {
    error = dns::type_to_text(type) + " " + owner.to_text() + ": " + error;
    return false;
  }
  if (type == dns::rrtype::DS) {
    ds = std::move(rdata);
    return true;
  }
  // DNSKEY anchors become SHA-256 DS records so that the chain of trust has
  // one shape from the anchor down.
  dns::DnskeyRdata key;
  if (!dns::parse_dnskey(rdata, key) || (key.flags & dns::kDnskeyFlagZone) == 0) {
    error = "DNSKEY " + owner.to_text() + ": not a zone key (flags lack bit 7)";
    return false;
  }
  dns::Digest digest;
  if (!dns::ds_digest(owner.wire(), rdata, dns::ds_digest_type::SHA256, digest)) {
    error = "DNSKEY " + owner.to_text() + ": cannot compute its DS digest";
    return false;
  }
  const uint16_t tag = dns::key_tag(rdata);
  ds = {static_cast<uint8_t>(tag >> 8), static_cast<uint8_t>(tag), key.algorithm,
        dns::ds_digest_type::SHA256};
  ds.insert(ds.end(), digest.view().begin(), digest.view().end());
  return true;
}

}  // namespace

TrustAnchors TrustAnchors::builtin() {
  TrustAnchors anchors;
  std::string error;
  const bool ok = anchors.add_text(kBuiltinRootAnchors, "built-in root anchors", error);
  (void)ok;  // constant text, covered by a test
  return anchors;
}

bool TrustAnchors::load_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open trust anchor file";
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return add_text(text.str(), path, error);
}

bool TrustAnchors::add_text(std::string_view text, std::string_view source, std::string& error) {
  std::vector<Entry> entries;
  std::size_t bad_line = 0;
  std::string why;
  if (!split_entries(text, entries, bad_line, why)) {
    error = std::string(source) + ":" + std::to_string(bad_line) + ": " + why;
    return false;
  }
  if (entries.empty()) {
    error = std::string(source) + ": no DS or DNSKEY record";
    return false;
  }
  std::vector<std::pair<dns::Name, std::vector<uint8_t>>> parsed;
  for (const auto& e : entries) {
    dns::Name owner;
    std::vector<uint8_t> ds;
    if (!parse_entry(e, owner, ds, why)) {
      error = std::string(source) + ":" + std::to_string(e.line) + ": " + why;
      return false;
    }
    parsed.emplace_back(std::move(owner), std::move(ds));
  }
  for (auto& [owner, ds] : parsed) {
    DsSet* set = nullptr;
    for (auto& a : anchors_) {
      if (a.zone == owner) set = &a;
    }
    if (set == nullptr) {
      anchors_.push_back(DsSet{owner, Verdict::secure(owner), {}, 0});
      set = &anchors_.back();
    }
    bool dup = false;
    for (const auto& existing : set->ds) dup = dup || existing == ds;
    if (!dup) set->ds.push_back(std::move(ds));
  }
  return true;
}

const DsSet* TrustAnchors::closest(const dns::Name& name) const {
  const DsSet* best = nullptr;
  for (const auto& a : anchors_) {
    if (name.is_subdomain_of(a.zone) && (best == nullptr || a.zone.labels() > best->zone.labels())) {
      best = &a;
    }
  }
  return best;
}

const DsSet* TrustAnchors::find(const dns::Name& zone) const {
  for (const auto& a : anchors_) {
    if (a.zone == zone) return &a;
  }
  return nullptr;
}

}  // namespace flatns::resolver
