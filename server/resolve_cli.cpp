#include "server/resolve_cli.h"

#include "resolver-client/resolve_command.h"
#include "server/cli.h"

namespace flatns::server {

namespace {

void resolve_help(std::ostream& out) {
  out << "Usage: flatns resolve [-c FILE] NAME [TYPE]\n"
         "\n"
         "Resolves NAME (type A by default) once with the configuration's resolver\n"
         "settings, within flatten.deadline_ms, and prints the records, the DNSSEC\n"
         "verdict (secure, insecure, bogus, indeterminate) and, for bogus answers,\n"
         "the reason, the zone and the upstream server at fault.\n"
         "Exit status: 0 for secure or insecure answers (NXDOMAIN and NODATA too),\n"
         "1 for bogus answers and failures, 2 for usage errors.\n"
         "\n";
  config_options_help(out);
}

}  // namespace

int run_resolve_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string config_path{kDefaultConfigPath};
  std::vector<std::string> positional;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      resolve_help(out);
      return 0;
    }
    if (a == "-c" || a == "--config") {
      if (i + 1 >= args.size()) {
        err << "flatns resolve: option " << a << " needs a FILE\n";
        return 2;
      }
      config_path = args[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      err << "flatns resolve: unknown option '" << a << "' (see flatns resolve --help)\n";
      return 2;
    } else {
      positional.push_back(a);
    }
  }
  if (positional.empty() || positional.size() > 2) {
    err << "flatns resolve: expected NAME [TYPE], got " << positional.size()
        << " argument(s) (see flatns resolve --help)\n";
    return 2;
  }
  Config config;
  std::vector<ConfigError> errors;
  if (!load_config_file(config_path, config, errors)) {
    for (const auto& e : errors) err << e.to_string() << "\n";
    return 1;
  }
  return resolver::run_resolve_command(config.resolver, positional[0],
                                       positional.size() > 1 ? positional[1] : "A",
                                       config.flatten.deadline_ms, out, err);
}

}  // namespace flatns::server
