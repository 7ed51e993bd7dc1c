#include "server/config_resolver.h"

#include <yaml-cpp/yaml.h>

#include <vector>

#include "dns/address_prefix.h"
#include "dns/name.h"
#include "dns/server_address.h"

namespace flatns::server {

namespace {

std::size_t line_of(const YAML::Node& node, std::size_t fallback) {
  const int line = node.Mark().line;
  return line >= 0 && !node.IsNull() ? static_cast<std::size_t>(line) + 1 : fallback;
}

// A list of scalars; `item` gets each with its path "key[i]" and line.
void each_scalar(const YAML::Node& v, const std::string& path, std::size_t line, const OpsErrorSink& error,
                 const std::function<void(const std::string&, const std::string&, std::size_t)>& item) {
  if (!v.IsSequence()) {
    error(v, line, path, "expected a list");
    return;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    const YAML::Node element = v[i];
    const std::string element_path = path + "[" + std::to_string(i) + "]";
    const std::size_t element_line = line_of(element, line);
    if (!element.IsScalar() || element.Scalar().empty()) {
      error(element, element_line, element_path, "expected a string");
      continue;
    }
    item(element.Scalar(), element_path, element_line);
  }
}

void names(const YAML::Node& v, const std::string& path, std::size_t line, const OpsErrorSink& error,
           std::vector<dns::Name>& out) {
  out.clear();
  each_scalar(v, path, line, error, [&](const std::string& text, const std::string& p, std::size_t l) {
    dns::Name root, name;
    std::string why;
    if (!dns::Name::from_text(text, &root, name, why)) {
      error(YAML::Node(), l, p, "'" + text + "' is not a domain name" + (why.empty() ? "" : ": " + why));
      return;
    }
    out.push_back(std::move(name));
  });
}

bool boolean(const YAML::Node& v, const std::string& path, std::size_t line, const OpsErrorSink& error,
             bool& out) {
  if (v.IsScalar() && (v.Scalar() == "true" || v.Scalar() == "false")) {
    out = v.Scalar() == "true";
    return true;
  }
  error(v, line, path, "expected true or false");
  return false;
}

// One entry of stub_zones / forward_zones: {name, servers, fall_back, no_cache, tcp}.
void configured_zone(const YAML::Node& v, const std::string& path, std::size_t line, bool forward,
                     resolver::ResolverSettings& r, const OpsErrorSink& error) {
  if (!v.IsMap()) {
    error(v, line, path, "expected a mapping {name, servers}");
    return;
  }
  resolver::ConfiguredZone z;
  z.forward = forward;
  bool ok = true, named = false, served = false;
  for (const auto& pair : v) {
    const YAML::Node key = pair.first, value = pair.second;
    const std::string name = key.IsScalar() ? key.Scalar() : "?";
    const std::string p = path + "." + name;
    const std::size_t l = line_of(key, line);
    if (name == "name") {
      named = true;
      dns::Name root;
      std::string why;
      if (!value.IsScalar() || value.Scalar().empty() || !dns::Name::from_text(value.Scalar(), &root, z.zone, why)) {
        error(value, l, p, "expected a domain name" + (why.empty() ? std::string() : ": " + why));
        ok = false;
      } else if (z.zone.is_root()) {
        error(value, l, p, std::string("the root is given by resolver.") + (forward ? "forwarders" : "root_hints"));
        ok = false;
      }
    } else if (name == "servers") {
      served = true;
      each_scalar(value, p, l, error, [&](const std::string& text, const std::string& ep, std::size_t el) {
        dns::ServerAddress a;
        std::string why;
        if (!dns::ServerAddress::parse(text, uint16_t{53}, a, why)) {
          error(YAML::Node(), el, ep, why);
          ok = false;
        } else {
          z.servers.push_back(a);
        }
      });
      if (value.IsSequence() && value.size() == 0) {
        error(value, l, p, "expected at least one address");
        ok = false;
      }
    } else if (name == "fall_back") {
      ok = boolean(value, p, l, error, z.fall_back) && ok;
    } else if (name == "no_cache") {
      ok = boolean(value, p, l, error, z.no_cache) && ok;
    } else if (name == "tcp") {
      ok = boolean(value, p, l, error, z.tcp) && ok;
    } else {
      error(key, l, p, "unknown key (expected one of name, servers, fall_back, no_cache, tcp)");
      ok = false;
    }
  }
  if (!named || !served) {
    error(v, line, path + (named ? ".servers" : ".name"), "required");
    return;
  }
  if (!ok) return;
  for (const auto& earlier : r.zones) {
    if (earlier.zone == z.zone) {
      error(v, line, path + ".name", "zone " + z.zone.to_text() + " is already a " +
                                         (earlier.forward ? "forward" : "stub") + " zone");
      return;
    }
  }
  r.zones.push_back(std::move(z));
}

// A list of address prefixes ("10.0.0.0/8", "fd00::/8", one address).
void prefixes(const YAML::Node& v, const std::string& path, std::size_t line, const OpsErrorSink& error,
              std::vector<dns::AddressPrefix>& out) {
  out.clear();
  each_scalar(v, path, line, error, [&](const std::string& text, const std::string& p, std::size_t l) {
    dns::AddressPrefix prefix;
    std::string why;
    if (!dns::AddressPrefix::parse(text, prefix, why)) {
      error(YAML::Node(), l, p, why);
      return;
    }
    out.push_back(prefix);
  });
}

}  // namespace

void parse_resolver_key(std::string_view key, const YAML::Node& v, const std::string& path, std::size_t line,
                        resolver::ResolverSettings& r, const OpsErrorSink& error) {
  if (key == "private_addresses") {
    prefixes(v, path, line, error, r.private_addresses);
  } else if (key == "do_not_query") {
    prefixes(v, path, line, error, r.do_not_query);
  } else if (key == "private_domains") {
    names(v, path, line, error, r.private_domains);
  } else if (key == "insecure_domains") {
    names(v, path, line, error, r.insecure_domains);
  } else if (key == "nat64") {
    if (v.IsScalar() && (v.Scalar() == "true" || v.Scalar() == "false")) {
      r.nat64 = v.Scalar() == "true";
    } else {
      error(v, line, path, "expected true or false");
    }
  } else if (key == "nat64_prefix") {
    dns::AddressPrefix prefix;
    std::string why;
    if (!v.IsScalar()) {
      error(v, line, path, "expected an IPv6 prefix such as 64:ff9b::/96");
    } else if (!dns::AddressPrefix::parse(v.Scalar(), prefix, why)) {
      error(v, line, path, why);
    } else if (prefix.family != AF_INET6 || !dns::nat64_prefix_length_valid(prefix.length)) {
      error(v, line, path, "'" + v.Scalar() + "': a NAT64 prefix is IPv6 of length 32, 40, 48, 56, 64 or 96 (RFC 6052 §2.2)");
    } else {
      r.nat64_prefix = prefix;
    }
  } else if (key == "harden_unverified_glue") {
    (void)boolean(v, path, line, error, r.harden_unverified_glue);
  } else if (key == "stub_zones" || key == "forward_zones") {
    if (!v.IsSequence()) {
      error(v, line, path, "expected a list");
      return;
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
      const YAML::Node entry = v[i];
      configured_zone(entry, path + "[" + std::to_string(i) + "]", line_of(entry, line), key == "forward_zones", r,
                      error);
    }
  }
}

}  // namespace flatns::server
