// Support for the daemon tests: a temporary folder, the real flatns binary
// started with posix_spawn (output captured to a file), and a minimal DNS
// client over raw UDP/TCP sockets on 127.0.0.1.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace flatns::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

std::string read_file(const std::string& path);

struct CommandResult {
  int exit_status = -1;  // -1 if it did not exit normally
  std::string output;    // stdout and stderr together
};

// Runs the flatns binary with `args` to completion (10 s at most).
CommandResult run_flatns(const std::vector<std::string>& args, const std::string& output_file);

// `flatns serve -c config`, stopped (SIGKILL) at destruction if still running.
class ServerProcess {
 public:
  ServerProcess(const std::string& config, const std::string& log_file);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signum) const;
  // Waits for the process to end; its exit status, or nullopt on timeout or
  // abnormal end.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  std::string log() const { return read_file(log_file_); }
  // Waits until the log contains `text` (true) or the timeout passes.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout) const;

 private:
  pid_t pid_ = -1;
  std::string log_file_;
};

// A query for name/type with the given ID, in wire form (RD=0, no EDNS).
std::vector<uint8_t> make_query(const std::string& name, uint16_t type, uint16_t id);

struct Answer {
  uint16_t id = 0;
  int rcode = -1;
  bool aa = false;
  std::vector<std::string> a_records;  // "192.0.2.1", answer section only
  std::optional<uint32_t> soa_serial;  // from the answer or authority section
};
std::optional<Answer> parse_answer(const std::vector<uint8_t>& message);

// One UDP exchange with 127.0.0.1:port; nullopt when no answer in `timeout`.
std::optional<Answer> udp_query(uint16_t port, const std::string& name, uint16_t type,
                                std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));
// Retries udp_query until an answer comes (the server is starting).
std::optional<Answer> wait_for_udp_answer(uint16_t port, const std::string& name, uint16_t type,
                                          std::chrono::milliseconds timeout);

// A TCP connection to 127.0.0.1:port.
class TcpClient {
 public:
  explicit TcpClient(uint16_t port);
  ~TcpClient();
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;
  bool connected() const { return fd_ >= 0; }
  bool send_bytes(const std::vector<uint8_t>& bytes);
  // One length-prefixed message; nullopt on timeout or close.
  std::optional<std::vector<uint8_t>> read_message(std::chrono::milliseconds timeout);
  // True when the server closed the connection within `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout);

 private:
  bool read_exact(uint8_t* out, std::size_t n, std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
};

// Prefixes a message with its 2-octet length (RFC 1035 §4.2.2).
std::vector<uint8_t> tcp_frame(const std::vector<uint8_t>& message);

}  // namespace flatns::test
