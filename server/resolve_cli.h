// `flatns resolve -c FILE NAME [TYPE]`: reads the configuration (its
// `resolver:` section is resolver-client's settings) and runs one resolution
// within `flatten.deadline_ms` (resolver-client/resolve_command.h prints it).
#pragma once

#include <iostream>
#include <string>
#include <vector>

#include "server/config.h"

namespace flatns::server {

// args[0] is "resolve". Exit status as run_resolve_command; 2 for usage errors.
[[nodiscard]] int run_resolve_cli(const std::vector<std::string>& args, std::ostream& out,
                                  std::ostream& err);

}  // namespace flatns::server
