#include "server/config_dnssec.h"

#include <set>

#include "dns/dnssec_sign.h"
#include "zones/zone_file.h"

namespace flatns::server {

namespace {

std::size_t line_of(const YAML::Node& n, std::size_t fallback) {
  const YAML::Mark m = n.Mark();
  return m.line >= 0 && !n.IsNull() ? static_cast<std::size_t>(m.line) + 1 : fallback;
}

}  // namespace

void parse_dnssec(const YAML::Node& node, const std::string& path, std::size_t line,
                  const std::filesystem::path& base, signing::SigningPolicy& out,
                  const DnssecError& error) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    error(line_of(node, line), path, "expected a mapping (signing, keys, algorithm, denial, rrsig_lifetime, rrsig_refresh)");
    return;
  }
  std::set<std::string> seen;
  bool has_keys = false;
  bool refresh_given = false;
  for (const auto& pair : node) {
    const YAML::Node key = pair.first;
    const YAML::Node value = pair.second;
    const std::size_t l = line_of(key, line);
    const std::string name = key.IsScalar() ? key.Scalar() : "?";
    const std::string p = path + "." + name;
    if (!seen.insert(name).second) {
      error(l, p, "duplicate key");
      continue;
    }
    if (!value.IsScalar()) {
      error(l, p, "expected a single value");
      continue;
    }
    const std::string& v = value.Scalar();
    if (name == "signing") {
      if (v == "online") {
        out.online = true;
      } else if (v != "off") {
        error(l, p, "expected one of off, online, found '" + v + "'");
      }
    } else if (name == "keys") {
      if (v.empty()) {
        error(l, p, "expected a folder, found ''");
        continue;
      }
      std::filesystem::path k(v);
      out.keys_dir = (k.is_absolute() || base.empty() ? k : base / k).lexically_normal().string();
      has_keys = true;
    } else if (name == "algorithm") {
      const uint8_t alg = dns::signing_algorithm_from_text(v);
      if (!alg) {
        error(l, p, "expected one of ecdsap256sha256, ecdsap384sha384, ed25519, ed448, found '" + v + "'");
      } else {
        out.algorithm = alg;
      }
    } else if (name == "denial") {
      if (v == "nsec3") {
        out.denial = signing::Denial::Nsec3;
      } else if (v == "compact") {
        out.denial = signing::Denial::Compact;
      } else {
        error(l, p, "expected one of compact, nsec3, found '" + v + "'");
      }
    } else if (name == "rrsig_lifetime" || name == "rrsig_refresh") {
      uint32_t seconds = 0;
      std::string problem;
      if (!zones::ttl_from_text(v, seconds, problem) || seconds < 3600 || seconds > 366 * 86400) {
        error(l, p, "expected a duration from 1h to 366d (e.g. 14d), found '" + v + "'");
        continue;
      }
      if (name == "rrsig_lifetime") {
        out.rrsig_lifetime = seconds;
      } else {
        out.rrsig_refresh = seconds;
        refresh_given = true;
      }
    } else {
      error(l, p, "unknown key (expected one of signing, keys, algorithm, denial, rrsig_lifetime, rrsig_refresh)");
    }
  }
  if (!refresh_given) out.rrsig_refresh = out.rrsig_lifetime / 2;
  out.rrsig_jitter = std::min<uint32_t>(out.rrsig_lifetime / 14, out.rrsig_refresh / 4);
  if (out.rrsig_refresh + out.rrsig_jitter + out.inception_offset >= out.rrsig_lifetime) {
    error(line, path + ".rrsig_refresh", "must be well below rrsig_lifetime (" +
                                              std::to_string(out.rrsig_refresh) + " s vs " +
                                              std::to_string(out.rrsig_lifetime) + " s)");
  }
  if (out.online && !has_keys) error(line, path + ".keys", "missing (signing: online needs a keys folder)");
}

}  // namespace flatns::server
