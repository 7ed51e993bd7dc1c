#include "server/cli.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include "server/config.h"
#include "server/daemon.h"
#include "server/daemon_zones.h"
#include "server/keys_cli.h"
#include "zones/zone_set.h"

namespace flatns::server {

void config_options_help(std::ostream& out) {
  out << "Options:\n"
         "  -c, --config FILE   configuration file (default "
      << kDefaultConfigPath
      << ")\n"
         "  -h, --help          show this help\n";
}

namespace {

void general_help(std::ostream& out) {
  out << "Usage: flatns COMMAND [OPTIONS]\n"
         "\n"
         "An authoritative DNS server that flattens CNAMEs at the zone apex.\n"
         "\n"
         "Commands:\n"
         "  serve          run the server\n"
         "  check-config   check a configuration file and every zone it names\n"
         "  check-zone     check one zone file\n"
         "  resolve        resolve a name once with the embedded validating resolver\n"
         "  keygen         make a DNSSEC key pair for a zone (BIND format)\n"
         "  ds             print the DS records of a zone signed online\n"
         "  ctl            ask the running server (status, reload, upstreams, ...)\n"
         "\n"
         "Options:\n"
         "  -h, --help     show this help (or `flatns COMMAND --help`)\n"
         "  --version      print the version\n";
}

void serve_help(std::ostream& out) {
  out << "Usage: flatns serve [-c FILE]\n"
         "\n"
         "Runs the server in the foreground, logging to stderr.\n"
         "SIGHUP reloads the configuration and every zone (a zone that fails to load\n"
         "keeps its previous version); SIGTERM or SIGINT stops it after answering the\n"
         "queries in flight.\n"
         "\n";
  config_options_help(out);
}

void check_config_help(std::ostream& out) {
  out << "Usage: flatns check-config [-c FILE]\n"
         "\n"
         "Loads the configuration and every zone it names, prints each problem\n"
         "(file:line: ...) and exits 1 if there was any, else prints\n"
         "\"N zones, M records OK\".\n"
         "\n";
  config_options_help(out);
}

void check_zone_help(std::ostream& out) {
  out << "Usage: flatns check-zone ORIGIN FILE\n"
         "\n"
         "Loads the zone file FILE with origin ORIGIN, prints the number of records\n"
         "and each problem (file:line: ...); exits 1 if there was any.\n"
         "\n"
         "Options:\n"
         "  -h, --help   show this help\n";
}

struct ConfigOptions {
  std::string config_path{kDefaultConfigPath};
  bool help = false;
};

// Parses "-c FILE", "--config FILE", "--config=FILE", "-h", "--help".
std::optional<ConfigOptions> parse_config_options(const std::vector<std::string>& args, std::string_view command,
                                                  std::ostream& err) {
  ConfigOptions options;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      options.help = true;
    } else if (a == "-c" || a == "--config") {
      if (i + 1 >= args.size()) {
        err << "flatns " << command << ": option " << a << " needs a FILE\n";
        return std::nullopt;
      }
      options.config_path = args[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      options.config_path = a.substr(9);
    } else if (!a.empty() && a[0] == '-') {
      err << "flatns " << command << ": unknown option '" << a << "' (see flatns " << command << " --help)\n";
      return std::nullopt;
    } else {
      err << "flatns " << command << ": unexpected argument '" << a << "' (see flatns " << command << " --help)\n";
      return std::nullopt;
    }
  }
  return options;
}

void print_zone_problems(const ZoneOutcome& o, std::ostream& err, std::size_t& errors) {
  for (const auto& w : o.warnings) err << "warning: zone " << o.name << ": " << w.to_string() << "\n";
  for (const auto& e : o.errors) err << "zone " << o.name << ": " << e.to_string() << "\n";
  errors += o.errors.size();
}

int check_config(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto options = parse_config_options(args, "check-config", err);
  if (!options) return kExitUsage;
  if (options->help) {
    check_config_help(out);
    return kExitOk;
  }
  Config config;
  std::vector<ConfigError> config_errors;
  bool config_ok = load_config_file(options->config_path, config, config_errors);
  for (const auto& e : config_errors) err << e.to_string() << "\n";
  // Zones that parsed are loaded even when other keys are wrong, so that one
  // run shows every problem.
  ZoneSetBuild build = build_zone_set(config, nullptr);
  std::size_t errors = config_errors.size();
  for (const auto& o : build.outcomes) print_zone_problems(o, err, errors);
  if (!config.resolver.trust_anchors_file.empty()) {
    std::ifstream anchors(config.resolver.trust_anchors_file);
    if (!anchors) {
      err << options->config_path << ": resolver.trust_anchors: cannot open "
          << config.resolver.trust_anchors_file << ": " << std::strerror(errno) << "\n";
      ++errors;
    }
  }
  if (!config_ok || errors > 0) {
    err << options->config_path << ": " << errors << (errors == 1 ? " error" : " errors") << " found\n";
    return kExitErrors;
  }
  out << build.outcomes.size() << (build.outcomes.size() == 1 ? " zone, " : " zones, ") << build.total_records()
      << (build.total_records() == 1 ? " record OK\n" : " records OK\n");
  return kExitOk;
}

int check_zone(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> positional;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      check_zone_help(out);
      return kExitOk;
    }
    if (a.size() > 1 && a[0] == '-') {
      err << "flatns check-zone: unknown option '" << a << "' (see flatns check-zone --help)\n";
      return kExitUsage;
    }
    positional.push_back(a);
  }
  if (positional.size() != 2) {
    err << "flatns check-zone: expected ORIGIN FILE, got " << positional.size()
        << " argument(s) (see flatns check-zone --help)\n";
    return kExitUsage;
  }
  zones::ZoneConfig zone;
  dns::Name root;
  std::string problem;
  if (!dns::Name::from_text(positional[0], &root, zone.origin, problem)) {
    err << "flatns check-zone: '" << positional[0] << "' is not a domain name: " << problem << "\n";
    return kExitUsage;
  }
  zone.file = positional[1];
  zones::ZoneLoadResult result = zones::load_zone(zone);
  for (const auto& w : result.warnings) err << "warning: " << w.to_string() << "\n";
  for (const auto& e : result.errors) err << e.to_string() << "\n";
  if (!result.errors.empty() || !result.zone) {
    std::size_t n = result.errors.size();
    err << zone.origin.to_text() << ": " << n << (n == 1 ? " error" : " errors") << " found in " << zone.file
        << "\n";
    return kExitErrors;
  }
  out << zone.origin.to_text() << ": " << result.records << (result.records == 1 ? " record" : " records")
      << " loaded from " << zone.file << ", OK\n";
  return kExitOk;
}

int serve(const std::vector<std::string>& args, std::string_view version, std::ostream& out, std::ostream& err) {
  auto options = parse_config_options(args, "serve", err);
  if (!options) return kExitUsage;
  if (options->help) {
    serve_help(out);
    return kExitOk;
  }
  Daemon daemon(options->config_path, std::string(version));
  return daemon.run();
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::string_view version, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    general_help(err);
    return kExitUsage;
  }
  const std::string& command = args[0];
  if (command == "-h" || command == "--help" || command == "help") {
    if (command == "help" && args.size() > 1) {
      std::vector<std::string> sub{args[1], "--help"};
      return run_cli(sub, version, out, err);
    }
    general_help(out);
    return kExitOk;
  }
  if (command == "--version" || command == "-V") {
    out << "flatns " << version << "\n";
    return kExitOk;
  }
  if (command == "serve") return serve(args, version, out, err);
  if (command == "check-config") return check_config(args, out, err);
  if (command == "check-zone") return check_zone(args, out, err);
  if (command == "keygen") return keygen_command(args, out, err);
  if (command == "ds") return ds_command(args, out, err);
  if (!command.empty() && command[0] == '-') {
    err << "flatns: unknown option '" << command << "' (see flatns --help)\n";
  } else {
    err << "flatns: unknown command '" << command << "' (see flatns --help)\n";
  }
  return kExitUsage;
}

}  // namespace flatns::server
