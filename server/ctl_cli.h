// `flatns ctl [-c FILE] [--json] COMMAND [ARGUMENT]`: the control channel's
// client (server/control_channel.h). It reads server.control from the
// configuration file, sends the command, prints the records (one per line)
// and exits 0 when the daemon said ok, 1 when it reported an error or could
// not be reached, 2 on usage errors.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace flatns::server {

// `args` starts with "ctl".
[[nodiscard]] int run_ctl_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace flatns::server
