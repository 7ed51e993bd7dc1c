#include "transfer/catalog.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "dns/rrtype.h"
#include "zones/zone.h"

namespace flatns::transfer {
namespace {

constexpr std::string_view kSchemaVersion = "2";  // RFC 9432 §4.2.1
// A member file name longer than this is replaced by its hash (NAME_MAX is
// 255 on Linux file systems; ".zone" and a temporary suffix come on top).
constexpr std::size_t kMaxFileName = 200;

// The first label of a wire name, lowercased, in presentation form.
std::string first_label_text(dns::NameView name) {
  if (name.empty() || name[0] == 0) return "";
  std::vector<uint8_t> one(name.begin(), name.begin() + 1 + name[0]);
  one.push_back(0);
  dns::lowercase_name(one);
  std::string text = dns::name_to_text(one);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

bool first_label_is(dns::NameView name, std::string_view label) {
  if (name.empty() || name[0] != label.size()) return false;
  for (std::size_t i = 0; i < label.size(); ++i) {
    if (dns::ascii_lower(name[1 + i]) != static_cast<uint8_t>(label[i])) return false;
  }
  return true;
}

// The character-strings of one TXT record (RFC 1035 §3.3.14).
std::vector<std::string> txt_strings(std::span<const uint8_t> rdata) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < rdata.size()) {
    const std::size_t len = rdata[pos];
    if (pos + 1 + len > rdata.size()) break;
    out.emplace_back(reinterpret_cast<const char*>(rdata.data() + pos + 1), len);
    pos += 1 + len;
  }
  return out;
}

struct Properties {
  std::vector<dns::Name> coo;
  std::optional<std::string> group;
};

struct Collected {
  int version_records = 0;
  bool version_two = false;
  std::map<std::string, std::pair<std::string, std::vector<dns::Name>>> member_ptrs;  // id -> (owner, targets)
  std::unordered_map<std::string, Properties> properties;
};

void collect_node(const zones::Zone& zone, const zones::Node& node, const dns::Name& catalog, Collected& c,
                  CatalogRead& out) {
  const dns::NameView name = zone.name(&node);
  const int below = dns::label_count(name) - catalog.labels();
  const std::string owner = dns::name_to_text(name);
  auto each = [&](uint16_t type, auto&& f) {
    if (const auto* set = zone.rrset(&node, type)) zone.records(*set).for_each(f);
  };
  if (below == 1 && first_label_is(name, "version")) {
    each(dns::rrtype::TXT, [&](std::span<const uint8_t> rdata) {
      ++c.version_records;
      const auto strings = txt_strings(rdata);
      c.version_two = strings.size() == 1 && strings[0] == kSchemaVersion;
    });
    return;
  }
  if (below < 2 || !first_label_is(dns::strip_labels(name, below - 1), "zones")) return;  // not under zones.<catalog>: ignored (§4)
  if (below == 2) {
    std::vector<dns::Name> targets;
    each(dns::rrtype::PTR, [&](std::span<const uint8_t> rdata) {
      dns::Name target;
      if (dns::Name::from_wire(rdata, target)) targets.push_back(target.lowercased());
    });
    const bool other_data = zone.rrsets(&node).size() > (targets.empty() ? 0u : 1u);
    if (other_data) out.notes.push_back(owner + ": records other than PTR at a member node are ignored");
    if (!targets.empty()) c.member_ptrs[first_label_text(name)] = {owner, std::move(targets)};
    return;
  }
  const std::string id = first_label_text(dns::strip_labels(name, below - 2));
  if (below == 3 && first_label_is(name, "coo")) {
    each(dns::rrtype::PTR, [&](std::span<const uint8_t> rdata) {
      dns::Name target;
      if (dns::Name::from_wire(rdata, target)) c.properties[id].coo.push_back(target.lowercased());
    });
  } else if (below == 3 && first_label_is(name, "group")) {
    each(dns::rrtype::TXT, [&](std::span<const uint8_t> rdata) {
      const auto strings = txt_strings(rdata);
      auto& group = c.properties[id].group;
      if (!group && !strings.empty()) group = strings[0];
    });
  } else if (!zone.rrsets(&node).empty()) {
    out.notes.push_back(owner + ": property not defined by RFC 9432, ignored");
  }
}

}  // namespace

CatalogRead read_catalog(const zones::Zone& zone, std::size_t max_members) {
  CatalogRead out;
  const dns::Name& catalog = zone.origin();
  const std::string name = catalog.to_text();
  Collected c;
  for (const auto& node : zone.nodes()) collect_node(zone, node, catalog, c, out);
  if (c.version_records != 1 || !c.version_two) {
    out.error = "catalog " + name + ": version." + name +
                (c.version_records == 0 ? " has no TXT record"
                 : c.version_records > 1 ? " has " + std::to_string(c.version_records) + " TXT records"
                                         : " is not \"2\"") +
                "; only schema version 2 (RFC 9432) is read";
    return out;
  }
  std::unordered_map<dns::Name, std::string, dns::NameHash> owner_of;
  for (auto& [id, entry] : c.member_ptrs) {
    auto& [owner, targets] = entry;
    if (targets.size() != 1) {
      out.error = "catalog " + name + ": " + owner + " has " + std::to_string(targets.size()) +
                  " PTR records; a member node has exactly one (RFC 9432 §4.1)";
      return out;
    }
    const dns::Name& zone_name = targets[0];
    if (zone_name.is_root() || zone_name.is_subdomain_of(catalog)) {
      out.error = "catalog " + name + ": " + owner + " PTR " + zone_name.to_text() +
                  " is not a member zone (the root, the catalog or a name in it)";
      return out;
    }
    if (auto [earlier, added] = owner_of.emplace(zone_name, owner); !added) {
      out.error = "catalog " + name + ": " + owner + " and " + earlier->second + " both name " +
                  zone_name.to_text() + "; a zone is a member once (RFC 9432 §4.1)";
      return out;
    }
    if (out.members.size() >= max_members) {
      out.error = "catalog " + name + ": more than " + std::to_string(max_members) +
                  " members (max_members); the catalog is not read";
      return out;
    }
    CatalogMember member{zone_name, id, std::nullopt, std::nullopt};
    if (auto p = c.properties.find(id); p != c.properties.end()) {
      member.group = p->second.group;
      if (p->second.coo.size() == 1) {
        member.coo = p->second.coo[0];
      } else if (p->second.coo.size() > 1) {
        out.notes.push_back("coo." + owner + ": more than one PTR; the property is ignored (RFC 9432 §4.4.1)");
      }
    }
    out.members.push_back(std::move(member));
  }
  std::sort(out.members.begin(), out.members.end(),
            [](const CatalogMember& a, const CatalogMember& b) { return a.zone < b.zone; });
  out.ok = true;
  return out;
}

std::string member_file_name(const dns::Name& zone) {
  const dns::Name lower = zone.lowercased();
  const dns::NameView wire = lower.wire();
  std::string out;
  std::size_t pos = 0;
  while (pos < wire.size() && wire[pos] != 0) {
    const std::size_t len = wire[pos];
    if (!out.empty()) out += '.';
    for (std::size_t i = 0; i < len && pos + 1 + i < wire.size(); ++i) {
      const uint8_t ch = wire[pos + 1 + i];
      if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_') {
        out += static_cast<char>(ch);
      } else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", ch);
        out += hex;
      }
    }
    pos += 1 + len;
  }
  if (out.empty()) out = "%00root";  // not a member (read_catalog refuses it), but never "" either
  if (out.size() > kMaxFileName) out = "long-" + member_unique_id(zone);
  return out + ".zone";
}

std::string member_unique_id(const dns::Name& zone) {
  // FNV-1a, 64 bits: stable across builds and machines (std::hash is not).
  uint64_t hash = 14695981039346656037ull;
  const dns::Name lower = zone.lowercased();  // the span below must not outlive it
  for (uint8_t octet : lower.wire()) {
    hash ^= octet;
    hash *= 1099511628211ull;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

namespace {

// A TXT character-string in presentation form: quoted, `"` and `\` escaped,
// octets outside printable ASCII as \DDD.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (unsigned char ch : text) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch > 0x7e) {
      char esc[5];
      std::snprintf(esc, sizeof esc, "\\%03u", ch);
      out += esc;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

}  // namespace

std::string catalog_zone_text(const dns::Name& catalog, uint32_t serial, std::vector<ProducedMember> members) {
  std::sort(members.begin(), members.end(),
            [](const ProducedMember& a, const ProducedMember& b) { return a.zone < b.zone; });
  const std::string origin = catalog.to_text();
  // TTL 0 and an SOA of "invalid." as RFC 9432 §4 and its examples write it.
  std::string out = "$ORIGIN " + origin + "\n$TTL 0\n";
  out += "@ SOA invalid. invalid. " + std::to_string(serial) + " 3600 600 2147483646 0\n";
  out += "@ NS invalid.\n";
  out += "version TXT \"2\"\n";
  for (const auto& m : members) {
    const std::string id = member_unique_id(m.zone);
    out += id + ".zones PTR " + m.zone.to_text() + "\n";
    if (!m.group.empty()) out += "group." + id + ".zones TXT " + quoted(m.group.substr(0, 255)) + "\n";
  }
  return out;
}

}  // namespace flatns::transfer
