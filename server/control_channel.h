// The control channel (`flatns ctl`, as knotc / nsd-control / unbound-control):
// a Unix stream socket (server.control), mode 0600, on the daemon's main
// loop. No TCP: file permissions and the peer's credentials (SO_PEERCRED:
// the daemon's own user or root) decide who may use it.
//
// Protocol, one exchange per connection: the client sends one line
//   FORMAT COMMAND [ARGUMENT]\n          FORMAT: text | json
// and the server answers
//   ok\n RECORD\n ...                    or   error MESSAGE\n RECORD\n ...
// then closes. A record is one line: `name=value` pairs separated by spaces
// (values with spaces or quotes in "..." with \" and \\), or with json one
// flat JSON object (JSON Lines). The client prints the records and exits 0
// after ok, 1 after error.
//
// A client that says nothing is closed after kRequestTimeoutMs; requests
// longer than kMaxRequest octets are refused; at most kMaxClients are
// served at once (more are closed at once), so no client can block the
// daemon or the other clients.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace flatns::server {

struct ControlField {
  std::string name;
  std::string value;
  bool number = false;  // written without quotes in JSON
};
using ControlRecord = std::vector<ControlField>;

struct ControlReply {
  bool ok = true;
  std::string error;
  std::vector<ControlRecord> records;
};

// Helpers to build records.
[[nodiscard]] ControlField text_field(std::string name, std::string value);
[[nodiscard]] ControlField number_field(std::string name, uint64_t value);
[[nodiscard]] ControlField decimal_field(std::string name, double value);

// One record as a line (without the newline).
[[nodiscard]] std::string format_record(const ControlRecord& record, bool json);

class ControlServer {
 public:
  static constexpr uint64_t kRequestTimeoutMs = 5000;
  static constexpr std::size_t kMaxRequest = 1024;
  static constexpr std::size_t kMaxClients = 16;

  // `words`: the command and its argument (the format word removed).
  using Handler = std::function<ControlReply(const std::vector<std::string>& words)>;

  ControlServer(uv_loop_t* loop, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds `path` (a stale socket left by a dead daemon is replaced; a live
  // one is an error), mode 0600, and listens.
  [[nodiscard]] bool open(const std::string& path, std::string& error);
  // Closes the socket and every client, removes the socket file.
  void close();

 private:
  struct Client;
  static void on_connection(uv_stream_t* server, int status);
  void finish(Client& client, const std::string& response);
  void drop(Client& client);

  uv_loop_t* loop_;
  Handler handler_;
  uv_pipe_t pipe_{};
  bool open_ = false;
  std::string path_;
  std::list<std::unique_ptr<Client>> clients_;
};

}  // namespace flatns::server
