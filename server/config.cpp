#include "server/config.h"
#include "server/config_dnssec.h"

#include "server/config_resolver.h"
#include "server/config_zone_list.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_map>

namespace flatns::server {
namespace {

std::size_t line_of(const YAML::Mark& mark) { return mark.line >= 0 ? static_cast<std::size_t>(mark.line) + 1 : 0; }

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "nothing";
  }
}

std::string join_choices(std::initializer_list<std::string_view> choices) {
  std::string out;
  for (auto c : choices) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

// Walks the YAML tree; each accessor reports its own errors and returns
// nullopt so that parsing goes on and every problem is found in one run.
class Checker {
 public:
  Checker(std::string file, std::vector<ConfigError>& errors) : file_(std::move(file)), errors_(errors) {}

  void error(std::size_t line, const std::string& key, std::string message) {
    errors_.push_back({file_, line, key, std::move(message)});
  }
  void error(const YAML::Node& at, std::size_t fallback_line, const std::string& key, std::string message) {
    // An empty value's mark points past the key, often at the next line.
    std::size_t line = at.IsNull() ? 0 : line_of(at.Mark());
    error(line ? line : fallback_line, key, std::move(message));
  }

  using Handler = std::function<void(const YAML::Node& value, const std::string& path, std::size_t line)>;
  struct Field {
    std::string_view name;
    Handler handle;
  };
  // The key `name`: an integer from min to max, stored into `out`.
  template <typename T>
  Field number(std::string_view name, uint32_t min, uint32_t max, T& out) {
    return {name, [this, &out, min, max](const YAML::Node& v, const std::string& p, std::size_t l) {
              if (auto n = integer(v, p, l, min, max)) out = *n;
            }};
  }

  // Dispatches each key of the mapping `node` to its handler; unknown and
  // duplicate keys are errors. A null node counts as an empty mapping.
  void mapping(const YAML::Node& node, const std::string& path, std::size_t line, const std::vector<Field>& fields) {
    if (node.IsNull()) return;
    if (!node.IsMap()) {
      error(node, line, path.empty() ? "(top level)" : path, "expected a mapping, found " + describe(node));
      return;
    }
    std::map<std::string, std::size_t> seen;
    for (const auto& pair : node) {
      // Copies: yaml-cpp's iterator hands out a temporary, so a reference
      // to its members would dangle.
      const YAML::Node key = pair.first;
      const YAML::Node value = pair.second;
      std::size_t key_line = line_of(key.Mark());
      std::string name = key.IsScalar() ? key.Scalar() : describe(key);
      std::string key_path = path.empty() ? name : path + "." + name;
      auto [prev, inserted] = seen.emplace(name, key_line);
      if (!inserted) {
        error(key_line, key_path, "duplicate key (first given on line " + std::to_string(prev->second) + ")");
        continue;
      }
      const Field* field = nullptr;
      for (const auto& f : fields) {
        if (f.name == name) field = &f;
      }
      if (!field) {
        std::string known;
        for (const auto& f : fields) known += (known.empty() ? "" : ", ") + std::string(f.name);
        error(key_line, key_path, "unknown key (expected one of " + known + ")");
        continue;
      }
      field->handle(value, key_path, key_line);
    }
  }

  std::optional<std::string> string(const YAML::Node& node, const std::string& path, std::size_t line) {
    if (!node.IsScalar()) {
      error(node, line, path, "expected a string, found " + describe(node));
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<uint32_t> integer(const YAML::Node& node, const std::string& path, std::size_t line, uint32_t min,
                                  uint32_t max) {
    std::string range = std::to_string(min) + "-" + std::to_string(max);
    if (!node.IsScalar()) {
      error(node, line, path, "expected an integer " + range + ", found " + describe(node));
      return std::nullopt;
    }
    const std::string& text = node.Scalar();
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
      if (ec == std::errc::result_out_of_range) {
        error(node, line, path, "expected an integer " + range + ", found " + text);
      } else {
        error(node, line, path, "expected an integer " + range + ", found " + describe(node));
      }
      return std::nullopt;
    }
    if (value < min || value > max) {
      error(node, line, path, "expected an integer " + range + ", found " + text);
      return std::nullopt;
    }
    return static_cast<uint32_t>(value);
  }

  std::optional<bool> boolean(const YAML::Node& node, const std::string& path, std::size_t line) {
    if (node.IsScalar() && node.Scalar() == "true") return true;
    if (node.IsScalar() && node.Scalar() == "false") return false;
    error(node, line, path, "expected true or false, found " + describe(node));
    return std::nullopt;
  }

  // One of `choices`; returns its index.
  std::optional<std::size_t> choice(const YAML::Node& node, const std::string& path, std::size_t line,
                                    std::initializer_list<std::string_view> choices) {
    if (node.IsScalar()) {
      std::size_t i = 0;
      for (auto c : choices) {
        if (node.Scalar() == c) return i;
        ++i;
      }
    }
    error(node, line, path, "expected one of " + join_choices(choices) + ", found " + describe(node));
    return std::nullopt;
  }

  // A list (a single scalar is not accepted: it hides mistakes such as a
  // missing '-'); calls `item` with each element and its path "key[i]".
  void list(const YAML::Node& node, const std::string& path, std::size_t line,
            const std::function<void(const YAML::Node&, const std::string&, std::size_t)>& item) {
    if (!node.IsSequence()) {
      error(node, line, path, "expected a list, found " + describe(node));
      return;
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
      const YAML::Node element = node[i];
      std::size_t element_line = line_of(element.Mark());
      item(element, path + "[" + std::to_string(i) + "]", element_line ? element_line : line);
    }
  }

  void addresses(const YAML::Node& node, const std::string& path, std::size_t line,
                 std::optional<uint16_t> default_port, std::vector<dns::ServerAddress>& out) {
    out.clear();
    list(node, path, line, [&](const YAML::Node& element, const std::string& element_path, std::size_t element_line) {
      auto text = string(element, element_path, element_line);
      if (!text) return;
      dns::ServerAddress address;
      std::string problem;
      if (!dns::ServerAddress::parse(*text, default_port, address, problem)) {
        error(element_line, element_path, problem);
        return;
      }
      for (const auto& earlier : out) {
        if (earlier == address) {
          error(element_line, element_path, "duplicate address " + address.to_string());
          return;
        }
      }
      out.push_back(address);
    });
  }

  const std::string& file() const { return file_; }
  // For parsers in other files (server/config_transfer.cpp).
  ConfigProblem problem() {
    return [this](std::size_t line, const std::string& key, std::string message) {
      error(line, key, std::move(message));
    };
  }

 private:
  std::string file_;
  std::vector<ConfigError>& errors_;
};

std::string relative_to(const std::filesystem::path& base, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute() || base.empty()) return p.lexically_normal().string();
  return (base / p).lexically_normal().string();
}

void parse_rrl(Checker& c, const YAML::Node& node, const std::string& path, std::size_t line, RrlSettings& r) {
  c.mapping(node, path, line,
            {
                c.number("responses_per_second", 0, 1000000, r.responses_per_second),
                c.number("slip", 0, 100, r.slip),
                c.number("window_s", 1, 3600, r.window_s),
                c.number("ipv4_prefix", 1, 32, r.ipv4_prefix),
                c.number("ipv6_prefix", 1, 128, r.ipv6_prefix),
                c.number("table_size", 1, 16777216, r.table_size),
            });
}

// The keys of server/config_ops.h, parsed there.
Checker::Field ops_key(Checker& c, std::string_view name, const std::filesystem::path& base, OpsSettings& ops) {
  return {name, [&c, name, base, &ops](const YAML::Node& v, const std::string& p, std::size_t l) {
            parse_ops_key(name, v, p, l, base, ops,
                          [&c](const YAML::Node& at, std::size_t line, const std::string& key, std::string message) {
                            c.error(at, line, key, std::move(message));
                          });
          }};
}

void parse_server(Checker& c, const YAML::Node& node, const std::string& path, std::size_t line,
                  const std::filesystem::path& base, ServerSettings& s) {
  std::vector<Checker::Field> fields = {
                {"listen",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   c.addresses(v, p, l, std::nullopt, s.listen);
                   if (v.IsSequence() && v.size() == 0) c.error(l, p, "expected at least one address");
                 }},
                c.number("workers", 1, 1024, s.workers),
                {"nsid",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   auto text = c.string(v, p, l);
                   if (!text) return;
                   // RFC 5001 puts no limit, but the option must fit any answer.
                   if (text->size() > 128) {
                     c.error(v, l, p, "longer than 128 octets (" + std::to_string(text->size()) + ")");
                     return;
                   }
                   s.nsid = *text;
                 }},
                c.number("tcp_idle_timeout_ms", 100, 3600000, s.tcp_idle_timeout_ms),
                c.number("tcp_max_connections", 1, 1000000, s.tcp_max_connections),
                {"log_level",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   const auto level = v.IsScalar() ? dns::parse_log_level(v.Scalar()) : std::nullopt;
                   if (!level) {
                     std::string names;
                     for (auto name : dns::kLogLevelNames) names += (names.empty() ? "" : ", ") + std::string(name);
                     c.error(v, l, p, "expected one of " + names + ", found " + describe(v));
                     return;
                   }
                   s.log_level = *level;
                 }},
                {"rrl",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) { parse_rrl(c, v, p, l, s.rrl); }},
  };
  for (std::string_view key : kOpsServerKeys) fields.push_back(ops_key(c, key, base, s.ops));
  c.mapping(node, path, line, fields);
}

// Where each zone of the list was first given, by origin: the duplicate
// check stays linear with 100,000 zones (issue 16).
using ZoneLines = std::unordered_map<dns::Name, std::size_t, dns::NameHash>;

std::optional<std::size_t> byte_size(Checker& c, const YAML::Node& v, const std::string& p, std::size_t l);

void parse_zone(Checker& c, const YAML::Node& node, const std::string& path, std::size_t line,
                const std::filesystem::path& base, std::vector<ZoneEntry>& zones, ZoneLines& first_given,
                std::vector<KeyReference>& key_references) {
  ZoneEntry entry;
  entry.line = line;
  bool has_name = false;
  bool has_file = false;
  bool ok = true;
  if (!node.IsMap()) {
    c.error(node, line, path, "expected a mapping with name and file, found " + describe(node));
    return;
  }
  c.mapping(node, path, line,
            {
                {"name",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   has_name = true;
                   auto text = c.string(v, p, l);
                   if (!text) {
                     ok = false;
                     return;
                   }
                   dns::Name root;
                   std::string problem;
                   if (text->empty() || !dns::Name::from_text(*text, &root, entry.config.origin, problem)) {
                     c.error(v, l, p, "'" + *text + "' is not a domain name" + (problem.empty() ? "" : ": " + problem));
                     ok = false;
                   }
                 }},
                {"file",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   has_file = true;
                   auto text = c.string(v, p, l);
                   if (!text || text->empty()) {
                     if (text) c.error(v, l, p, "expected a file name, found ''");
                     ok = false;
                     return;
                   }
                   entry.config.file = relative_to(base, *text);
                 }},
                {"flatten",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   static constexpr zones::FlattenMode modes[] = {zones::FlattenMode::Apex, zones::FlattenMode::All,
                                                                  zones::FlattenMode::Off};
                   if (auto i = c.choice(v, p, l, {"apex", "all", "off"})) entry.config.flatten = modes[*i];
                 }},
                {"allow_transfer",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   parse_allow_transfer(v, p, l, c.problem(), entry.transfer.allow_transfer, key_references);
                 }},
                {"notify",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   parse_notify_peers(v, p, l, c.problem(), entry.transfer.notify, key_references);
                 }},
                {"primaries",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   parse_transfer_peers(v, p, l, c.problem(), entry.transfer.primaries, key_references);
                 }},
                {"dnssec",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   parse_dnssec(v, p, l, base, entry.dnssec,
                                [&](std::size_t el, const std::string& key, std::string message) {
                                  c.error(el, key, std::move(message));
                                });
                   entry.config.online_signed = entry.dnssec.online;
                 }},
                {"journal_depth",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   if (auto n = c.integer(v, p, l, 0, 10000)) entry.transfer.journal.max_depth = *n;
                 }},
                {"journal_size",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   if (auto n = byte_size(c, v, p, l)) entry.transfer.journal.max_bytes = *n;
                 }},
                {"catalog",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   parse_catalog_membership(v, p, l, false, c.problem(), entry.catalog);
                 }},
                {"catalog_group",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   parse_catalog_membership(v, p, l, true, c.problem(), entry.catalog);
                 }},
            });
  if (!has_name) {
    c.error(line, path + ".name", "missing (every zone needs a name)");
    ok = false;
  }
  if (!has_file) {
    c.error(line, path + ".file", "missing (every zone needs a file)");
    ok = false;
  }
  if (!ok) return;
  auto [earlier, inserted] = first_given.emplace(entry.config.origin, line);
  if (!inserted) {
    c.error(line, path + ".name",
            "duplicate zone " + entry.config.origin.to_text() + " (first given on line " +
                std::to_string(earlier->second) + ")");
    return;
  }
  zones.push_back(std::move(entry));
}

// resolver.cache_size: bytes, or a number with k, m or g (powers of 1024,
// as Unbound reads its cache sizes); 64k to 64g.
std::optional<std::size_t> byte_size(Checker& c, const YAML::Node& v, const std::string& p,
                                     std::size_t l) {
  constexpr uint64_t kMin = 64ull << 10, kMax = 64ull << 30;
  const std::string expected = "expected a size from 64k to 64g (bytes, or with k, m, g)";
  auto text = c.string(v, p, l);
  if (!text) return std::nullopt;
  std::string digits = *text;
  uint64_t unit = 1;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'k': case 'K': unit = 1ull << 10; break;
      case 'm': case 'M': unit = 1ull << 20; break;
      case 'g': case 'G': unit = 1ull << 30; break;
      default: break;
    }
    if (unit != 1) digits.pop_back();
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      value > kMax / unit || value * unit < kMin) {
    c.error(v, l, p, expected + ", found '" + *text + "'");
    return std::nullopt;
  }
  return static_cast<std::size_t>(value * unit);
}

void parse_resolver(Checker& c, const YAML::Node& node, const std::string& path, std::size_t line,
                    const std::filesystem::path& base, resolver::ResolverSettings& r) {
  std::size_t mode_line = line;
  std::vector<Checker::Field> fields = {
                {"mode",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   mode_line = l;
                   if (auto i = c.choice(v, p, l, {"recursive", "forward"})) {
                     r.mode = *i == 0 ? resolver::ResolverMode::Recursive : resolver::ResolverMode::Forward;
                   }
                 }},
                {"root_hints",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   c.addresses(v, p, l, uint16_t{53}, r.root_hints);
                 }},
                {"forwarders",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   c.addresses(v, p, l, uint16_t{53}, r.forwarders);
                 }},
                {"trust_anchors",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   auto text = c.string(v, p, l);
                   if (!text) return;
                   if (text->empty()) {
                     c.error(v, l, p, "expected a file name, found ''");
                     return;
                   }
                   r.trust_anchors_file = relative_to(base, *text);
                 }},
                {"dnssec",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   if (auto i = c.choice(v, p, l, {"validate", "off"})) r.validate = *i == 0;
                 }},
                {"cache_size",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   if (auto bytes = byte_size(c, v, p, l)) r.cache_max_bytes = *bytes;
                 }},
                {"qname_minimisation",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   if (auto b = c.boolean(v, p, l)) r.qname_minimisation = *b;
                 }},
  };
  // The keys of server/config_resolver.h, parsed there.
  for (std::string_view name : kResolverPolicyKeys) {
    fields.push_back({name, [&c, name, &r](const YAML::Node& v, const std::string& p, std::size_t l) {
                        parse_resolver_key(name, v, p, l, r,
                                           [&c](const YAML::Node& at, std::size_t fallback, const std::string& key,
                                                std::string message) { c.error(at, fallback, key, std::move(message)); });
                      }});
  }
  c.mapping(node, path, line, fields);
  if (r.mode == resolver::ResolverMode::Forward && r.forwarders.empty()) {
    c.error(mode_line, path.empty() ? "resolver.forwarders" : path + ".forwarders",
            "mode is forward but no forwarders are given");
  }
}

void parse_flatten(Checker& c, const YAML::Node& node, const std::string& path, std::size_t line,
                   const std::filesystem::path& base, FlattenSettings& f) {
  std::size_t ttl_line = line;
  bool ttl_given = false;
  c.mapping(node, path, line,
            {
                c.number("deadline_ms", 10, 60000, f.deadline_ms),
                {"serve_stale",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   if (auto b = c.boolean(v, p, l)) f.serve_stale = *b;
                 }},
                c.number("stale_max_s", 0, 604800, f.stale_max_s),
                {"max_ttl",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   ttl_given = true;
                   ttl_line = l;
                   if (auto n = c.integer(v, p, l, 0, 604800)) f.max_ttl = *n;
                 }},
                {"min_ttl",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   if (!ttl_given) ttl_line = l;
                   if (auto n = c.integer(v, p, l, 0, 604800)) f.min_ttl = *n;
                 }},
                c.number("cache_entries", 4, 10000000, f.cache_entries),
                c.number("max_pending", 1, 1000000, f.max_pending),
                c.number("failure_ttl_s", 0, 300, f.failure_ttl_s),
                {"cache_file",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   auto text = c.string(v, p, l);
                   if (!text) return;
                   if (text->empty()) {
                     c.error(v, l, p, "expected a file name, found '' (leave the key out to keep no cache file)");
                     return;
                   }
                   f.cache_file = relative_to(base, *text);
                 }},
                c.number("cache_save_s", 1, 86400, f.cache_save_s),
            });
  if (f.min_ttl > f.max_ttl) {
    c.error(ttl_line, path + ".min_ttl",
            "min_ttl " + std::to_string(f.min_ttl) + " is above max_ttl " + std::to_string(f.max_ttl));
  }
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

Config default_config() {
  Config config;
  std::string ignored;
  for (const char* text : {"0.0.0.0:53", "[::]:53"}) {
    dns::ServerAddress address;
    if (dns::ServerAddress::parse(text, std::nullopt, address, ignored)) config.server.listen.push_back(address);
  }
  unsigned cpus = std::thread::hardware_concurrency();
  config.server.workers = cpus ? cpus : 1;
  return config;
}

bool parse_config_text(std::string_view text, const std::string& file_name, Config& out,
                       std::vector<ConfigError>& errors) {
  std::size_t errors_before = errors.size();
  out = default_config();
  out.file = file_name;
  std::filesystem::path base = std::filesystem::path(file_name).parent_path();

  // A long zone list in the plain shape is read without yaml-cpp (issue 16).
  std::optional<SimpleZoneList> simple_zones = read_simple_zone_list(text);
  YAML::Node root;
  try {
    root = YAML::Load(simple_zones ? simple_zones->rest : std::string(text));
  } catch (const YAML::ParserException& e) {
    errors.push_back({file_name, line_of(e.mark), "", "YAML syntax error: " + e.msg});
    return false;
  }

  Checker c(file_name, errors);
  std::vector<KeyReference> key_references;  // checked once every key is read
  c.mapping(root, "", 1,
            {
                {"server",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   parse_server(c, v, p, l, base, out.server);
                 }},
                {"zones",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   if (v.IsNull()) return;  // "zones:" with nothing: no zones
                   ZoneLines first_given;
                   if (v.IsSequence()) {
                     out.zones.reserve(v.size());
                     first_given.reserve(v.size());
                   }
                   c.list(v, p, l, [&](const YAML::Node& z, const std::string& zp, std::size_t zl) {
                     parse_zone(c, z, zp, zl, base, out.zones, first_given, key_references);
                   });
                 }},
                {"keys",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   parse_tsig_keys(v, p, l, c.problem(), out.keys);
                 }},
                {"transfer",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   parse_transfer_settings(v, p, l, c.problem(), out.transfer);
                 }},
                {"resolver",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   parse_resolver(c, v, p, l, base, out.resolver);
                 }},
                {"flatten",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   parse_flatten(c, v, p, l, base, out.flatten);
                 }},
                {"catalogs",
                 [&](const YAML::Node& v, const std::string& p, std::size_t l) {
                   parse_catalogs(v, p, l, base.string(), c.problem(), out.catalogs, key_references);
                 }},
            });
  if (simple_zones) {
    out.zones = std::move(simple_zones->zones);
    for (auto& entry : out.zones) entry.config.file = relative_to(base, entry.config.file);
  }
  check_transfer_keys(out.keys, key_references, c.problem());
  check_catalogs(out.catalogs, out.zones, c.problem());
  return errors.size() == errors_before;
}

bool load_config_file(const std::string& path, Config& out, std::vector<ConfigError>& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.push_back({path, 0, "", std::string("cannot open: ") + std::strerror(errno)});
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config_text(text.str(), path, out, errors);
}

}  // namespace flatns::server
