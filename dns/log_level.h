// Severity of a log line, shared by every library that reports through a
// log hook (the resolver client, the flatten service, the daemon's logger):
// one enum and one spelling, as `server.log_level` reads it. Kept here, the
// one library every layer depends on, so that neither the resolver nor the
// server owns the other's log levels.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace flatns::dns {

// Ordered from the most to the least severe: a line is written when its
// level is at or below the configured one.
enum class LogLevel : uint8_t { Error = 0, Warn = 1, Info = 2, Debug = 3 };

inline constexpr std::string_view kLogLevelNames[] = {"error", "warn", "info", "debug"};

// "error", "warn", "info", "debug"
[[nodiscard]] constexpr std::string_view log_level_name(LogLevel level) {
  const auto index = static_cast<std::size_t>(level);
  return index < std::size(kLogLevelNames) ? kLogLevelNames[index] : "info";
}

[[nodiscard]] constexpr std::optional<LogLevel> parse_log_level(std::string_view text) {
  for (std::size_t i = 0; i < std::size(kLogLevelNames); ++i) {
    if (text == kLogLevelNames[i]) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

}  // namespace flatns::dns
