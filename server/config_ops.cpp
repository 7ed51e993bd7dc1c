#include "server/config_ops.h"

#include <yaml-cpp/yaml.h>

#include <charconv>

namespace flatns::server {

namespace {

std::size_t line_of(const YAML::Node& node, std::size_t fallback) {
  const int line = node.Mark().line;
  return line >= 0 && !node.IsNull() ? static_cast<std::size_t>(line) + 1 : fallback;
}

std::optional<std::string> path_value(const YAML::Node& v, const std::string& key, std::size_t line,
                                      const std::filesystem::path& base, const OpsErrorSink& error) {
  if (!v.IsScalar() || v.Scalar().empty()) {
    error(v, line, key, "expected a file name");
    return std::nullopt;
  }
  std::filesystem::path p(v.Scalar());
  if (p.is_absolute() || base.empty()) return p.lexically_normal().string();
  return (base / p).lexically_normal().string();
}

std::optional<bool> boolean(const YAML::Node& v, const std::string& key, std::size_t line,
                            const OpsErrorSink& error) {
  if (v.IsScalar() && v.Scalar() == "true") return true;
  if (v.IsScalar() && v.Scalar() == "false") return false;
  error(v, line, key, "expected true or false");
  return std::nullopt;
}

std::optional<uint32_t> integer(const YAML::Node& v, const std::string& key, std::size_t line, uint32_t min,
                                uint32_t max, const OpsErrorSink& error) {
  const std::string expected = "expected an integer " + std::to_string(min) + "-" + std::to_string(max);
  if (!v.IsScalar()) {
    error(v, line, key, expected);
    return std::nullopt;
  }
  const std::string& text = v.Scalar();
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < min || n > max) {
    error(v, line, key, expected + ", found '" + text + "'");
    return std::nullopt;
  }
  return static_cast<uint32_t>(n);
}

void parse_dnstap(const YAML::Node& v, const std::string& path, std::size_t line, const std::filesystem::path& base,
                  DnstapSettings& d, const OpsErrorSink& error) {
  if (!v.IsMap()) {
    error(v, line, path, "expected a mapping ({file: PATH} or {socket: PATH})");
    return;
  }
  DnstapSettings out;
  for (const auto& pair : v) {
    const YAML::Node key = pair.first;
    const YAML::Node value = pair.second;
    const std::string name = key.IsScalar() ? key.Scalar() : "?";
    const std::string key_path = path + "." + name;
    const std::size_t key_line = line_of(key, line);
    if (name == "file" || name == "socket") {
      if (out.sink != DnstapSettings::Sink::Off) {
        error(key, key_line, key_path, "give one of file and socket, not both");
        continue;
      }
      if (auto p = path_value(value, key_path, key_line, base, error)) {
        out.sink = name == "file" ? DnstapSettings::Sink::File : DnstapSettings::Sink::Socket;
        out.path = *p;
      }
    } else if (name == "queries") {
      if (auto b = boolean(value, key_path, key_line, error)) out.queries = *b;
    } else if (name == "responses") {
      if (auto b = boolean(value, key_path, key_line, error)) out.responses = *b;
    } else if (name == "resolver") {
      if (auto b = boolean(value, key_path, key_line, error)) out.resolver = *b;
    } else if (name == "queue") {
      if (auto n = integer(value, key_path, key_line, 16, 1u << 20, error)) out.queue = *n;
    } else {
      error(key, key_line, key_path, "unknown key (expected one of file, socket, queries, responses, resolver, queue)");
    }
  }
  if (out.sink == DnstapSettings::Sink::Off) {
    error(v, line, path, "missing file or socket (where dnstap messages go)");
    return;
  }
  d = out;
}

}  // namespace

void parse_ops_key(std::string_view key, const YAML::Node& value, const std::string& path, std::size_t line,
                   const std::filesystem::path& base, OpsSettings& ops, const OpsErrorSink& error) {
  if (key == "control") {
    if (auto p = path_value(value, path, line, base, error)) {
      // sun_path holds 108 octets with its terminating NUL.
      if (p->size() > 107) {
        error(value, line, path, "the socket path is longer than 107 octets: " + *p);
        return;
      }
      ops.control = *p;
    }
  } else if (key == "metrics") {
    if (!value.IsScalar()) {
      error(value, line, path, "expected an address such as \"127.0.0.1:9153\"");
      return;
    }
    dns::ServerAddress address;
    std::string problem;
    if (!dns::ServerAddress::parse(value.Scalar(), std::nullopt, address, problem)) {
      error(value, line, path, problem);
      return;
    }
    ops.metrics = address;
  } else if (key == "metrics_max_zones") {
    if (auto n = integer(value, path, line, 0, 10000, error)) ops.metrics_max_zones = *n;
  } else if (key == "dnstap") {
    parse_dnstap(value, path, line, base, ops.dnstap, error);
  }
}

}  // namespace flatns::server
