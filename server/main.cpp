// flatns: see server/cli.h for the commands.
#include <iostream>
#include <string>
#include <vector>

#include "server/cli.h"
#include "server/ctl_cli.h"
#include "server/resolve_cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // `flatns resolve` (resolver-client) is dispatched here, apart from run_cli.
  if (!args.empty() && args[0] == "resolve") {
    return flatns::server::run_resolve_cli(args, std::cout, std::cerr);
  }
  if (!args.empty() && args[0] == "ctl") return flatns::server::run_ctl_cli(args, std::cout, std::cerr);
  return flatns::server::run_cli(args, FLATNS_VERSION, std::cout, std::cerr);
}
