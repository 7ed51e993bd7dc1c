#include "server/control_channel.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "server/log.h"

namespace flatns::server {

ControlField text_field(std::string name, std::string value) { return {std::move(name), std::move(value), false}; }
ControlField number_field(std::string name, uint64_t value) {
  return {std::move(name), std::to_string(value), true};
}
ControlField decimal_field(std::string name, double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", std::isfinite(value) ? value : 0.0);
  return {std::move(name), text, true};
}

namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string text_value(std::string_view s) {
  bool plain = !s.empty();
  for (unsigned char c : s) plain = plain && c > 0x20 && c != '"' && c != '\\' && c != '=';
  if (plain) return std::string(s);
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c < 0x20 ? ' ' : static_cast<char>(c);
  }
  return out + "\"";
}

}  // namespace

std::string format_record(const ControlRecord& record, bool json) {
  std::string line = json ? "{" : "";
  for (std::size_t i = 0; i < record.size(); ++i) {
    const ControlField& f = record[i];
    if (json) {
      line += (i ? "," : "") + json_string(f.name) + ":" + (f.number ? f.value : json_string(f.value));
    } else {
      line += (i ? " " : "") + f.name + "=" + text_value(f.value);
    }
  }
  return json ? line + "}" : line;
}

struct ControlServer::Client {
  ControlServer* server = nullptr;
  std::list<std::unique_ptr<Client>>::iterator self;
  uv_pipe_t pipe{};
  uv_timer_t timer{};
  uv_write_t write{};
  std::string request;
  std::string response;
  char read_buffer[256];
  int open_handles = 0;
  bool answered = false;
  bool closing = false;
  bool refused = false;  // another user: answered "permission denied" once its request is read
};

ControlServer::ControlServer(uv_loop_t* loop, Handler handler) : loop_(loop), handler_(std::move(handler)) {}

ControlServer::~ControlServer() { close(); }

namespace {

// A socket file left behind: replace it only when no daemon answers there.
bool clear_stale_socket(const std::string& path, std::string& error) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return true;
  if (!S_ISSOCK(st.st_mode)) {
    error = "server.control: " + path + " exists and is not a socket";
    return false;
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  const bool live = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  if (fd >= 0) ::close(fd);
  if (live) {
    error = "server.control: " + path + " is in use (is another flatns running?)";
    return false;
  }
  ::unlink(path.c_str());
  return true;
}

// The daemon's own user and root may use the socket; others are turned away
// even if the file's mode was changed.
bool peer_allowed(uv_pipe_t* pipe) {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(pipe), &fd) != 0) return false;
  ucred cred{};
  socklen_t length = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return false;
  return cred.uid == 0 || cred.uid == geteuid();
}

}  // namespace

bool ControlServer::open(const std::string& path, std::string& error) {
  if (!clear_stale_socket(path, error)) return false;
  if (const int rc = uv_pipe_init(loop_, &pipe_, 0); rc != 0) {
    error = "server.control: cannot listen on " + path + ": " + uv_strerror(rc);
    return false;
  }
  pipe_.data = this;
  open_ = true;
  // Created 0600 from the start (no window in which others could connect).
  const mode_t old_mask = ::umask(0177);
  int rc = uv_pipe_bind(&pipe_, path.c_str());
  ::umask(old_mask);
  if (rc == 0) {
    path_ = path;
    ::chmod(path.c_str(), 0600);
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&pipe_), 16, on_connection);
  }
  if (rc != 0) {
    error = "server.control: cannot listen on " + path + ": " + uv_strerror(rc);
    close();
    return false;
  }
  return true;
}

void ControlServer::close() {
  if (!open_) return;
  open_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), nullptr);
  for (auto& client : clients_) drop(*client);
  if (!path_.empty()) ::unlink(path_.c_str());
}

void ControlServer::drop(Client& c) {
  if (c.closing) return;
  c.closing = true;
  auto on_closed = [](uv_handle_t* h) {
    auto* client = static_cast<Client*>(h->data);
    if (--client->open_handles == 0) client->server->clients_.erase(client->self);
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&c.timer), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&c.pipe), on_closed);
}

void ControlServer::on_connection(uv_stream_t* stream, int status) {
  auto* self = static_cast<ControlServer*>(stream->data);
  if (status < 0) return;
  auto owned = std::make_unique<Client>();
  Client& c = *owned;
  c.server = self;
  // Both always succeed on Unix (they only initialise the structures).
  (void)uv_pipe_init(self->loop_, &c.pipe, 0);
  (void)uv_timer_init(self->loop_, &c.timer);
  c.pipe.data = &c;
  c.timer.data = &c;
  c.open_handles = 2;
  self->clients_.push_front(std::move(owned));
  c.self = self->clients_.begin();
  if (uv_accept(stream, reinterpret_cast<uv_stream_t*>(&c.pipe)) != 0) {
    self->drop(c);
    return;
  }
  // Another user is refused once its request is read: closing with the
  // request unread would reset the connection and lose the answer.
  c.refused = !peer_allowed(&c.pipe);
  if (c.refused) log_warn("control: a connection from another user refused");
  if (self->clients_.size() > kMaxClients) {
    self->finish(c, "error busy: too many control clients\n");
    return;
  }
  int rc = uv_timer_start(
      &c.timer,
      [](uv_timer_t* t) {
        auto* client = static_cast<Client*>(t->data);
        client->server->drop(*client);  // said nothing (or not a whole line) in time
      },
      kRequestTimeoutMs, 0);
  if (rc == 0) rc = uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c.pipe),
      [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        auto* client = static_cast<Client*>(h->data);
        *buf = uv_buf_init(client->read_buffer, sizeof client->read_buffer);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* client = static_cast<Client*>(s->data);
        ControlServer& server = *client->server;
        if (client->answered || client->closing) return;
        if (nread < 0) {
          server.drop(*client);
          return;
        }
        client->request.append(buf->base, static_cast<std::size_t>(nread));
        const auto end = client->request.find('\n');
        if (end == std::string::npos) {
          if (client->request.size() > kMaxRequest) server.finish(*client, "error request too long\n");
          return;
        }
        if (client->refused) {
          server.finish(*client, "error permission denied\n");
          return;
        }
        std::vector<std::string> words;
        std::string line = client->request.substr(0, end);
        std::size_t pos = 0;
        while (pos < line.size()) {
          const auto next = line.find(' ', pos);
          std::string word = line.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
          if (!word.empty()) words.push_back(word);
          if (next == std::string::npos) break;
          pos = next + 1;
        }
        if (words.size() < 2 || (words[0] != "text" && words[0] != "json")) {
          server.finish(*client, "error malformed request (expected: text|json COMMAND [ARGUMENT])\n");
          return;
        }
        const bool json = words[0] == "json";
        words.erase(words.begin());
        const ControlReply reply = server.handler_(words);
        std::string out = reply.ok ? "ok\n" : "error " + reply.error + "\n";
        for (const auto& record : reply.records) out += format_record(record, json) + "\n";
        server.finish(*client, out);
      });
  if (rc != 0) {
    log_warn(std::string("control: cannot read from a client: ") + uv_strerror(rc));
    self->drop(c);
  }
}

void ControlServer::finish(Client& c, const std::string& response) {
  c.answered = true;
  (void)uv_read_stop(reinterpret_cast<uv_stream_t*>(&c.pipe));
  c.response = response;
  c.write.data = &c;
  uv_buf_t buf = uv_buf_init(c.response.data(), static_cast<unsigned>(c.response.size()));
  // The timer still bounds a client that does not read its answer.
  (void)uv_timer_stop(&c.timer);  // always 0: it only unlinks the timer
  if (uv_timer_start(
          &c.timer, [](uv_timer_t* t) { static_cast<Client*>(t->data)->server->drop(*static_cast<Client*>(t->data)); },
          kRequestTimeoutMs, 0) != 0) {
    drop(c);  // a closing client: nothing to answer
    return;
  }
  const int rc = uv_write(&c.write, reinterpret_cast<uv_stream_t*>(&c.pipe), &buf, 1, [](uv_write_t* w, int) {
    auto* client = static_cast<Client*>(w->data);
    client->server->drop(*client);
  });
  if (rc != 0) drop(c);
}

}  // namespace flatns::server
