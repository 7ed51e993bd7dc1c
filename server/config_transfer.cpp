#include "server/config_transfer.h"

#include <algorithm>
#include <charconv>
#include <map>

#include <yaml-cpp/yaml.h>

#include "dns/encoding.h"

namespace flatns::server {

std::size_t yaml_line(const YAML::Node& node, std::size_t fallback) {
  const int line = node.Mark().line;
  return line >= 0 && !node.IsNull() ? static_cast<std::size_t>(line) + 1 : fallback;
}

void each_field(const YAML::Node& node, const std::string& path, std::size_t line, const ConfigProblem& problem,
                std::initializer_list<std::string_view> known, const FieldHandler& field) {
  if (!node.IsMap()) {
    problem(yaml_line(node, line), path, "expected a mapping");
    return;
  }
  std::map<std::string, std::size_t> first_line;
  for (const auto& pair : node) {
    const YAML::Node key = pair.first;
    const std::string name = key.IsScalar() ? key.Scalar() : "?";
    const std::size_t key_line = yaml_line(key, line);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string expected;
      for (auto k : known) expected += (expected.empty() ? "" : ", ") + std::string(k);
      problem(key_line, path + "." + name, "unknown key (expected one of " + expected + ")");
      continue;
    }
    if (const auto [first, added] = first_line.emplace(name, key_line); !added) {
      problem(key_line, path + "." + name, "duplicate key (first given on line " + std::to_string(first->second) + ")");
      continue;
    }
    field(name, pair.second, path + "." + name, key_line);
  }
}

namespace {


void each_item(const YAML::Node& node, const std::string& path, std::size_t line, const ConfigProblem& problem,
               const std::function<void(const YAML::Node&, const std::string&, std::size_t)>& item) {
  if (!node.IsSequence()) {
    problem(yaml_line(node, line), path, "expected a list");
    return;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node element = node[i];
    item(element, path + "[" + std::to_string(i) + "]", yaml_line(element, line));
  }
}

std::optional<dns::Name> key_name(const YAML::Node& v, const std::string& p, std::size_t l,
                                  const ConfigProblem& problem) {
  if (!v.IsScalar() || v.Scalar().empty()) {
    problem(l, p, "expected a key name");
    return std::nullopt;
  }
  dns::Name root, name;
  std::string why;
  if (!dns::Name::from_text(v.Scalar(), &root, name, why)) {
    problem(l, p, "'" + v.Scalar() + "' is not a domain name: " + why);
    return std::nullopt;
  }
  return name;
}

}  // namespace

void parse_tsig_keys(const YAML::Node& node, const std::string& path, std::size_t line, const ConfigProblem& problem,
                     std::vector<dns::TsigKey>& out) {
  if (node.IsNull()) return;
  each_item(node, path, line, problem, [&](const YAML::Node& k, const std::string& kp, std::size_t kl) {
    dns::TsigKey key;
    bool has_name = false, has_secret = false, ok = true;
    each_field(k, kp, kl, problem, {"name", "algorithm", "secret"},
               [&](const std::string& field, const YAML::Node& v, const std::string& p, std::size_t l) {
                 if (field == "name") {
                   has_name = true;
                   if (auto n = key_name(v, p, l, problem)) key.name = *n; else ok = false;
                 } else if (field == "algorithm") {
                   if (!v.IsScalar() || !dns::tsig_algorithm_from_text(v.Scalar(), key.algorithm)) {
                     problem(l, p, "expected one of hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha1");
                     ok = false;
                   }
                 } else {
                   has_secret = true;
                   // The secret itself never goes into a message.
                   if (!v.IsScalar() || !dns::base64_decode(v.Scalar(), key.secret) || key.secret.empty()) {
                     problem(l, p, "expected the secret in base64 (as tsig-keygen or keymgr -t print it)");
                     ok = false;
                   }
                 }
               });
    if (!k.IsMap()) return;
    if (!has_name) problem(kl, kp + ".name", "missing (every key needs a name)");
    if (!has_secret) problem(kl, kp + ".secret", "missing (every key needs a secret)");
    if (!has_name || !has_secret || !ok) return;
    for (const auto& earlier : out) {
      if (earlier.name == key.name) {
        problem(kl, kp + ".name", "duplicate key " + key.name.to_text());
        return;
      }
    }
    out.push_back(std::move(key));
  });
}

namespace {

// A whole number from `min` to `max`, with k, m or g (powers of 1024) when
// `units` is set.
std::optional<uint64_t> whole_number(const YAML::Node& v, const std::string& p, std::size_t l, uint64_t min,
                                     uint64_t max, bool units, const ConfigProblem& problem) {
  const std::string expected = "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                               (units ? " (or with k, m, g)" : "");
  if (!v.IsScalar()) {
    problem(l, p, expected);
    return std::nullopt;
  }
  std::string digits = v.Scalar();
  uint64_t unit = 1;
  if (units && !digits.empty()) {
    switch (digits.back()) {
      case 'k': case 'K': unit = 1ull << 10; break;
      case 'm': case 'M': unit = 1ull << 20; break;
      case 'g': case 'G': unit = 1ull << 30; break;
      default: break;
    }
    if (unit != 1) digits.pop_back();
  }
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value > max / unit ||
      value * unit < min) {
    problem(l, p, expected + ", found '" + v.Scalar() + "'");
    return std::nullopt;
  }
  return value * unit;
}

}  // namespace

void parse_transfer_settings(const YAML::Node& node, const std::string& path, std::size_t line,
                             const ConfigProblem& problem, TransferSettings& out) {
  if (node.IsNull()) return;
  each_field(node, path, line, problem,
             {"max_outgoing", "message_size", "max_incoming_size", "max_incoming_records", "incoming_timeout"},
             [&](const std::string& field, const YAML::Node& v, const std::string& p, std::size_t l) {
               if (field == "max_outgoing") {
                 if (auto n = whole_number(v, p, l, 1, 10000, false, problem)) out.max_outgoing = uint32_t(*n);
               } else if (field == "message_size") {
                 if (auto n = whole_number(v, p, l, 512, 65535, false, problem)) out.message_size = uint32_t(*n);
               } else if (field == "max_incoming_size") {
                 if (auto n = whole_number(v, p, l, 64ull << 10, 64ull << 30, true, problem)) {
                   out.max_incoming_size = static_cast<std::size_t>(*n);
                 }
               } else if (field == "max_incoming_records") {
                 if (auto n = whole_number(v, p, l, 100, 1'000'000'000, false, problem)) {
                   out.max_incoming_records = uint32_t(*n);
                 }
               } else if (auto n = whole_number(v, p, l, 5, 86400, false, problem)) {
                 out.incoming_timeout_s = uint32_t(*n);
               }
             });
}

void parse_allow_transfer(const YAML::Node& node, const std::string& path, std::size_t line,
                          const ConfigProblem& problem, std::vector<transfer::AclEntry>& out,
                          std::vector<KeyReference>& references) {
  out.clear();
  each_item(node, path, line, problem, [&](const YAML::Node& e, const std::string& ep, std::size_t el) {
    transfer::AclEntry entry;
    bool has_address = false, ok = true;
    each_field(e, ep, el, problem, {"address", "key", "expand"},
               [&](const std::string& field, const YAML::Node& v, const std::string& p, std::size_t l) {
                 if (field == "address") {
                   has_address = true;
                   std::string why;
                   if (!v.IsScalar() || !transfer::AddressPrefix::parse(v.Scalar(), entry.prefix, why)) {
                     problem(l, p, why.empty() ? "expected an address or prefix" : why);
                     ok = false;
                   }
                 } else if (field == "key") {
                   entry.key = key_name(v, p, l, problem);
                   ok = ok && entry.key.has_value();
                   if (entry.key) references.push_back({*entry.key, p, l});
                 } else {
                   if (v.IsScalar() && (v.Scalar() == "true" || v.Scalar() == "false")) {
                     entry.expand = v.Scalar() == "true";
                   } else {
                     problem(l, p, "expected true or false");
                     ok = false;
                   }
                 }
               });
    if (!e.IsMap()) return;
    if (!has_address) problem(el, ep + ".address", "missing (e.g. 127.0.0.0/8 or 192.0.2.7)");
    if (has_address && ok) out.push_back(std::move(entry));
  });
}

namespace {

void parse_peers(const YAML::Node& node, const std::string& path, std::size_t line, const ConfigProblem& problem,
                 bool expand_allowed, std::vector<TransferPeer>& out, std::vector<KeyReference>& references) {
  out.clear();
  each_item(node, path, line, problem, [&](const YAML::Node& e, const std::string& ep, std::size_t el) {
    TransferPeer peer;
    bool has_address = false, ok = true;
    std::initializer_list<std::string_view> fields = {"address", "key"};
    std::initializer_list<std::string_view> notify_fields = {"address", "key", "expand"};
    each_field(e, ep, el, problem, expand_allowed ? notify_fields : fields,
               [&](const std::string& field, const YAML::Node& v, const std::string& p, std::size_t l) {
                 if (field == "expand") {
                   if (v.IsScalar() && (v.Scalar() == "true" || v.Scalar() == "false")) {
                     peer.expand = v.Scalar() == "true";
                   } else {
                     problem(l, p, "expected true or false");
                     ok = false;
                   }
                 } else if (field == "address") {
                   has_address = true;
                   std::string why;
                   if (!v.IsScalar() || !dns::ServerAddress::parse(v.Scalar(), uint16_t{53}, peer.address, why)) {
                     problem(l, p, why.empty() ? "expected an address such as \"192.0.2.1:53\"" : why);
                     ok = false;
                   }
                 } else {
                   peer.key = key_name(v, p, l, problem);
                   ok = ok && peer.key.has_value();
                   if (peer.key) references.push_back({*peer.key, p, l});
                 }
               });
    if (!e.IsMap()) return;
    if (!has_address) problem(el, ep + ".address", "missing (e.g. \"192.0.2.1:53\")");
    if (has_address && ok) out.push_back(std::move(peer));
  });
}

}  // namespace

void parse_transfer_peers(const YAML::Node& node, const std::string& path, std::size_t line,
                          const ConfigProblem& problem, std::vector<TransferPeer>& out,
                          std::vector<KeyReference>& references) {
  parse_peers(node, path, line, problem, false, out, references);
}

void parse_notify_peers(const YAML::Node& node, const std::string& path, std::size_t line,
                        const ConfigProblem& problem, std::vector<TransferPeer>& out,
                        std::vector<KeyReference>& references) {
  parse_peers(node, path, line, problem, true, out, references);
}

void check_transfer_keys(const std::vector<dns::TsigKey>& keys, const std::vector<KeyReference>& references,
                         const ConfigProblem& problem) {
  for (const auto& ref : references) {
    bool known = false;
    for (const auto& k : keys) known = known || k.name == ref.name;
    if (!known) problem(ref.line, ref.path, "no key " + ref.name.to_text() + " under keys:");
  }
}

}  // namespace flatns::server
