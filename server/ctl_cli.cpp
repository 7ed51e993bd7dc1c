#include "server/ctl_cli.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "server/cli.h"

namespace flatns::server {

namespace {

// A reload of many zones may take a while; the daemon answers when done.
constexpr int kReplyTimeoutMs = 120000;

void ctl_help(std::ostream& out) {
  out << "Usage: flatns ctl [-c FILE] [--json] COMMAND [ARGUMENT]\n"
         "\n"
         "Asks the running server, through its control socket (server.control).\n"
         "\n"
         "Commands:\n"
         "  status                 version, uptime, workers, zones, reload state\n"
         "  reload [ZONE]          reload the configuration and zones (a ZONE's outcome is reported)\n"
         "  zone-status [ZONE]     serial, records, signed, file, load time, last error per zone\n"
         "  flush [NAME]           drop cached flattened answers for NAME and below (all without NAME)\n"
         "                         and clear the resolver's cache\n"
         "  upstreams              the resolver's upstream servers: state, back-off, RTT, timeouts,\n"
         "                         bogus answers, reason (the worst first)\n"
         "  flatten-status [NAME]  cached flattened answers (targets at or below NAME)\n"
         "  stats                  the counters of the metrics endpoint\n"
         "\n"
         "Output: one record per line, name=value pairs (with --json: one JSON object per line).\n"
         "Exit status: 0 ok, 1 the server reported an error or cannot be reached, 2 usage.\n"
         "\n";
  config_options_help(out);
  out << "  --json              one JSON object per record\n";
}

// server.control from the configuration file. Only that key has to be
// right: `flatns ctl reload` must reach the server to report what else is
// wrong with the file.
std::string control_socket_path(const std::string& config_path, std::string& error) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(config_path);
  } catch (const YAML::Exception& e) {
    error = config_path + ": " + e.what();
    return "";
  }
  const YAML::Node server = root.IsMap() ? root["server"] : YAML::Node();
  const YAML::Node control = server.IsMap() ? server["control"] : YAML::Node();
  if (!control.IsScalar() || control.Scalar().empty()) {
    error = config_path + ": server.control is not set (no control socket)";
    return "";
  }
  std::filesystem::path p(control.Scalar());
  if (p.is_absolute()) return p.lexically_normal().string();
  return (std::filesystem::path(config_path).parent_path() / p).lexically_normal().string();
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

int run_ctl_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string config_path(kDefaultConfigPath);
  bool json = false;
  std::vector<std::string> words;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      ctl_help(out);
      return kExitOk;
    }
    if (a == "--json") {
      json = true;
    } else if (a == "-c" || a == "--config") {
      if (i + 1 >= args.size()) {
        err << "flatns ctl: " << a << " needs a file name\n";
        return kExitUsage;
      }
      config_path = args[++i];
    } else if (!a.empty() && a[0] == '-' && words.empty()) {
      err << "flatns ctl: unknown option " << a << " (see flatns ctl --help)\n";
      return kExitUsage;
    } else {
      if (a.find_first_of(" \n\r\t") != std::string::npos || a.empty()) {
        err << "flatns ctl: an argument may not be empty or hold spaces: '" << a << "'\n";
        return kExitUsage;
      }
      words.push_back(a);
    }
  }
  if (words.empty()) {
    err << "flatns ctl: missing COMMAND (see flatns ctl --help)\n";
    return kExitUsage;
  }

  std::string error;
  const std::string path = control_socket_path(config_path, error);
  if (!error.empty()) {
    err << "flatns ctl: " << error << "\n";
    return kExitErrors;
  }
  if (path.empty()) {
    err << "flatns ctl: " << config_path << ": server.control is not set (no control socket)\n";
    return kExitErrors;
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    err << "flatns ctl: cannot connect to " << path << " (server.control): " << std::strerror(errno)
        << (errno == EACCES ? " (the socket belongs to the server's user)" : "") << "\n";
    if (fd >= 0) ::close(fd);
    return kExitErrors;
  }
  std::string request = json ? "json" : "text";
  for (const auto& w : words) request += " " + w;
  request += "\n";
  std::string reply;
  bool complete = false;
  // A refusal is written at once and the socket closed, maybe before the
  // request is sent: read what came even when the send failed.
  send_all(fd, request);
  {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kReplyTimeoutMs);
    char buffer[4096];
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        complete = n == 0;
        break;
      }
      reply.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  const auto first = reply.find('\n');
  if (!complete || first == std::string::npos) {
    err << "flatns ctl: no complete answer from " << path << "\n";
    return kExitErrors;
  }
  const std::string status = reply.substr(0, first);
  out << reply.substr(first + 1);
  if (status == "ok") return kExitOk;
  err << "flatns ctl: " << (status.rfind("error ", 0) == 0 ? status.substr(6) : status) << "\n";
  return kExitErrors;
}

}  // namespace flatns::server
