// Logging for the daemon and the command-line tools: one line per message on
// stderr, "2026-11-30T23:19:22.123Z info: message", written with a single
// write(2) so that lines from worker threads never interleave.
//
// The level is process-wide and may be changed at run time (SIGHUP reload);
// messages below it cost one relaxed atomic load.
#pragma once

#include <string>
#include <string_view>

#include "dns/log_level.h"

namespace flatns::server {

using dns::LogLevel;  // the levels and their names: dns/log_level.h

void set_log_level(LogLevel level);
[[nodiscard]] LogLevel log_level();
[[nodiscard]] bool log_enabled(LogLevel level);

// Redirects log lines to `fd` (default 2, stderr); used by tests.
void set_log_fd(int fd);

void log_message(LogLevel level, std::string_view message);

inline void log_error(std::string_view m) { log_message(LogLevel::Error, m); }
inline void log_warn(std::string_view m) { log_message(LogLevel::Warn, m); }
inline void log_info(std::string_view m) { log_message(LogLevel::Info, m); }
inline void log_debug(std::string_view m) { log_message(LogLevel::Debug, m); }

}  // namespace flatns::server
