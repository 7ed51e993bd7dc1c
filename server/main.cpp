// flatns: see server/cli.h for the commands.
#include <iostream>
#include <string>
#include <vector>

#include "server/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return flatns::server::run_cli(args, FLATNS_VERSION, std::cout, std::cerr);
}
