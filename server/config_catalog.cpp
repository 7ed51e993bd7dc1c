#include "server/config_catalog.h"

#include <charconv>
#include <filesystem>
#include <functional>
#include <set>

#include <yaml-cpp/yaml.h>

#include "server/config.h"

namespace flatns::server {
namespace {

std::optional<dns::Name> domain_name(const YAML::Node& v, const std::string& p, std::size_t l,
                                     const ConfigProblem& problem) {
  if (!v.IsScalar() || v.Scalar().empty()) {
    problem(l, p, "expected a domain name");
    return std::nullopt;
  }
  dns::Name root, name;
  std::string why;
  if (!dns::Name::from_text(v.Scalar(), &root, name, why)) {
    problem(l, p, "'" + v.Scalar() + "' is not a domain name" + (why.empty() ? "" : ": " + why));
    return std::nullopt;
  }
  return name;
}

std::optional<std::string> path_value(const YAML::Node& v, const std::string& p, std::size_t l,
                                      const std::string& base, const ConfigProblem& problem) {
  if (!v.IsScalar() || v.Scalar().empty()) {
    problem(l, p, "expected a path");
    return std::nullopt;
  }
  std::filesystem::path path(v.Scalar());
  if (!path.is_absolute() && !base.empty()) path = std::filesystem::path(base) / path;
  path = path.lexically_normal();
  if (!path.has_filename() && path.has_parent_path()) path = path.parent_path();  // "secondary/"
  return path.string();
}

void parse_template(const YAML::Node& node, const std::string& path, std::size_t line, const ConfigProblem& problem,
                    MemberTemplate& out, std::vector<KeyReference>& references) {
  each_field(node, path, line, problem, {"flatten", "allow_transfer", "notify"},
         [&](const std::string& field, const YAML::Node& v, const std::string& p, std::size_t l) {
           if (field == "flatten") {
             const std::string text = v.IsScalar() ? v.Scalar() : "";
             if (text == "apex") out.flatten = zones::FlattenMode::Apex;
             else if (text == "all") out.flatten = zones::FlattenMode::All;
             else if (text == "off") out.flatten = zones::FlattenMode::Off;
             else problem(l, p, "expected one of apex, all, off, found '" + text + "'");
           } else if (field == "allow_transfer") {
             parse_allow_transfer(v, p, l, problem, out.allow_transfer, references);
           } else {
             parse_transfer_peers(v, p, l, problem, out.notify, references);
           }
         });
}

void parse_catalog(const YAML::Node& node, const std::string& path, std::size_t line, const std::string& base,
                   const ConfigProblem& problem, std::vector<CatalogEntry>& out,
                   std::vector<KeyReference>& references) {
  CatalogEntry entry;
  entry.line = line;
  bool has_name = false, ok = true;
  each_field(node, path, line, problem,
         {"name", "produce", "file", "files", "primaries", "allow_transfer", "notify", "max_members", "template",
          "groups"},
         [&](const std::string& field, const YAML::Node& v, const std::string& p, std::size_t l) {
           if (field == "name") {
             has_name = true;
             if (auto n = domain_name(v, p, l, problem)) entry.name = *n; else ok = false;
           } else if (field == "produce") {
             if (v.IsScalar() && (v.Scalar() == "true" || v.Scalar() == "false")) {
               entry.produce = v.Scalar() == "true";
             } else {
               problem(l, p, "expected true or false");
               ok = false;
             }
           } else if (field == "file") {
             if (auto f = path_value(v, p, l, base, problem)) entry.file = *f; else ok = false;
           } else if (field == "files") {
             if (auto f = path_value(v, p, l, base, problem)) entry.files = *f; else ok = false;
           } else if (field == "primaries") {
             parse_transfer_peers(v, p, l, problem, entry.primaries, references);
           } else if (field == "allow_transfer") {
             parse_allow_transfer(v, p, l, problem, entry.allow_transfer, references);
           } else if (field == "notify") {
             parse_transfer_peers(v, p, l, problem, entry.notify, references);
           } else if (field == "max_members") {
             uint32_t n = 0;
             const std::string text = v.IsScalar() ? v.Scalar() : "";
             const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
             if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < 1 || n > 1'000'000) {
               problem(l, p, "expected a whole number from 1 to 1000000, found '" + text + "'");
               ok = false;
             } else {
               entry.max_members = n;
             }
           } else if (field == "template") {
             parse_template(v, p, l, problem, entry.member_template, references);
           } else {
             if (!v.IsMap()) problem(l, p, "expected a mapping of group names to templates");
           }
         });
  // groups: any names, so read apart from each_field() (which knows fixed keys).
  if (node.IsMap() && node["groups"] && node["groups"].IsMap()) {
    for (const auto& pair : node["groups"]) {
      const YAML::Node key = pair.first;
      const std::string name = key.IsScalar() ? key.Scalar() : "";
      const std::string gp = path + ".groups." + name;
      parse_template(pair.second, gp, yaml_line(key, line), problem, entry.groups[name], references);
    }
  }
  if (!node.IsMap()) return;
  if (!has_name) {
    problem(line, path + ".name", "missing (every catalog needs a name)");
    return;
  }
  if (entry.produce) {
    if (!entry.primaries.empty()) problem(line, path + ".primaries", "a produced catalog has no primaries");
    if (entry.file.empty()) problem(line, path + ".file", "missing (where the produced catalog zone is written)");
    if (!entry.files.empty() || !entry.groups.empty()) {
      problem(line, path, "files and groups are for a consumed catalog, not a produced one (produce: true)");
    }
  } else {
    if (entry.primaries.empty()) {
      problem(line, path + ".primaries", "missing (a consumed catalog comes from its primaries; "
                                         "or set produce: true)");
    }
    if (entry.files.empty()) problem(line, path + ".files", "missing (the folder member zones are kept in)");
    if (entry.file.empty() && !entry.files.empty()) {
      entry.file = (std::filesystem::path(entry.files) / ("catalog." + entry.name.to_text() + "zone")).string();
    }
  }
  for (const auto& earlier : out) {
    if (earlier.name == entry.name) {
      problem(line, path + ".name", "duplicate catalog " + entry.name.to_text());
      return;
    }
  }
  if (ok) out.push_back(std::move(entry));
}

}  // namespace

void parse_catalogs(const YAML::Node& node, const std::string& path, std::size_t line, const std::string& base,
                    const ConfigProblem& problem, std::vector<CatalogEntry>& out,
                    std::vector<KeyReference>& references) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    problem(yaml_line(node, line), path, "expected a list");
    return;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node element = node[i];
    parse_catalog(element, path + "[" + std::to_string(i) + "]", yaml_line(element, line), base, problem, out,
                  references);
  }
}

void parse_catalog_membership(const YAML::Node& node, const std::string& path, std::size_t line, bool group,
                              const ConfigProblem& problem, CatalogMembership& out) {
  if (group) {
    if (!node.IsScalar() || node.Scalar().empty() || node.Scalar().size() > 255) {
      problem(line, path, "expected a group name (1 to 255 characters)");
      return;
    }
    out.group = node.Scalar();
    return;
  }
  out.catalog = domain_name(node, path, line, problem);
}

void check_catalogs(const std::vector<CatalogEntry>& catalogs, const std::vector<ZoneEntry>& zones,
                    const ConfigProblem& problem) {
  for (const auto& zone : zones) {
    if (!zone.catalog.catalog) {
      if (!zone.catalog.group.empty()) {
        problem(zone.line, "zones." + zone.config.origin.to_text() + ".catalog_group", "set without catalog");
      }
      continue;
    }
    bool known = false;
    for (const auto& c : catalogs) known = known || (c.produce && c.name == *zone.catalog.catalog);
    if (!known) {
      problem(zone.line, "zones." + zone.config.origin.to_text() + ".catalog",
              "no catalog " + zone.catalog.catalog->to_text() + " with produce: true under catalogs:");
    }
  }
  for (const auto& c : catalogs) {
    for (const auto& zone : zones) {
      if (zone.config.origin == c.name) {
        problem(c.line, "catalogs." + c.name.to_text(),
                "a zone of the same name is configured under zones: (line " + std::to_string(zone.line) + ")");
      }
    }
  }
}

}  // namespace flatns::server
