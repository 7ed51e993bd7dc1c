// The command line: `flatns serve`, `flatns check-config`, `flatns check-zone`,
// `--version`, `--help` and per-command help. Exit status: 0 success, 1 errors
// found (config, zones, start-up), 2 usage errors (unknown command/option,
// missing argument), as named-checkzone and kzonecheck do.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace flatns::server {

inline constexpr std::string_view kDefaultConfigPath = "/etc/flatns/flatns.yaml";

// Exit status of every command (see above).
inline constexpr int kExitOk = 0;
inline constexpr int kExitErrors = 1;
inline constexpr int kExitUsage = 2;

// The "Options:" part of the help of the commands that read the configuration
// file (-c FILE, -h).
void config_options_help(std::ostream& out);

// `args` excludes the program name. Reports go to `out`, problems to `err`;
// `serve` logs to stderr and returns when the daemon stops.
[[nodiscard]] int run_cli(const std::vector<std::string>& args, std::string_view version, std::ostream& out,
                          std::ostream& err);

}  // namespace flatns::server
