#include "daemon_test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "dns/name.h"
#include "dns/wire.h"

extern char** environ;

namespace flatns::test {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

pid_t spawn(const std::vector<std::string>& args, const std::string& output_file) {
  std::vector<std::string> argv_storage;
  argv_storage.push_back(FLATNS_BINARY);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, FLATNS_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error(std::string("posix_spawn ") + FLATNS_BINARY + " failed");
  return pid;
}

std::optional<int> wait_pid(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return -1;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "flatns-daemon-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void TempDir::write(const std::string& name, const std::string& text) const {
  // Write then rename, so that a reload never sees half a file.
  std::string tmp = file(name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
  }
  std::filesystem::rename(tmp, file(name));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

CommandResult run_flatns(const std::vector<std::string>& args, const std::string& output_file) {
  std::filesystem::remove(output_file);
  pid_t pid = spawn(args, output_file);
  CommandResult result;
  auto status = wait_pid(pid, std::chrono::seconds(10));
  if (!status) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  } else {
    result.exit_status = *status;
  }
  result.output = read_file(output_file);
  return result;
}

ServerProcess::ServerProcess(const std::string& config, const std::string& log_file) : log_file_(log_file) {
  pid_ = spawn({"serve", "-c", config}, log_file);
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void ServerProcess::signal(int signum) const {
  if (pid_ > 0) kill(pid_, signum);
}

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  auto status = wait_pid(pid_, timeout);
  if (status) pid_ = -1;
  return status;
}

bool ServerProcess::wait_for_log(const std::string& text, std::chrono::milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return log().find(text) != std::string::npos;
}

std::vector<uint8_t> make_query(const std::string& name, uint16_t type, uint16_t id) {
  std::vector<uint8_t> q = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  dns::Name n = dns::Name::parse(name);
  q.insert(q.end(), n.wire().begin(), n.wire().end());
  q.push_back(static_cast<uint8_t>(type >> 8));
  q.push_back(static_cast<uint8_t>(type));
  q.push_back(0);
  q.push_back(1);  // class IN
  return q;
}

std::optional<Answer> parse_answer(const std::vector<uint8_t>& message) {
  dns::WireReader r(message);
  uint16_t id, flags, qd, an, ns, ar;
  if (!r.u16(id) || !r.u16(flags) || !r.u16(qd) || !r.u16(an) || !r.u16(ns) || !r.u16(ar)) return std::nullopt;
  Answer answer;
  answer.id = id;
  answer.rcode = flags & 0xF;
  answer.aa = (flags & 0x0400) != 0;
  for (int i = 0; i < qd; ++i) {
    dns::NameBuffer name;
    if (!r.name(name) || !r.skip(4)) return std::nullopt;
  }
  for (int i = 0; i < an + ns; ++i) {
    dns::NameBuffer owner;
    uint16_t type, rclass, rdlength;
    uint32_t ttl;
    if (!r.name(owner) || !r.u16(type) || !r.u16(rclass) || !r.u32(ttl) || !r.u16(rdlength)) return std::nullopt;
    std::size_t rdata_start = r.pos();
    if (type == 1 && rdlength == 4 && i < an) {
      std::span<const uint8_t> a;
      if (!r.bytes(4, a)) return std::nullopt;
      answer.a_records.push_back(std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) +
                                 "." + std::to_string(a[3]));
    } else if (type == 6) {
      dns::NameBuffer mname, rname;
      uint32_t serial;
      if (!r.name(mname) || !r.name(rname) || !r.u32(serial)) return std::nullopt;
      answer.soa_serial = serial;
    }
    r.seek(rdata_start);
    if (!r.skip(rdlength)) return std::nullopt;
  }
  return answer;
}

std::optional<Answer> udp_query(uint16_t port, const std::string& name, uint16_t type,
                                std::chrono::milliseconds timeout) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  static uint16_t next_id = 0x1234;
  uint16_t id = ++next_id;
  auto query = make_query(name, type, id);
  sockaddr_in to = loopback(port);
  std::optional<Answer> result;
  if (sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
      static_cast<ssize_t>(query.size())) {
    auto deadline = Clock::now() + timeout;
    while (!result) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, remaining_ms(deadline)) <= 0) break;
      std::vector<uint8_t> buf(65535);
      ssize_t n = recv(fd, buf.data(), buf.size(), 0);
      if (n <= 0) break;  // e.g. ECONNREFUSED: nobody listens yet
      buf.resize(static_cast<std::size_t>(n));
      auto answer = parse_answer(buf);
      if (answer && answer->id == id) result = answer;
    }
  }
  close(fd);
  return result;
}

std::optional<Answer> wait_for_udp_answer(uint16_t port, const std::string& name, uint16_t type,
                                          std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (auto answer = udp_query(port, name, type, std::chrono::milliseconds(200))) return answer;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

TcpClient::TcpClient(uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in to = loopback(port);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

TcpClient::~TcpClient() {
  if (fd_ >= 0) close(fd_);
}

bool TcpClient::send_bytes(const std::vector<uint8_t>& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool TcpClient::read_exact(uint8_t* out, std::size_t n, Clock::time_point deadline) {
  std::size_t got = 0;
  while (got < n) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
    ssize_t r = recv(fd_, out + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

std::optional<std::vector<uint8_t>> TcpClient::read_message(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  uint8_t prefix[2];
  if (!read_exact(prefix, 2, deadline)) return std::nullopt;
  std::vector<uint8_t> message(static_cast<std::size_t>(prefix[0] << 8 | prefix[1]));
  if (!read_exact(message.data(), message.size(), deadline)) return std::nullopt;
  return message;
}

bool TcpClient::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
    uint8_t byte;
    ssize_t r = recv(fd_, &byte, 1, 0);
    if (r <= 0) return true;  // EOF or reset
  }
}

std::vector<uint8_t> tcp_frame(const std::vector<uint8_t>& message) {
  std::vector<uint8_t> framed = {static_cast<uint8_t>(message.size() >> 8), static_cast<uint8_t>(message.size())};
  framed.insert(framed.end(), message.begin(), message.end());
  return framed;
}

}  // namespace flatns::test
