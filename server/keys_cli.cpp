#include "server/keys_cli.h"

#include <sys/stat.h>

#include <ctime>

#include "dns/encoding.h"
#include "dns/key_file.h"
#include "server/cli.h"
#include "server/config.h"
#include "signing/key_set.h"

namespace flatns::server {

namespace {

void keygen_help(std::ostream& out) {
  out << "Usage: flatns keygen ZONE DIR [--algorithm A] [--zsk]\n"
         "\n"
         "Makes a new key pair for ZONE in DIR, in BIND's format\n"
         "(K<zone>.+<alg>+<tag>.key and .private, the .private mode 0600), active at\n"
         "once: a combined signing key (flags 257), or with --zsk a zone-signing key\n"
         "(flags 256). A is ecdsap256sha256 (default), ecdsap384sha384, ed25519 or\n"
         "ed448. Prints the file name. Reload (SIGHUP) to publish it.\n";
}

void ds_help(std::ostream& out) {
  out << "Usage: flatns ds [-c FILE] ZONE [--digest 2|4]\n"
         "\n"
         "Prints the DS records of ZONE's active key-signing keys (from the keys\n"
         "folder of its dnssec: section), to give to the parent zone. Digest 2 is\n"
         "SHA-256 (default), 4 SHA-384.\n"
         "\n";
  config_options_help(out);
}

bool parse_zone_name(const std::string& text, dns::Name& out, std::ostream& err, const char* cmd) {
  std::string problem;
  const dns::Name root;
  if (text.empty() || !dns::Name::from_text(text, &root, out, problem)) {
    err << "flatns " << cmd << ": '" << text << "' is not a domain name" << (problem.empty() ? "" : ": " + problem) << "\n";
    return false;
  }
  return true;
}

}  // namespace

int keygen_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> positional;
  uint8_t algorithm = 13;
  uint16_t flags = 257;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      keygen_help(out);
      return kExitOk;
    }
    if (a == "--algorithm" || a == "-a") {
      if (i + 1 >= args.size() || !(algorithm = dns::signing_algorithm_from_text(args[i + 1]))) {
        err << "flatns keygen: --algorithm expects ecdsap256sha256, ecdsap384sha384, ed25519 or ed448\n";
        return kExitUsage;
      }
      ++i;
    } else if (a == "--zsk") {
      flags = 256;
    } else if (!a.empty() && a[0] == '-') {
      err << "flatns keygen: unknown option '" << a << "' (see flatns keygen --help)\n";
      return kExitUsage;
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2) {
    err << "flatns keygen: expected ZONE DIR (see flatns keygen --help)\n";
    return kExitUsage;
  }
  dns::Name zone;
  if (!parse_zone_name(positional[0], zone, err, "keygen")) return kExitUsage;
  const std::string& dir = positional[1];
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 && ::mkdir(dir.c_str(), 0700) != 0) {
    err << "flatns keygen: " << dir << ": cannot make the folder\n";
    return kExitErrors;
  }
  dns::KeyPair pair;
  std::string error;
  if (!dns::generate_key_pair(zone, algorithm, flags, ::time(nullptr), pair, error) ||
      !dns::write_key_pair(dir, pair, error)) {
    err << "flatns keygen: " << error << "\n";
    return kExitErrors;
  }
  out << pair.path.substr(0, pair.path.size() - 8) << "\n";
  return kExitOk;
}

int ds_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string config_path(kDefaultConfigPath);
  std::vector<std::string> positional;
  uint8_t digest = 2;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      ds_help(out);
      return kExitOk;
    }
    if ((a == "-c" || a == "--config") && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (a == "--digest" && i + 1 < args.size()) {
      const std::string& d = args[++i];
      if (d != "2" && d != "4") {
        err << "flatns ds: --digest expects 2 (SHA-256) or 4 (SHA-384), found '" << d << "'\n";
        return kExitUsage;
      }
      digest = static_cast<uint8_t>(d[0] - '0');
    } else if (!a.empty() && a[0] == '-') {
      err << "flatns ds: unknown option '" << a << "' (see flatns ds --help)\n";
      return kExitUsage;
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 1) {
    err << "flatns ds: expected ZONE (see flatns ds --help)\n";
    return kExitUsage;
  }
  dns::Name zone;
  if (!parse_zone_name(positional[0], zone, err, "ds")) return kExitUsage;
  Config config;
  std::vector<ConfigError> errors;
  if (!load_config_file(config_path, config, errors)) {
    for (const auto& e : errors) err << e.to_string() << "\n";
    return kExitErrors;
  }
  const ZoneEntry* entry = nullptr;
  for (const auto& z : config.zones) {
    if (z.config.origin == zone) entry = &z;
  }
  if (!entry || !entry->dnssec.online) {
    err << "flatns ds: " << config_path << ": zone " << zone.to_text()
        << (entry ? " is not signed online (dnssec.signing: online)" : " is not configured") << "\n";
    return kExitErrors;
  }
  signing::KeySet keys;
  std::string error;
  if (!signing::KeySet::load(zone, entry->dnssec, ::time(nullptr), keys, error, nullptr, false)) {
    err << "flatns ds: " << error << "\n";
    return kExitErrors;
  }
  const auto ds = keys.cds(digest);
  if (ds.empty()) {
    err << "flatns ds: " << entry->dnssec.keys_dir << ": no active key-signing key for " << zone.to_text() << "\n";
    return kExitErrors;
  }
  for (const auto& rd : ds) {
    out << zone.lowercased().to_text() << " 3600 IN DS " << (rd[0] << 8 | rd[1]) << " " << int(rd[2]) << " "
        << int(rd[3]) << " " << dns::hex_encode(std::span<const uint8_t>(rd).subspan(4)) << "\n";
  }
  return kExitOk;
}

}  // namespace flatns::server
